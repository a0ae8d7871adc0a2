import {
  type DeviceInfo,
  type DevicesAnswer,
  MAX_IMPORT_BATCH,
  type MemberAnswer,
  type MemberImportAnswer,
  type MembersAnswer,
  type OverviewAnswer,
  type SiteSummary,
  type SitesAnswer,
  type StaffListAnswer,
} from '../../shared/apiProtocol';
import { recordEvent } from '../../shared/checkinsDoc';
import { type DayStats, type Flag, FUTURE_TOLERANCE_MS } from '../../shared/DayLedger';
import { type EventId, newEventId } from '../../shared/eventId';
import { type EventRef, parseEventRef } from '../../shared/eventRef';
import type { CheckinEvent, NewEvent, VoidEvent } from '../../shared/events';
import { KIOSK_PRESENCE, type KioskPresence, readKioskPresence } from '../../shared/kioskPresence';
import { localDayOf } from '../../shared/localTime';
import type { Member } from '../../shared/member';
import type { MemberCsvRow } from '../../shared/memberCsv';
import type { Problem } from '../../shared/problems';
import { rosterDocNames } from '../../shared/rosterDoc';
import {
  DEFAULT_SETTINGS,
  readSettings,
  SETTINGS_MAP,
  type SiteSettings,
  writeSettings,
} from '../../shared/siteDoc';
import { type ApiAnswer, apiRequest } from '../apiRequest';
import { ClockKeeper } from '../device/ClockKeeper';
import { type KeyValueStore, readJson, writeJson } from '../device/KeyValueStore';
import { requestPersistentStorage } from '../device/persistentStorage';
import { type ClockCorrection, ServerClock, serverTimeFrom } from '../device/ServerClock';
import { appendClockCorrection } from '../sync/appendClockCorrection';
import type { CheckinsReplica } from '../sync/CheckinsReplica';
import type { DocumentReplica } from '../sync/DocumentReplica';
import { type LiveDays, undeliveredDaysKey } from '../sync/LiveDays';
import { retryWithFreshToken, watchedToken } from '../sync/openSyncSocket';
import { RefusalRecovery } from '../sync/RefusalRecovery';
import { SiteConnection } from '../sync/SiteConnection';
import { ApiRefusal, succeeded } from './ApiRefusal';
import { deleteDatabases, ownCopiesClosed } from './deleteDatabases';
import {
  SignedOutError,
  SiteSwitchError,
  type StaffIdentity,
  type StaffSession,
} from './StaffSession';

export type { SiteSummary };

/** What the dashboard shows about its connection. */
export interface DashboardStatus {
  /** Every open document is in sync with the server and the browser is online: "LIVE". */
  readonly live: boolean;
  /** When the numbers were last known complete (ms), if ever: "as of 10:42" while not live. */
  readonly asOf: number | null;
  /** Corrections made here that the server has not acknowledged yet. */
  readonly pending: number;
  /** The server ended the session: sign in again. */
  readonly signedOut: boolean;
  /**
   * A sign-out is deleting what this phone kept (`deleting`), or waits for another tab that
   * holds a copy open (`blocked`): the screen says so instead of showing the sign-in form.
   */
  readonly signingOut: SigningOut | null;
}

/** What a sign-out in progress is waiting for (see `DashboardStatus.signingOut`). */
export type SigningOut = 'deleting' | 'blocked';

/** A kiosk as the server lists it (`GET /api/devices`). */
export type { DeviceInfo };

/** IndexedDB names of the dashboard's copies start with this (sign-out deletes them). */
export const DASHBOARD_STORAGE = 'headcount-dashboard';
const AS_OF = 'headcount.dashboard-as-of';
const SITE_CACHE = 'headcount.dashboard-settings';
const DEVICES_CACHE = 'headcount.dashboard-devices';
const STAFF_CACHE = 'headcount.dashboard-staff';
/** The chain overview as last fetched, with its server time (every site of the account). */
const OVERVIEW_CACHE = 'headcount.dashboard-overview';
/**
 * The sites this dashboard has shown since sign-in: each may have corrections waiting to sync
 * (`undeliveredDaysKey`), and a sign-out removes what it kept of every one of them.
 */
