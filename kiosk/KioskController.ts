import { recordEvent } from '../shared/checkinsDoc';
import { decideScan, type ScanDecision } from '../shared/decideScan';
import { newEventId } from '../shared/eventId';
import type { Method, NewEvent } from '../shared/events';
import { KIOSK_PRESENCE, type KioskPresence } from '../shared/kioskPresence';
import { localDayOf } from '../shared/localTime';
import type { Member } from '../shared/member';
import { DEFAULT_SETTINGS, readSettings, type SiteSettings } from '../shared/siteDoc';
import { ClockKeeper, type DeviceClock } from './device/ClockKeeper';
import {
  type DeviceAuth,
  DeviceRevokedError,
  SiteArchivedError,
  TokenUnavailableError,
} from './device/DeviceAuth';
import { type KeyValueStore, readJson, writeJson } from './device/KeyValueStore';
import { requestPersistentStorage, type StorageState } from './device/persistentStorage';
import { type ClockCorrection, ServerClock, serverTimeFrom } from './device/ServerClock';
import { type SearchHit, searchMembers } from './memberSearch';
import { appendClockCorrection } from './sync/appendClockCorrection';
import type { CheckinsReplica } from './sync/CheckinsReplica';
import type { DocumentReplica } from './sync/DocumentReplica';
import type { LiveDays } from './sync/LiveDays';
import { retryWithFreshToken, watchedToken } from './sync/openSyncSocket';
import { RefusalRecovery } from './sync/RefusalRecovery';
import { SiteConnection } from './sync/SiteConnection';

/** What the kiosk shows about its connection, in its status strip. */
export interface KioskStatus {
  readonly paired: boolean;
  readonly online: boolean;
  /** This tablet's check-ins the server has not acknowledged, whatever their day ([D6]). */
  readonly pending: number;
  /** When the oldest of them was recorded (ms); null when none waits. */
  readonly oldestPendingAt: number | null;
  /** Of `pending`, those in days the server no longer takes from a kiosk ([W3]): staff must know. */
  readonly tooOld: number;
  readonly revoked: boolean;
  /**
   * The site is archived: the tablet takes no check-ins, stays paired, keeps what it holds
   * (counted in `pending`) and asks the server again now and then, to deliver once restored.
   */
  readonly archived: boolean;
  /** Another tab of this browser owns the kiosk; this one must not write. */
  readonly elsewhere: boolean;
  /** When the server last held everything this tablet recorded (ms), if ever. */
  readonly lastSyncedAt: number | null;
  /** Whether this tablet has had its site's whole member list since it was paired ([K3]). */
  readonly rosterComplete: boolean;
}

/** The result of one identification at the door, for the screen. */
export interface ScanResult {
  readonly decision: ScanDecision;
  /** First name only: a public screen shows the minimum (GDPR art. 5, data minimisation). */
  readonly firstName: string | null;
}

const SITE_CACHE = 'headcount.site-settings';
/** The site whose whole roster this tablet has had at least once ([K3]): kept across reloads. */
const ROSTER_COMPLETE = 'headcount.roster-complete';
/** Set while the site is archived: a reload, offline too, still takes no check-ins. */
const ARCHIVED = 'headcount.site-archived';
/** When the server last held everything this tablet recorded, server-corrected ms. */
const LAST_SYNCED = 'headcount.last-synced';
/** How often that time is written down while in sync, ms: a reload shows it within this much. */
const LAST_SYNCED_SAVE_MS = 30_000;
/** How soon after a change the tablet tells dashboards its unsynced count, ms. */
const ANNOUNCE_AFTER_MS = 500;

/** The corrected clock the kiosk records with (a `ServerClock`; tests pass a controlled one). */
export type KioskClock = DeviceClock;

/**
 * Everything a kiosk does between the screen and the documents: pairing, the site's settings,
 * the members it may check in (the roster documents, [D7]), today's (and yesterday's) check-ins document, the day's ledger for the decision at
 * the door, recording events with a corrected clock, and the status strip. Works offline from
 * the first scan: every write goes to the local document first.
 */
