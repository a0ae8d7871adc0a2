import { afterEach, expect, inject } from 'vitest';
import type {
  SetupCodeAnswer,
  SiteAnswer,
  SiteSummary,
  StaffRole,
} from '../../../shared/apiProtocol';
import { type Member, sameMember } from '../../../shared/member';
import { apiRequest } from '../../apiRequest';
import { DeviceAuth, type DeviceCredential } from '../../device/DeviceAuth';
import { type KeyValueStore, memoryStore, writeJson } from '../../device/KeyValueStore';
import { ServerClock } from '../../device/ServerClock';
import { KioskController } from '../../KioskController';
import { DashboardController } from '../DashboardController';
import type { DashboardPort } from '../DashboardPort';
import { StaffSession } from '../StaffSession';

/**
 * What the dashboard's browser tests (`*.browser.test.ts` under `kiosk/dashboard/`) share: real
 * dashboards and kiosks on the server that `kiosk/testing/serverForBrowserTests.ts` starts, the
 * screens mounted as the app mounts them, and members and names that no other test uses.
 *
 * That server lives for the whole run and the files run at the same time, writing to the same
 * site and the same day: a test makes its own members, kiosks and names and looks only at those.
 * Nothing here loads an element module: the app's test checks that its screens load on first use.
 */

const serverUrl = inject('serverUrl');
const accounts = inject('accounts');

/** Everything made here that holds a socket, stopped by `cleanUpAfterEach`. */
const running: { stop(): void }[] = [];

/**
 * Installs, in the calling file, the `afterEach` that empties the page and stops every dashboard
 * and kiosk the test made through this module (also when the test failed half-way).
 */
export function cleanUpAfterEach(): void {
  afterEach(() => {
    document.body.replaceChildren();
    for (const started of running.splice(0)) started.stop();
  });
}

/**
 * A staff account of the test site with the right to change things, one that can only read, or
 * an admin of every site (it starts on the test site, the server's default).
 */
export type TestRole = 'staff' | 'viewer' | 'admin';

/** Where a test dashboard runs. Each dashboard is its own "phone" unless it is given a `store`. */
export interface TestDashboardOptions {
  /** The server; default the test server. An unreachable address tests the offline sign-in. */
  readonly baseUrl?: string;
  /** The phone's storage; share one between two dashboards to have two tabs of one browser. */
  readonly store?: KeyValueStore;
  /** The IndexedDB names' prefix; a test that deletes its databases needs its own. */
  readonly storagePrefix?: string;
}

/** A phone's storage that also lists what it holds (`memoryStore` does not). */
export interface ListedStore extends KeyValueStore {
  keys(): string[];
}

export function listedStore(): ListedStore {
  const values = new Map<string, string>();
  return {
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
    removeItem: (key) => void values.delete(key),
    keys: () => [...values.keys()],
  };
}

/** The device's clock offset (`ServerClock`): the one stored item that says nothing of a site. */
const DEVICE_ONLY = ['headcount.clock'];

/** What `store` holds that a sign-out must have removed: every key but the device's own. */
export function siteItems(store: ListedStore): string[] {
  return store.keys().filter((key) => !DEVICE_ONLY.includes(key));
}

/** The IndexedDB databases this browser holds under `prefix` (a dashboard's copies). */
export async function databasesUnder(prefix: string): Promise<string[]> {
  return (await indexedDB.databases())
    .map((info) => info.name ?? '')
    .filter((name) => name.startsWith(`${prefix}:`));
}

/**
 * An open connection to the database `name` that ignores `versionchange`, as one in a frozen tab
 * or in code that does not close when asked: a deletion of `name` waits until it is closed.
 */