const VISITED = 'headcount.dashboard-sites';
/**
 * Set while a sign-out deletes what the phone kept, with the site's id: a page closed or
 * reloaded half-way finishes the sign-out when it starts again.
 */
const SIGNING_OUT = 'headcount.dashboard-signing-out';
/** How many feed items the dashboard derives (the feed screen shows them all). */
export const FEED_SIZE = 50;
/** How often the numbers are recomputed without new data (stays grow, visits auto-close), ms. */
const TICK_MS = 30_000;
const NO_MEMBERS: ReadonlyMap<string, Member> = new Map();

/**
 * Everything the staff dashboard does between its screens and the documents: the session, the
 * site document (settings), the roster documents the server writes ([D7]), today's and
 * yesterday's check-ins with one incremental ledger, staff corrections written as events, and
 * the JSON API for members, devices and reports.
 *
 * The numbers are derived here from the documents ([S1]–[S8]); the server sends no statistics.
 * Each change of a document updates the ledger by just the entries it added, then `stats` is
 * taken again — no full recompute — and a `change` event tells the screens.
 */
export class DashboardController extends EventTarget {
  readonly session: StaffSession;
  private readonly baseUrl: string;
  private readonly store: KeyValueStore;
  private readonly clock: ServerClock;
  private readonly keeper: ClockKeeper;
  /** Whether the documents were in sync at the last recompute: a reconnect measures the clock. */
  private wasSynced = false;
  private connection: SiteConnection | null = null;
  /** The site the documents open now are of (null while stopped). */
  private shownSite: string | null = null;
  /** The recompute due when an event dated just after now begins to count. */
  private soon: ReturnType<typeof setTimeout> | undefined;
  /** The sign-out in progress: it ends once nothing of the last user is left on the phone. */
  private leaving: Promise<void> | null = null;
  private signingOutNow: SigningOut | null = null;
  /** Closing the IndexedDB connections of the last connection stopped. */
  private closing: Promise<void> = Promise.resolve();
  /** Tells the other tabs of this dashboard that a sign-out is deleting the shared copies. */
  private readonly tabs: BroadcastChannel | null;
  /** Starts a refused day again from the server's copy, keeping every correction ([W5]). */
  private readonly recovery = new RefusalRecovery(async () => {
    await this.start();
    return this.connection?.days ?? null;
  });
  private tick: ReturnType<typeof setInterval> | undefined;
  private settingsNow: SiteSettings;
  private statsNow: DayStats | null = null;
  private asOfNow: number | null;
  private signedOut = false;
  private statusNow: DashboardStatus;
  private deviceList: readonly DeviceInfo[];
  private staffNames: Readonly<Record<string, string>>;
  private overviewNow: OverviewAnswer | null;
  private readonly storagePrefix: string;
  private readonly afterDenial = retryWithFreshToken({
    dropToken: () => this.session.dropToken(),
    token: () => this.tokenSource(),
    reconnect: () => this.start(),
  });
  private tokenSource: () => Promise<string> = async () => {
    throw new Error('the dashboard is not started');
  };

  private get site(): DocumentReplica | null {
    return this.connection?.site ?? null;
  }

  /** The day documents open now, yesterday first (diagnostics and tests). */
  get documents(): readonly CheckinsReplica[] {
    return this.live?.documents ?? [];
  }

  private get live(): LiveDays | null {
    return this.connection?.days ?? null;
  }