export class KioskController extends EventTarget {
  private readonly auth: DeviceAuth;
  private readonly store: KeyValueStore;
  private readonly clock: KioskClock;
  private readonly keeper: ClockKeeper;
  /** Whether the documents were in sync at the last change: a reconnect measures the clock. */
  private wasSynced = false;
  private dayTimer: ReturnType<typeof setInterval> | undefined;
  private readonly baseUrl: string;
  private connection: SiteConnection | null = null;
  private settings: SiteSettings;
  private revoked = false;
  private archived: boolean;
  private elsewhere = false;
  private lastSyncedAt: number | null = null;
  private lastSavedSyncAt = 0;
  /** The member's last check-in or check-out on this kiosk, which they may still switch. */
  private last: {
    id: string;
    member: Member;
    kind: 'checkIn' | 'checkOut';
    method: Method;
  } | null = null;
  /** Starts a refused day again from the server's copy, keeping every scan ([W5]). */
  private readonly recovery = new RefusalRecovery(async () => {
    await this.start();
    return this.live;
  });
  private readonly afterDenial = retryWithFreshToken({
    dropToken: () => this.auth.dropToken(),
    token: () => this.tokenSource(),
    reconnect: () => this.start(),
    // Only the token endpoint's answer that this tablet is revoked or unknown unpairs it (see
    // `DeviceAuth.token`); a proxy's error or the network means asking again later, with backoff.
    retryAfter: (error) => (error instanceof TokenUnavailableError ? error.retryInMs : null),
  });
  /** The token function the documents use (it marks the tablet revoked when refused). */
  private tokenSource: () => Promise<string> = async () => {
    throw new Error('the kiosk is not started');
  };
  private announced: { replica: CheckinsReplica; key: string } | null = null;
  /** What the browser granted for this tablet's storage, once asked. */
  private storage: StorageState | null = null;
  private announceTimer: ReturnType<typeof setTimeout> | undefined;

  private get site(): DocumentReplica | null {
    return this.connection?.site ?? null;
  }

  private get live(): LiveDays | null {
    return this.connection?.days ?? null;
  }

  constructor(options: {
    baseUrl: string;
    auth: DeviceAuth;
    store: KeyValueStore;
    clock?: KioskClock;
  }) {
    super();
    globalThis.addEventListener?.('online', () => {
      void this.connection?.socket.connect();
      this.changed();
    });
    globalThis.addEventListener?.('offline', () => this.changed());
    this.baseUrl = options.baseUrl;
    this.auth = options.auth;
    this.store = options.store;
    this.clock = options.clock ?? new ServerClock(options.store);
    this.keeper = new ClockKeeper({
      clock: this.clock,
      serverTime: serverTimeFrom(this.baseUrl),
      onCorrection: (correction) => this.correctClock(correction),
    });
    this.settings = readJson<SiteSettings>(options.store, SITE_CACHE) ?? DEFAULT_SETTINGS;
    this.archived = options.store.getItem(ARCHIVED) !== null;
    // The last sync it really had, across reloads (an offline reload is not "never synced").
    const lastSynced = readJson<unknown>(options.store, LAST_SYNCED);
    this.lastSyncedAt =
      typeof lastSynced === 'number' && Number.isFinite(lastSynced) ? lastSynced : null;
    this.lastSavedSyncAt = this.lastSyncedAt ?? 0;
  }

  /**
   * The status strip. "Online" needs both the browser's network state and synced documents: an
   * open websocket can look connected for a while after the network is gone. The roster counts
   * once it has synced since the kiosk started: until then a member added or frozen a moment ago
   * may still be decided on from the tablet's older copy ([M6]).
   */
  get status(): KioskStatus {
    const backlog = this.live?.backlogState() ?? { pending: 0, oldestAt: null, tooOld: 0 };
    const pending = backlog.pending;
    const synced = (this.live?.synced ?? false) && (this.connection?.roster.synced ?? false);
    this.noteServed();
    if (synced && pending === 0) {
      // Server-corrected: a tablet whose own clock is wrong must not show its wrong time.
      this.lastSyncedAt = this.clock.now().at;
      if (this.lastSyncedAt - this.lastSavedSyncAt >= LAST_SYNCED_SAVE_MS) {
        this.lastSavedSyncAt = this.lastSyncedAt;
        writeJson(this.store, LAST_SYNCED, this.lastSyncedAt);
      }
    }
    return {
      paired: this.auth.credential !== null,
      online: synced && (globalThis.navigator?.onLine ?? true),
      pending,
      oldestPendingAt: backlog.oldestAt,
      tooOld: backlog.tooOld,
      revoked: this.revoked,
      archived: this.archived,
      elsewhere: this.elsewhere,
      lastSyncedAt: this.lastSyncedAt,
      rosterComplete: this.rosterComplete,
    };
  }