export function connectionThatHoldsOn(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Watches `controller` for the moments it would show the sign-in form (no one signed in, no
 * sign-out under way) and notes, at each, the databases under `prefix` and the site items in
 * `store` still there. The returned function gives everything noted: empty if the phone never
 * showed sign-in while the last person's data was on it.
 */
export function heldAtSignInScreen(
  controller: DashboardController,
  prefix: string,
  store: ListedStore,
): () => Promise<string[]> {
  const noted: Promise<string[]>[] = [];
  controller.addEventListener('change', () => {
    if (controller.staff !== null || controller.status.signingOut !== null) return;
    const items = siteItems(store);
    noted.push(databasesUnder(prefix).then((names) => [...names, ...items]));
  });
  return async () => (await Promise.all(noted)).flat();
}

/** A dashboard on a phone where no one has signed in yet, stopped after the test. */
export function newDashboard(options: TestDashboardOptions = {}): DashboardController {
  const baseUrl = options.baseUrl ?? serverUrl;
  const store = options.store ?? memoryStore();
  const controller = new DashboardController({
    baseUrl,
    store,
    session: new StaffSession({ baseUrl, store }),
    storagePrefix: options.storagePrefix,
  });
  running.push(controller);
  return controller;
}

/** A dashboard signed in as the test site's `role` account and live, stopped after the test. */
export async function signedInDashboard(
  role: TestRole = 'staff',
  options: TestDashboardOptions = {},
): Promise<DashboardController> {
  const controller = newDashboard(options);
  await controller.signIn(accounts[role].username, accounts[role].password);
  await expect.poll(() => controller.status.live, { timeout: 10_000 }).toBe(true);
  return controller;
}

/**
 * A new member checked in at a staff desk, and a viewer's dashboard that already counts them in:
 * where a test of what a viewer sees starts. The test checks the member out at its end.
 */
export async function viewerSeeingCheckIn(
  firstName: string,
): Promise<{ desk: DashboardController; viewer: DashboardController; member: Member }> {
  const desk = await signedInDashboard();
  const member = uniqueMember(firstName);
  await addMembers(desk, member);
  desk.checkIn(member.id);
  const viewer = await signedInDashboard('viewer');
  await expect.poll(() => isCheckedIn(viewer, member.id), { timeout: 10_000 }).toBe(true);
  return { desk, viewer, member };
}

/**
 * A new site no other test knows, added by `admin` through the API, with a name made of `what`
 * and the zone `timeZone`. Sites cannot be deleted: every run adds its own.
 */
export async function newTestSite(
  admin: DashboardController,
  what = 'Site',
  timeZone = 'America/New_York',
): Promise<SiteSummary> {
  const name = uniqueName(what);
  const id = `test-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  const answer = await admin.api('POST', '/api/sites', { id, name, timeZone });
  expect(answer.status).toBe(201);
  await admin.refreshSites();
  return (answer.body as SiteAnswer).site;
}

/** A username made of `what` that no other test uses (lower-case, as the server wants). */
export function uniqueUsername(what: string): string {
  return uniqueName(what)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
}

/**
 * A new account no other test knows, made by `admin` through the API ([C5]): a staff or viewer
 * account of the site `admin` shows unless `siteId` is given. Its person has not set it up:
 * the answer has its one-time set-up code.
 */
export async function invitedAccount(
  admin: DashboardController,
  what: string,
  role: Exclude<StaffRole, 'admin'> = 'staff',
  siteId = admin.staff?.siteId,
): Promise<SetupCodeAnswer> {
  const username = uniqueUsername(what);
  const answer = await admin.api('POST', '/api/accounts', { username, role, siteId });
  expect(answer.status).toBe(201);
  return answer.body as SetupCodeAnswer;
}

/** The tags of the elements that show a dashboard: the app and each of its screens. */
export type ScreenTag = {
  [K in keyof HTMLElementTagNameMap]: HTMLElementTagNameMap[K] extends {
    controller: DashboardPort | undefined;
    revision: number;
  }
    ? K
    : never;
}[keyof HTMLElementTagNameMap];

/**
 * `tagName` on the page, showing `controller`, as the app shows it: the app gives a screen a new
 * `revision` on every change of the controller. The app itself follows the controller on its
 * own: mount it with `followChanges: false`.
 */
export async function mountScreen<K extends ScreenTag>(
  tagName: K,
  controller: DashboardController,
  options: { followChanges?: boolean } = {},
): Promise<HTMLElementTagNameMap[K]> {
  const screen = document.createElement(tagName);
  screen.controller = controller;
  if (options.followChanges ?? true) controller.addEventListener('change', () => screen.revision++);
  document.body.append(screen);
  await screen.updateComplete;
  return screen;
}

/** Whether `memberId` is among the people `controller` counts as in the gym now. */
export function isCheckedIn(controller: DashboardController, memberId: string): boolean {
  return controller.stats?.currentlyIn.some((p) => p.memberId === memberId) ?? false;
}

/** An element's text as a person reads it: white space folded, '' for no element. */
export function textOf(element: Element | null | undefined): string {
  return element?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

// The random part sets this file's names and member numbers apart from other files' and runs'.
const run = Math.random().toString(36).slice(2, 7);
let serial = 0;
const randomLetter = () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(Math.random() * 26)];

/** `what` and a suffix no other test uses, for a kiosk or a site name that a test looks for. */
export function uniqueName(what: string): string {
  return `${what} ${run}-${++serial}`;
}

const nextMemberId = () => `member-${run}-${++serial}`;

/**
 * A member number and a made-up surname ("Q" and eight random letters) that no other test uses:
 * a search for either finds this test's member alone.
 */
export function uniqueIdAndSurname(): { id: string; surname: string } {
  return { id: nextMemberId(), surname: `Q${Array.from({ length: 8 }, randomLetter).join('')}` };
}

/** The test site, which the staff and viewer accounts are of and where an admin starts. */
export const TEST_SITE = 'riverside';

const activeMember = (id: string, name: string, changes: Partial<Member>): Member => ({
  id,
  name,
  codes: [],
  status: 'active',
  validUntil: null,
  homeSite: TEST_SITE,
  access: 'home',
  ...changes,
});

/**
 * Adds or changes `members` through the API with `controller`'s account, as one import ([M4]),
 * and waits until its roster documents list them as sent ([D7]): they must be of a site it
 * shows or admits. A test that needs members on the roster starts with this.
 */
export async function addMembers(
  controller: DashboardController,
  ...members: readonly Member[]
): Promise<void> {
  const rows = members.map((member, index) => ({ line: index + 2, member }));
  const answer = await controller.applyImport(rows);
  expect(answer.errors).toEqual([]);
  await expect
    .poll(
      () =>
        members.every((m) => {
          const listed = controller.members.get(m.id);
          return listed !== undefined && sameMember(listed, m);
        }),
      { timeout: 10_000 },
    )
    .toBe(true);
}

/** An active member without cards, with a member number no other test uses and exactly `name`. */
export function memberNamed(name: string, changes: Partial<Member> = {}): Member {
  return activeMember(nextMemberId(), name, changes);
}

/** An active member without cards that no other test knows: `firstName` and a unique surname. */
export function uniqueMember(firstName: string, changes: Partial<Member> = {}): Member {
  const { id, surname } = uniqueIdAndSurname();
  return activeMember(id, `${firstName} ${surname}`, changes);
}

/** New members (see `uniqueMember`), one for each first name, added at `desk` and checked in. */
export async function checkedInMembers<const Names extends readonly string[]>(
  desk: DashboardController,
  ...firstNames: Names
): Promise<{ [I in keyof Names]: Member }> {
  const members = firstNames.map((firstName) => uniqueMember(firstName));
  await addMembers(desk, ...members);
  for (const member of members) desk.checkIn(member.id);
  return members as { [I in keyof Names]: Member };
}

/**
 * Pairs a kiosk named `name` through the API, as a tablet typing the code that `desk` got would:
 * the credential the tablet keeps.
 */
export async function pairKioskDevice(
  desk: DashboardController,
  name: string,
  appVersion = 'test',
): Promise<DeviceCredential> {
  const code = await desk.api('POST', '/api/pairing-codes', { name });
  const paired = await apiRequest(serverUrl, 'POST', '/api/devices/pair', {
    body: { code: code.body.code, appVersion },
  });
  expect(paired.status).toBe(200);
  return paired.body as unknown as DeviceCredential;
}

/** Where a test kiosk runs, when not on a tablet of its own that reaches the test server. */
export interface TestTablet {
  /** The tablet's storage: share one between two kiosks to have the same tablet reloaded. */
  readonly store?: KeyValueStore;
  /** The server; an unreachable address is a tablet offline. */
  readonly baseUrl?: string;
  /** Waits between token requests while its site is archived (`DeviceAuth`), ms. */
  readonly archivedRetry?: { firstMs: number; maxMs: number };
}

/**
 * A kiosk on its own tablet (its own storage) holding `credential`: not started, stopped after
 * the test. `wallClock` is the tablet's own clock (default: the real one), for clocks that jump.
 */
export function kioskWith(
  credential: DeviceCredential,
  wallClock: () => number = Date.now,
  tablet: TestTablet = {},
): KioskController {
  const store = tablet.store ?? memoryStore();
  const baseUrl = tablet.baseUrl ?? serverUrl;
  writeJson(store, 'headcount.device', credential);
  const auth = new DeviceAuth({
    baseUrl,
    store,
    appVersion: 'test',
    ...(tablet.archivedRetry ? { archivedRetry: tablet.archivedRetry } : {}),
  });
  const clock = new ServerClock(store, wallClock);
  const kiosk = new KioskController({ baseUrl, auth, store, clock });
  running.push(kiosk);
  return kiosk;
}

/** A tablet paired just for this test under `name`, started and in sync, stopped after the test. */
export async function pairedTestKiosk(
  desk: DashboardController,
  name: string,
  wallClock: () => number = Date.now,
): Promise<KioskController> {
  const kiosk = kioskWith(await pairKioskDevice(desk, name), wallClock);
  await kiosk.start();
  return kiosk;
}

/**
 * The test site's own kiosk, "Front door", that the global setup paired (`inject('kiosk')`) and
 * other files use too: a new tablet with its credential, not started, stopped after the test.
 */
export function frontDoorKiosk(): KioskController {
  const { deviceId, deviceSecret } = inject('kiosk');
  return kioskWith({ deviceId, deviceSecret, siteId: TEST_SITE, name: 'Front door' });
}

/**
 * The SVG as a phone would show it, `px` wide, drawn onto a canvas with a wide white margin as a
 * camera would see it on the screen: what a scanner reads, not what the element meant to draw.
 * `smoothing: false` scales it without smoothing, so the modules keep hard edges.
 */
export async function rasterizeSvg(
  svg: SVGSVGElement,
  px: number,
  options: { smoothing?: boolean } = {},
): Promise<HTMLCanvasElement> {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('width', String(px));
  copy.setAttribute('height', String(px));
  const blob = new Blob([new XMLSerializer().serializeToString(copy)], { type: 'image/svg+xml' });
  const url = URL.createObjectURL(blob);
  const image = new Image();
  image.src = url;
  await image.decode();
  URL.revokeObjectURL(url);
  const margin = px / 4;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = px + 2 * margin;
  const context = canvas.getContext('2d') as CanvasRenderingContext2D;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  if (options.smoothing === false) context.imageSmoothingEnabled = false;
  context.drawImage(image, margin, margin, px, px);
  return canvas;
}