  constructor(options: {
    baseUrl: string;
    session: StaffSession;
    store: KeyValueStore;
    /** Prefix of IndexedDB names; default `headcount-dashboard` (tests keep theirs apart). */
    storagePrefix?: string;
  }) {
    super();
    this.baseUrl = options.baseUrl;
    this.storagePrefix = options.storagePrefix ?? DASHBOARD_STORAGE;
    this.session = options.session;
    this.store = options.store;
    this.clock = new ServerClock(options.store);
    this.keeper = new ClockKeeper({
      clock: this.clock,
      serverTime: serverTimeFrom(this.baseUrl),
      onCorrection: (correction) => this.correctClock(correction),
    });
    this.settingsNow = readJson<SiteSettings>(options.store, SITE_CACHE) ?? DEFAULT_SETTINGS;
    this.asOfNow = readJson<number>(options.store, AS_OF);
    this.deviceList = readJson<DeviceInfo[]>(options.store, DEVICES_CACHE) ?? [];
    this.staffNames = readJson<Record<string, string>>(options.store, STAFF_CACHE) ?? {};
    this.overviewNow = readJson<OverviewAnswer>(options.store, OVERVIEW_CACHE);
    // A sign-out that did not finish (the page was closed): `start()` finishes it.
    if (options.store.getItem(SIGNING_OUT) !== null) this.signingOutNow = 'deleting';
    this.statusNow = this.computeStatus();
    globalThis.addEventListener?.('online', () => {
      void this.connection?.socket.connect();
      this.changed();
    });
    globalThis.addEventListener?.('offline', () => this.changed());
    // Signed out in another tab of this browser: its data is being deleted, follow at once
    // (this tab's copies must close, and its screen must not show sign-in before they are gone).
    // Switched sites in another tab: this one follows, as a refresh would name that site anyway.
    globalThis.addEventListener?.('storage', (event: StorageEvent) => {
      if (!this.session.isSessionKey(event.key) || !this.live) return;
      if (this.session.staff === null) void this.signOut();
      else this.followSite();
    });
    this.tabs =
      typeof BroadcastChannel === 'function'
        ? new BroadcastChannel(`${this.storagePrefix}:sign-out`)
        : null;
    this.tabs?.addEventListener('message', () => {
      if (this.live) void this.signOut();
    });
  }

  /** The server this dashboard talks to: where the site's public page lives ([P1]). */
  get serverUrl(): string {
    return this.baseUrl;
  }

  /** The signed-in person; null from the moment a sign-out begins (see `status.signingOut`). */
  get staff(): StaffIdentity | null {
    return this.leaving || this.signingOutNow ? null : this.session.staff;
  }

  /**
   * Viewers see everything and change nothing (the server refuses their writes as well), and
   * nobody changes an archived site: its documents are read-only.
   */
  get canEdit(): boolean {
    const role = this.staff?.role;
    return (role === 'staff' || role === 'admin') && !this.currentSite?.archived;
  }

  /**
   * Every site the signed-in account may switch to, as last listed (known offline); the
   * dashboard offers a choice when there are two or more.
   */
  get sites(): readonly SiteSummary[] {
    return this.staff ? this.session.sites : [];
  }

  /** The site shown, as the list of sites describes it (null before the server listed any). */
  get currentSite(): SiteSummary | null {
    const siteId = this.staff?.siteId;
    return this.sites.find((site) => site.id === siteId) ?? null;
  }

  /** Fetches the account's sites (new ones, archived or restored ones); keeps the last offline. */
  async refreshSites(): Promise<void> {
    const answer = await this.api('GET', '/api/sites');
    if (answer.status !== 200) return;
    this.session.keepSites((answer.body as SitesAnswer).sites ?? []);
    this.changed();
  }

  /**
   * Shows `siteId` instead: the session is refreshed for that site (its tokens are for it from
   * then on, and after a reload), then the documents, numbers and lists start again for it.
   * Needs the network: offline it throws and nothing changes. It also throws when the server
   * answers for the account's own site instead (`SiteSwitchError`: that site is shown) or ended
   * the session (`SignedOutError`: the phone signs out).
   */
  async switchSite(siteId: string): Promise<void> {
    if (!this.staff) throw new SignedOutError('not signed in');
    if (siteId === this.shownSite && siteId === this.staff.siteId) return;
    try {
      await this.session.switchSite(siteId);
    } catch (error) {
      if (error instanceof SignedOutError) {
        this.signedOut = true;
        void this.signOut();
      }
      // The server answered for the account's own site instead: show that one if it differs.
      if (error instanceof SiteSwitchError) this.followSite();
      throw error;
    }
    this.leaveSite();
    await this.start();
  }