  /**
   * Whether the site's whole roster has reached this tablet at least once ([K3]): every roster
   * document synced since it started, or remembered from an earlier start at the same site
   * (offline reloads keep their copy in IndexedDB).
   */
  private get rosterComplete(): boolean {
    const siteId = this.auth.credential?.siteId;
    if (siteId === undefined) return false;
    if (this.store.getItem(ROSTER_COMPLETE) === siteId) return true;
    if (!(this.connection?.roster.synced ?? false)) return false;
    this.store.setItem(ROSTER_COMPLETE, siteId);
    return true;
  }

  /** Name search on the kiosk, over the members it may check in ([D7]): first name and last initial only. */
  search(query: string): SearchHit[] {
    return searchMembers(this.connection?.roster.members.values() ?? [], query);
  }

  get deviceName(): string | null {
    return this.auth.credential?.name ?? null;
  }

  /**
   * Starts the kiosk if no other tab of this browser has: y-indexeddb does not sync two tabs
   * live, so two owners would decide from different views and could record a member twice. The
   * Web Lock is held for the life of the page and passes to a waiting tab when this one closes.
   */
  async startAsOwner(): Promise<void> {
    if (!('locks' in navigator)) return this.start();
    const acquired = new Promise<boolean>((resolve) => {
      void navigator.locks.request('headcount-kiosk', { ifAvailable: true }, async (lock) => {
        resolve(lock !== null);
        if (lock) await new Promise(() => {});
      });
    });
    if (await acquired) return this.start();
    this.elsewhere = true;
    this.changed();
  }

  async pair(code: string): Promise<void> {
    await this.auth.pair(code);
    this.revoked = false;
    // Paired anew (perhaps to another site): the server says again if it is archived.
    this.archived = false;
    this.store.removeItem(ARCHIVED);
    await this.start();
  }

  /** Opens the documents of a paired tablet; safe to call again (after pairing or midnight). */
  async start(): Promise<void> {
    const credential = this.auth.credential;
    if (!credential) return this.changed();
    this.stop();
    // Offline, the last known offset (or device time, flagged untrusted) is used ([T1], [T5]).
    this.keeper.start();
    // Unsynced check-ins live in IndexedDB: ask the browser not to clear it, and tell staff.
    void requestPersistentStorage().then((state) => {
      this.storage = state;
      this.announced = null;
      this.changed();
    });
    const watched = watchedToken(
      this.auth.token,
      (error) => error instanceof DeviceRevokedError,
      () => {
        this.revoked = true;
        this.changed();
      },
    );
    const token = async (): Promise<string> => {
      try {
        return await watched();
      } catch (error) {
        if (error instanceof SiteArchivedError) this.noteArchived();
        throw error;
      }
    };
    this.tokenSource = token;
    this.connection = new SiteConnection({
      baseUrl: this.baseUrl,
      siteId: credential.siteId,
      writer: `kiosk:${credential.deviceId}`,
      storagePrefix: 'headcount',
      store: this.store,
      token,
      onSiteChange: () => this.readSettings(),
      onRosterChange: () => this.changed(),
      onDaysChange: () => this.changed(),
      // Revoked while connected: the server closed the sockets, and refuses the cached token
      // when they reconnect. Asking for a new token finds out at once (and says so on screen).
      // Archived: the token endpoint refuses too, and is asked again with a long backoff.
      onDenied: (reason) => {
        if (reason === 'site-archived') this.noteArchived();
        void this.afterDenial();
      },
      // Archived while connected: the server closes the socket saying so, then refuses it.
      onClosed: (reason) => {
        if (reason === 'site-archived') this.noteArchived();
      },
      onRefused: (replica) => void this.recovery.recover(replica),
    });
    this.openDays(localDayOf(this.clock.now().at, this.settings.timeZone));
    // A kiosk runs for days: look for midnight twice a minute (a scan checks too).
    this.dayTimer = setInterval(() => this.followTheDay(), 30_000);
    await this.connection.loaded();
    this.changed();
  }