  get settings(): SiteSettings {
    return this.settingsNow;
  }

  /**
   * The members the site shown admits ([M5]), as its roster documents list them ([D7]): read
   * from this phone's copies at once, and following the server's changes while connected.
   */
  get members(): ReadonlyMap<string, Member> {
    return this.connection?.roster.members ?? NO_MEMBERS;
  }

  /** The day's numbers and feed as of the last change; null before the documents are read. */
  get stats(): DayStats | null {
    return this.statsNow;
  }

  /** The connection as of the last change (worked out once per change: screens read it often). */
  get status(): DashboardStatus {
    return this.statusNow;
  }

  private computeStatus(): DashboardStatus {
    // [B1] names the site and the open days; the roster only names people, and a sign-in
    // would wait for its 32 documents.
    const synced = (this.live?.synced ?? false) && (this.site?.connected ?? false);
    const live = synced && (globalThis.navigator?.onLine ?? true);
    if (live) {
      this.asOfNow = Date.now();
      writeJson(this.store, AS_OF, this.asOfNow);
    }
    return {
      live,
      asOf: this.asOfNow,
      pending: this.live?.pending ?? 0,
      signedOut: this.signedOut,
      signingOut: this.signingOutNow,
    };
  }

  /** The site's kiosks as last fetched (kept for offline use: the feed names kiosks with it). */
  get devices(): readonly DeviceInfo[] {
    return this.deviceList;
  }

  /**
   * What each connected kiosk still has to deliver, over every day it holds ([D6]), by device id,
   * as the kiosks announce it on today's document. A kiosk that is not connected is not listed
   * (its last sync is). Anything that is not a kiosk's typed status is ignored ([W6]).
   */
  kioskPending(): ReadonlyMap<string, KioskPresence> {
    const pending = new Map<string, KioskPresence>();
    for (const value of this.live?.documents.at(-1)?.announced(KIOSK_PRESENCE) ?? []) {
      const presence = readKioskPresence(value);
      if (presence) pending.set(presence.deviceId, presence);
    }
    return pending;
  }

  /** Fetches the kiosk list; keeps the last one when offline. */
  async refreshDevices(): Promise<void> {
    const siteId = this.staff?.siteId;
    const answer = await this.api('GET', '/api/devices');
    if (answer.status !== 200 || siteId !== this.staff?.siteId) return;
    // An admin is sent every site's kiosks: the screens show the kiosks of the site shown.
    this.deviceList = ((answer.body as DevicesAnswer).devices ?? []).filter(
      (device) => device.siteId === siteId,
    );
    writeJson(this.store, DEVICES_CACHE, this.deviceList);
    this.changed();
  }

  /** The username of a staff account, as last fetched (the audit list names who corrected). */
  staffName(id: string): string | null {
    return this.staffNames[id] ?? null;
  }

  /** Fetches the site's account names; keeps the last ones when offline. */
  async refreshStaff(): Promise<void> {
    const siteId = this.staff?.siteId;
    const answer = await this.api('GET', '/api/staff');
    // Switched sites while it was asked: the names are another site's.
    if (answer.status !== 200 || siteId !== this.staff?.siteId) return;
    const accounts = (answer.body as StaffListAnswer).staff ?? [];
    this.staffNames = Object.fromEntries(accounts.map((a) => [a.id, a.username]));
    writeJson(this.store, STAFF_CACHE, this.staffNames);
    this.changed();
  }

  /**
   * Each site's numbers and the chain's total as the server's record last gave them (kept for
   * offline use with their `asOf`); null before the first fetch.
   */
  get overview(): OverviewAnswer | null {
    return this.overviewNow;
  }

  /** Fetches the chain overview (`GET /api/sites/overview`); keeps the last one when offline. */
  async refreshOverview(): Promise<void> {
    const answer = await this.api('GET', '/api/sites/overview');
    if (answer.status !== 200 || !this.staff) return;
    this.overviewNow = answer.body as OverviewAnswer;
    writeJson(this.store, OVERVIEW_CACHE, this.overviewNow);
    this.changed();
  }