  /** The site's time zone as this kiosk knows it (from the site document, cached offline). */
  get timeZone(): string {
    return this.settings.timeZone;
  }

  /** How often a refused update was recovered from (diagnostics and tests). */
  get recoveries(): number {
    return this.recovery.recoveries;
  }

  /** The day documents open now, yesterday first (diagnostics and tests). */
  get documents(): readonly CheckinsReplica[] {
    return this.live?.documents ?? [];
  }

  /** The local day whose document the kiosk writes into. */
  get today(): string | null {
    return this.live?.today ?? null;
  }

  /** Opens `today` and the day before (see `LiveDays.open`) with a fresh ledger over both. */
  private openDays(today: string): void {
    this.live?.open(today, this.settings);
  }

  private followTheDay(): void {
    const day = localDayOf(this.clock.now().at, this.settings.timeZone);
    if (this.today !== null && day !== this.today) this.openDays(day);
  }

  stop(): void {
    clearInterval(this.dayTimer);
    this.keeper.stop();
    this.connection?.close();
    this.connection = null;
  }

  /** Decides and records what a typed number, scanned code or chosen name means ([K1]–[K4]). */
  scan(input: string, method: Method): ScanResult {
    this.followTheDay();
    const ledger = this.live?.ledger;
    if (!ledger) throw new Error('the kiosk is not started');
    const { at } = this.clock.now();
    // The site's and the chain's roster documents ([D7]): a member the site does not admit is
    // not in them, and is denied as unknown here ([M5], [K4]).
    const roster = this.connection?.roster;
    const member = roster?.members.get(input) ?? roster?.byCode.get(input);
    const stats = ledger.stats(at, { feedSize: 0 });
    const decision = decideScan({
      member,
      rosterComplete: this.rosterComplete,
      presence: ledger.presenceOf(member?.id ?? '', at),
      now: at,
      today: localDayOf(at, this.settings.timeZone),
      policy: this.settings.alertPolicy,
      occupancy: { count: stats.currentlyIn.length, capacity: this.settings.capacity },
      debounceMs: this.settings.debounceSeconds * 1000,
    });
    const event = eventFor(decision, member, input);
    const id = event ? this.write(event, method) : null;
    this.last =
      id && member && (event?.kind === 'checkIn' || event?.kind === 'checkOut')
        ? { id, member, kind: event.kind, method }
        : null;
    return { decision, firstName: member ? firstNameOf(member) : null };
  }

  /** True while the member who just checked in or out may still switch ([K5]). */
  get canSwitch(): boolean {
    return this.last !== null;
  }

  /**
   * The member says the kiosk guessed wrong ([K1]): records the opposite event naming the one it
   * replaces ([K5]), and returns what to show instead.
   */
  switchLast(): ScanResult | null {
    const last = this.last;
    if (!last) return null;
    const kind = last.kind === 'checkIn' ? 'checkOut' : 'checkIn';
    const id = this.write({ kind, memberId: last.member.id, corrects: last.id }, last.method);
    this.last = null;
    const { at } = this.clock.now();
    const visit = this.live?.ledger?.visits().find((v) => v.checkOutId === id);
    const decision: ScanDecision =
      kind === 'checkIn'
        ? { action: 'check-in', alerts: [] }
        : { action: 'check-out', since: visit?.start ?? at, stayMs: visit ? at - visit.start : 0 };
    return { decision, firstName: firstNameOf(last.member) };
  }

  private write(event: NewEvent, method: Method): string {
    const today = this.documents[this.documents.length - 1];
    const credential = this.auth.credential;
    if (!today || !credential) throw new Error('the kiosk is not started');
    const reading = this.clock.now();
    const id = newEventId(reading.deviceTime);
    recordEvent(today.doc, { role: 'kiosk', id: credential.deviceId }, event, {
      id,
      at: reading.at,
      clockTrusted: reading.trusted,
      method,
      ...(reading.segment === undefined ? {} : { segment: reading.segment }),
    });
    this.clock.noteRecorded(reading, today.day);
    return id;
  }