  /** One event of the loaded days by writer and id ([E2]). */
  event(ref: EventRef): CheckinEvent | undefined {
    return this.live?.ledger?.event(ref);
  }

  /** The events of the loaded days a void names (for the audit list, [V10]). */
  targetsOf(event: VoidEvent): CheckinEvent[] {
    return this.live?.ledger?.targetsOf(event) ?? [];
  }

  /** Every event of the loaded days, oldest first (the audit list filters staff corrections). */
  events(): CheckinEvent[] {
    return this.live?.ledger?.events() ?? [];
  }

  /**
   * Today's flags as of the last change and the problems of the open days, for "Needs attention"
   * ([E5]). Listing walks the whole day, so the screen asks only while it is shown; the header's
   * count comes from `stats` (`flagCounts`, `problemCount`) without listing.
   */
  attention(): { readonly flags: Flag[]; readonly problems: Problem[] } {
    const ledger = this.live?.ledger;
    const now = this.statsNow?.now;
    if (!ledger || now === undefined) return { flags: [], problems: [] };
    return { flags: ledger.flags(now), problems: ledger.problems() };
  }

  async signIn(username: string, password: string): Promise<void> {
    await this.leaving;
    await this.session.signIn(username, password);
    this.signedOut = false;
    await this.start();
  }

  /**
   * Chooses the password of a new or reset account with its set-up code, which signs its person
   * in ([C5]); then as after `signIn`. Throws `SignInError` as `StaffSession.setUp` does.
   */
  async setUp(code: string, password: string): Promise<void> {
    await this.leaving;
    await this.session.setUp(code, password);
    this.signedOut = false;
    await this.start();
  }

  /** Opens the documents of the signed-in site; they come from IndexedDB first, then sync. */
  async start(): Promise<void> {
    if (this.store.getItem(SIGNING_OUT) !== null) return this.signOut();
    const staff = this.staff;
    if (!staff) return this.changed();
    this.stop();
    // Offline, the last known offset (or device time, flagged untrusted) is used ([T1], [T5]).
    this.keeper.start();
    // Corrections made offline live in IndexedDB until they sync: ask the browser to keep it.
    void requestPersistentStorage();
    const watched = watchedToken(
      this.session.token,
      (error) => error instanceof SignedOutError,
      () => {
        // The server ended the session (signed out elsewhere, account disabled): the phone
        // forgets what it kept, as at a sign-out here.
        this.signedOut = true;
        void this.signOut();
      },
    );
    const token = async (): Promise<string> => {
      const fresh = await watched();
      // The refresh answered for another site (the one remembered here is no longer the
      // account's): the documents of this connection are not the ones to show.
      if (this.session.staff?.siteId !== staff.siteId) queueMicrotask(() => this.followSite());
      return fresh;
    };
    this.tokenSource = token;
    this.shownSite = staff.siteId;
    const visited = readJson<string[]>(this.store, VISITED) ?? [];
    if (!visited.includes(staff.siteId)) writeJson(this.store, VISITED, [...visited, staff.siteId]);
    const connection = new SiteConnection({
      baseUrl: this.baseUrl,
      siteId: staff.siteId,
      writer: `staff:${staff.id}`,
      storagePrefix: this.storagePrefix,
      store: this.store,
      token,
      onSiteChange: () => this.readSite(),
      onDaysChange: () => this.recompute(),
      // The feed and the list of who is in name members from the roster.
      onRosterChange: () => this.recompute(),
      // The server refused the token in memory (account disabled, session ended): a refresh
      // finds out for good, or reconnects with a new token.
      onDenied: () => void this.afterDenial(),
      // An admin archived the site shown: it is read-only from now on, as the list will say.
      onClosed: (reason) => {
        if (reason === 'site-archived') void this.refreshSites().catch(() => {});
      },
      onRefused: (replica) => void this.recovery.recover(replica),
    });
    this.connection = connection;
    connection.days.open(this.localDay(), this.settingsNow);
    this.tick = setInterval(() => this.followTheDay(), TICK_MS);
    await connection.loaded();
    this.recompute();
  }

  stop(): void {
    clearInterval(this.tick);
    this.keeper.stop();
    clearTimeout(this.soon);
    if (this.connection) this.closing = this.connection.close();
    this.connection = null;
    this.shownSite = null;
    this.statsNow = null;
    this.changed();
  }

  /**
   * Ends the session and deletes everything this dashboard kept on the phone (here, or following
   * a sign-out in another tab). Resolves, and `status.signingOut` goes back to null so the
   * sign-in screen shows, only once every database and stored item is gone: no timeout gives up
   * on a deletion that another tab blocks, the screen asks to close that tab instead.
   */
  signOut(): Promise<void> {
    this.leaving ??= this.leave().finally(() => {
      this.leaving = null;
      this.changed();
    });
    return this.leaving;
  }

  private async leave(): Promise<void> {
    const siteId =
      this.session.staff?.siteId ??
      readJson<{ siteId: string | null }>(this.store, SIGNING_OUT)?.siteId ??
      null;
    writeJson(this.store, SIGNING_OUT, { siteId });
    this.signingOutNow = 'deleting';
    const known = this.copies();
    this.stop();
    // Forgets the credential at once; the server is told when it can be reached.
    const ended = this.session.signOut();
    this.forget(siteId);
    // Other tabs close their copies and follow; y-indexeddb also closes a connection when a
    // deletion asks it to (`versionchange`), so only a tab that cannot answer blocks.
    this.tabs?.postMessage('signing-out');
    await ownCopiesClosed(this.closing);
    await deleteDatabases(this.storagePrefix, known, (blocked) => {
      if (blocked) this.tabs?.postMessage('signing-out');
      this.signingOutNow = blocked ? 'blocked' : 'deleting';
      this.changed();
    });
    await ended;
    this.forget(siteId);
    this.store.removeItem(SIGNING_OUT);
    this.signingOutNow = null;
  }

  /** The IndexedDB names of the copies open now (for browsers that cannot list databases). */
  private copies(): string[] {
    const connection = this.connection;
    if (!connection) return [];
    const { site, days } = connection;
    const names = [site, ...days.documents, ...days.delivering].map((replica) => replica.name);
    // The roster copies, named after their documents like every other (deleting a name never
    // opened is harmless).
    const siteId = this.shownSite;
    if (siteId !== null) names.push(...rosterDocNames(siteId));
    return names.map((name) => `${this.storagePrefix}:${name}`);
  }

  /**
   * Forgets what this dashboard showed and every item it stored about the site (the session
   * itself is forgotten by `session.signOut()`).
   */
  private forget(siteId: string | null): void {
    for (const key of [AS_OF, SITE_CACHE, DEVICES_CACHE, STAFF_CACHE, OVERVIEW_CACHE])
      this.store.removeItem(key);
    const visited = readJson<string[]>(this.store, VISITED) ?? [];
    for (const id of new Set(siteId === null ? visited : [...visited, siteId]))
      this.store.removeItem(undeliveredDaysKey(this.storagePrefix, id));
    this.store.removeItem(VISITED);
    this.deviceList = [];
    this.staffNames = {};
    this.overviewNow = null;
    this.asOfNow = null;
    this.settingsNow = DEFAULT_SETTINGS;
    this.changed();
  }

  /**
   * The identity names another site than the one shown (switched in another tab, or the server
   * answered for another): show that one, with a token for it.
   */
  private followSite(): void {
    const staff = this.staff;
    if (!staff || this.shownSite === null || staff.siteId === this.shownSite) return;
    // The token in memory is for the site shown until now.
    this.session.dropToken();
    this.leaveSite();
    void this.start();
  }

  /**
   * Forgets what the screens showed of the last site (its numbers, kiosks, names, "as of"), and
   * starts the next from what the list of sites says of it until its own document is read.
   * Corrections waiting to sync there stay on the phone: they are sent when it is shown again.
   */
  private leaveSite(): void {
    this.stop();
    const next = this.currentSite;
    this.settingsNow = next
      ? { ...DEFAULT_SETTINGS, name: next.name, timeZone: next.timeZone }
      : DEFAULT_SETTINGS;
    writeJson(this.store, SITE_CACHE, this.settingsNow);
    for (const key of [AS_OF, DEVICES_CACHE, STAFF_CACHE]) this.store.removeItem(key);
    this.asOfNow = null;
    this.deviceList = [];
    this.staffNames = {};
    this.changed();
  }