  /**
   * The clock was measured after entries of its segment were recorded on a guess: append the
   * clock entry that re-times them, in each day's document that holds them ([T5]). A day no
   * longer open keeps its recorded times (SPEC: when the correction never comes).
   */
  private correctClock(correction: ClockCorrection): void {
    const credential = this.auth.credential;
    if (!credential || !this.live) return;
    appendClockCorrection(
      [...this.live.documents, ...this.live.delivering],
      { role: 'kiosk', id: credential.deviceId },
      correction,
      this.clock.now(),
    );
  }

  private readSettings(): void {
    if (!this.site) return;
    const { settings } = readSettings(this.site.doc);
    this.settings = settings;
    writeJson(this.store, SITE_CACHE, settings);
    this.changed();
  }

  /** The server said the site is archived: the screen says so and takes no check-ins. */
  private noteArchived(): void {
    // A late refusal of a connection already replaced says nothing once the site is served.
    if (this.archived || this.site?.connected) return;
    this.archived = true;
    this.store.setItem(ARCHIVED, 'true');
    this.changed();
  }

  /** The server serves the site document again: the site was restored. */
  private noteServed(): void {
    if (!this.archived || !this.site?.connected) return;
    this.archived = false;
    this.store.removeItem(ARCHIVED);
  }

  private changed(): void {
    this.noteServed();
    const synced = this.live?.synced ?? false;
    if (synced && !this.wasSynced) void this.keeper.measure();
    this.wasSynced = synced;
    // Not on the tap's path: counting unsynced entries can wait a moment, the screen cannot.
    this.announceTimer ??= setTimeout(() => {
      this.announceTimer = undefined;
      this.announce();
    }, ANNOUNCE_AFTER_MS);
    this.dispatchEvent(new Event('change'));
  }

  /**
   * Tells staff dashboards how many check-ins this tablet still has to deliver (awareness on
   * today's document: live while connected, never stored). Only when the number changes.
   */
  private announce(): void {
    const today = this.documents[this.documents.length - 1];
    const deviceId = this.auth.credential?.deviceId;
    if (!today || !deviceId) return;
    const { pending, oldestAt, tooOld } = this.live?.backlogState() ?? {
      pending: 0,
      oldestAt: null,
      tooOld: 0,
    };
    const key = `${pending}/${oldestAt}/${tooOld}`;
    if (this.announced?.replica === today && this.announced.key === key) return;
    this.announced = { replica: today, key };
    const presence: KioskPresence = {
      deviceId,
      pending,
      appVersion: this.auth.appVersion,
      ...(oldestAt === null ? {} : { oldestPendingAt: oldestAt }),
      ...(tooOld === 0 ? {} : { tooOld }),
      ...(this.storage ? storageFields(this.storage) : {}),
    };
    today.announce(KIOSK_PRESENCE, presence);
  }
}

/** A tablet's storage as it announces it (fields left out when the browser does not say). */
function storageFields(state: StorageState): Partial<KioskPresence> {
  return {
    storage: state.kind,
    ...(state.quotaBytes === null ? {} : { quotaBytes: Math.round(state.quotaBytes) }),
    ...(state.usageBytes === null ? {} : { usageBytes: Math.round(state.usageBytes) }),
  };
}

function firstNameOf(member: Member): string {
  return member.name.split(/\s+/)[0] ?? member.name;
}

function eventFor(
  decision: ScanDecision,
  member: Member | undefined,
  input: string,
): NewEvent | null {
  switch (decision.action) {
    case 'check-in':
      return { kind: 'checkIn', memberId: (member as Member).id };
    case 'check-out':
      return { kind: 'checkOut', memberId: (member as Member).id };
    case 'deny':
      return member
        ? { kind: 'denied', memberId: member.id, reason: decision.reason }
        : { kind: 'denied', memberId: '', reason: decision.reason, code: input.slice(0, 64) };
    case 'already-in':
    case 'already-out':
    case 'roster-loading':
      return null;
  }
}