  // Corrections: events in this staff member's own array, like any kiosk's ([E6]).

  checkIn(memberId: string): EventId {
    return this.write({ kind: 'checkIn', memberId });
  }

  checkOut(memberId: string): EventId {
    return this.write({ kind: 'checkOut', memberId });
  }

  checkOutEveryone(): EventId {
    return this.write({ kind: 'checkOutAll' });
  }

  /** Voids the event `target` names: a writer and an id, as feed items give it ([V10]). */
  voidEvent(target: EventRef, reason: string): EventId {
    const trimmed = reason.trim();
    if (trimmed.length === 0) throw new RangeError('a reason is required');
    const named = parseEventRef(target);
    if (!named) throw new RangeError(`not an event ref: ${JSON.stringify(target)}`);
    return this.write({
      kind: 'void',
      targetId: named.id,
      targetWriter: named.writer,
      reason: trimmed.slice(0, 200),
    });
  }

  // Members: the server keeps them ([M4]) and lists them in the roster documents ([D7]), so a
  // change is a call to the API, and `members` shows it once the roster documents sync it.

  /**
   * Adds or changes `member` through the server, which checks what only it knows (codes unique
   * in the chain, the home site exists, a staff account changes only its own site's members).
   * Resolves with the member as stored; throws `ApiRefusal` with the server's reason, or the
   * network's error offline (nothing is queued: the server must agree first).
   */
  async saveMember(member: Member): Promise<Member> {
    const path = `/api/members/${encodeURIComponent(member.id)}`;
    const answer = await this.api('PUT', path, member);
    if (!succeeded(answer)) throw new ApiRefusal(answer);
    return (answer.body as MemberAnswer).member as Member;
  }

  /**
   * What importing `rows` would change, as the server counts it against the chain's members,
   * with every line it refuses and why ([M1]): nothing is written.
   */
  previewImport(rows: readonly MemberCsvRow[]): Promise<MemberImportAnswer> {
    return this.importMembers(rows, false);
  }

  /**
   * Writes the valid rows of an import; the lines the server refuses are reported as in the
   * preview. Rows the file repeats unchanged change nothing ([M2]), so after an interruption
   * importing the same file again finishes it.
   */
  applyImport(rows: readonly MemberCsvRow[]): Promise<MemberImportAnswer> {
    return this.importMembers(rows, true);
  }

  /**
   * The members to export ([M4]): for an admin the whole chain, or the members whose home is
   * `homeSite`; for staff and viewers the members their site admits.
   */
  async exportMembers(homeSite?: string): Promise<Member[]> {
    const query = homeSite === undefined ? '' : `?homeSite=${encodeURIComponent(homeSite)}`;
    const answer = await this.api('GET', `/api/members${query}`);
    if (!succeeded(answer)) throw new ApiRefusal(answer);
    return (answer.body as MembersAnswer).members as Member[];
  }

  /** One request per `MAX_IMPORT_BATCH` rows (the server's limit), the answers summed. */
  private async importMembers(
    rows: readonly MemberCsvRow[],
    apply: boolean,
  ): Promise<MemberImportAnswer> {
    const total = {
      added: 0,
      changed: 0,
      unchanged: 0,
      errors: [] as MemberImportAnswer['errors'],
    };
    let applied = apply;
    for (let start = 0; start < rows.length; start += MAX_IMPORT_BATCH) {
      const batch = rows
        .slice(start, start + MAX_IMPORT_BATCH)
        .map(({ line, member }) => ({ line, member }));
      const answer = await this.api('POST', '/api/members/import', { rows: batch, apply });
      if (!succeeded(answer)) throw new ApiRefusal(answer);
      const part = answer.body as MemberImportAnswer;
      total.added += part.added;
      total.changed += part.changed;
      total.unchanged += part.unchanged;
      total.errors.push(...part.errors);
      applied &&= part.applied;
    }
    return { ...total, applied };
  }

  saveSettings(changes: Partial<SiteSettings>): void {
    this.requireEdit();
    if (this.site) writeSettings(this.site.doc, changes);
  }

  /** A call to the JSON API with this session's token. */
  async api(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    return apiRequest(this.baseUrl, method, path, {
      token: await this.session.token(),
      ...(body === undefined ? {} : { body }),
    });
  }

  private write(event: NewEvent): EventId {
    this.requireEdit();
    const staff = this.staff;
    this.followTheDay();
    const today = this.live?.documents.at(-1);
    if (!staff || !today) throw new Error('the dashboard is not started');
    const reading = this.clock.now();
    const id = newEventId(reading.deviceTime);
    recordEvent(today.doc, { role: 'staff', id: staff.id }, event, {
      id,
      at: reading.at,
      clockTrusted: reading.trusted,
      method: 'staff',
      ...(reading.segment === undefined ? {} : { segment: reading.segment }),
    });
    this.clock.noteRecorded(reading, today.day);
    return id;
  }

  /**
   * The clock was measured after corrections were recorded on a guess: append the clock entry
   * that re-times them, in this staff member's own array of each day that holds them ([T5]).
   */
  private correctClock(correction: ClockCorrection): void {
    const staff = this.staff;
    const live = this.live;
    if (!staff || !this.canEdit || !live) return;
    appendClockCorrection(
      [...live.documents, ...live.delivering],
      { role: 'staff', id: staff.id },
      correction,
      this.clock.now(),
    );
  }

  private requireEdit(): void {
    if (this.currentSite?.archived)
      throw new Error('this site is archived: its records can be read, not changed');
    if (!this.canEdit) throw new Error('a viewer account cannot change anything');
  }

  private localDay(): string {
    return localDayOf(this.clock.now().at, this.settingsNow.timeZone);
  }

  /** Opens the new day after midnight (or after the site's zone changed), then recomputes. */
  private followTheDay(): void {
    const day = this.localDay();
    if (this.live && this.live.today !== day) this.live.open(day, this.settingsNow);
    else this.recompute();
  }

  private readSite(): void {
    if (!this.site) return;
    const before = this.settingsNow;
    // A copy with no settings yet (a site this phone has not synced) says nothing of them: the
    // zone the list of sites gave stays until the server's arrive, so the days opened for it
    // are not closed and opened again a moment later.
    if (this.site.doc.getMap(SETTINGS_MAP).size > 0) {
      this.settingsNow = readSettings(this.site.doc).settings;
      writeJson(this.store, SITE_CACHE, this.settingsNow);
    }
    // Settings shape the day (zone, max stay, closing, debounce): a new ledger when they change.
    const shape = (s: SiteSettings) =>
      [s.timeZone, s.maxStayMinutes, s.closingTime, s.debounceSeconds].join('|');
    if (this.live && shape(this.settingsNow) !== shape(before))
      this.live.open(this.localDay(), this.settingsNow);
    else this.recompute();
  }

  private recompute(): void {
    const ledger = this.live?.ledger;
    const now = this.clock.now().at;
    this.statsNow = ledger
      ? ledger.stats(now, { roster: this.members, feedSize: FEED_SIZE })
      : null;
    // A check-in dated a moment ahead of this phone's clock (clocks differ by up to seconds)
    // counts from its time: show it then, not up to a tick later.
    clearTimeout(this.soon);
    const next = ledger?.nextEventAfter(now) ?? null;
    if (next !== null && next - now <= FUTURE_TOLERANCE_MS) {
      this.soon = setTimeout(() => this.recompute(), next - now + 1);
    }
    this.changed();
  }

  private changed(): void {
    this.statusNow = this.computeStatus();
    if (this.statusNow.live && !this.wasSynced) void this.keeper.measure();
    this.wasSynced = this.statusNow.live;
    this.dispatchEvent(new Event('change'));
  }
}
