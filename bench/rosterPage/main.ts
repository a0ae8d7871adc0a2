/**
 * The page `bench/roster.ts` drives in Chromium: what a kiosk opens for its roster ([D7]) — its
 * one websocket, the site document (with awareness: the socket's ping relies on one such
 * document) and `RosterReplicas`, the 32 roster documents over y-indexeddb and the Hocuspocus
 * provider — without the kiosk's screen. Hooks on `window` let the bench read what happened.
 *
 * `?site=<id>&prefix=<IndexedDB prefix>&expected=<members>[&offline=1]` starts it at once (the
 * page without `site` starts nothing: the heap baseline). `offline` points the socket at a port
 * where nobody answers, so the roster can only come from IndexedDB. The tokens come from the
 * bench's init script (`window.benchTokens`).
 */
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { DocumentReplica } from '../../kiosk/sync/DocumentReplica';
import { openSyncSocket } from '../../kiosk/sync/openSyncSocket';
import { RosterReplicas } from '../../kiosk/sync/RosterReplicas';
import { RosterUnion } from '../../kiosk/sync/RosterUnion';
import { siteDocName } from '../../shared/docName';
import type { Member } from '../../shared/member';
import { decodeRosterValue, ROSTER_MAP, rosterDocsOf } from '../../shared/rosterDoc';

/** Times are `performance.now()`: ms since the navigation started. */
export interface RosterPageState {
  /** This script started the replicas. */
  readonly openAt: number;
  /** `roster.loaded()` resolved: every copy read from IndexedDB. */
  loadedAt: number | null;
  membersAtLoad: number | null;
  /** The first `change` event (what the kiosk's screen hears). */
  firstChangeAt: number | null;
  /** The first `change` with every expected member: the roster is usable. */
  usableAt: number | null;
  /** The first `change` with every expected member and every document synced. */
  syncedAt: number | null;
  members: number;
  /** Longest gap between two 0-ms timers from the start until synced (online) or usable. */
  longestGap: number;
  /** The first and the latest websocket message, and how many came, since the start. */
  firstMessageAt: number | null;
  lastMessageAt: number | null;
  messages: number;
  /** Sockets opened, and how each one closed (a reconnect shows here). */
  opens: number[];
  closes: { at: number; code: number; reason: string }[];
  /**
   * The longest transaction of one roster document, ms: from its start until its last `update`
   * handler ran (Yjs applying it, the roster's observer, y-indexeddb storing it, the replica's
   * bookkeeping), all on the main thread in one task; and the document.
   */
  longestTransaction: number;
  longestTransactionDoc: string | null;
}

export interface ChangeSample {
  /** From the PUT's start, ms: its answer came. */
  readonly responded: number;
  /** The first websocket message for the member's roster document came. */
  readonly arrived: number | null;
  /** The roster's members held the new status (checked after each message). */
  readonly applied: number;
  /** `RosterReplicas` dispatched `change` with it (what the kiosk's screen hears). */
  readonly heard: number;
}

interface BenchWindow {
  benchTokens?: { kiosk: string; admin: string };
  benchReady?: boolean;
  benchState?: RosterPageState;
  benchStatusChange?: (member: Member) => Promise<ChangeSample>;
  benchStorage?: () => Promise<StorageFigures>;
  benchClose?: () => Promise<void>;
  benchShardCost?: () => ShardCost[];
}

/** One roster document's state applied to a fresh copy with the roster's own handlers. */
export interface ShardCost {
  readonly name: string;
  readonly members: number;
  readonly bytes: number;
  /** Median of 7, ms. */
  readonly ms: number;
}

export interface StorageFigures {
  readonly usage: number;
  readonly indexedDb: number;
  /** Every IndexedDB database with the bytes of its records (keys and values). */
  readonly databases: { name: string; bytes: number; records: number }[];
}

const w = window as unknown as BenchWindow;

/** Called with each websocket message as it reaches the page, before the provider sees it. */
let onMessage: ((at: number, data: unknown) => void) | null = null;
const Native = WebSocket;
window.WebSocket = class extends Native {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    this.addEventListener('open', () => w.benchState?.opens.push(performance.now()));
    this.addEventListener('close', (event) =>
      w.benchState?.closes.push({ at: performance.now(), code: event.code, reason: event.reason }),
    );
    // Added before the provider sets its handler, so it runs first for every message.
    this.addEventListener('message', (event) => {
      const at = performance.now();
      const state = w.benchState;
      if (state) {
        state.firstMessageAt ??= at;
        state.lastMessageAt = at;
        state.messages++;
      }
      onMessage?.(at, event.data);
    });
  }
};

/** The document a Hocuspocus message is for (its first field). */
function documentOf(data: unknown): string | null {
  if (!(data instanceof ArrayBuffer)) return null;
  try {
    return decoding.readVarString(decoding.createDecoder(new Uint8Array(data)));
  } catch {
    return null;
  }
}

w.benchStorage = async () => {
  const estimate = (await navigator.storage.estimate()) as StorageEstimate & {
    usageDetails?: { indexedDB?: number };
  };
  const size = (value: unknown): number =>
    value instanceof ArrayBuffer || ArrayBuffer.isView(value)
      ? value.byteLength
      : JSON.stringify(value ?? null).length;
  const databases: StorageFigures['databases'] = [];
  for (const { name } of await indexedDB.databases()) {
    if (!name) continue;
    const counted = await new Promise<{ bytes: number; records: number } | null>((resolve) => {
      const request = indexedDB.open(name);
      request.onupgradeneeded = () => request.transaction?.abort();
      request.onerror = () => resolve(null);
      request.onsuccess = () => {
        const db = request.result;
        const stores = [...db.objectStoreNames];
        if (stores.length === 0) {
          db.close();
          resolve({ bytes: 0, records: 0 });
          return;
        }
        let bytes = 0;
        let records = 0;
        const tx = db.transaction(stores, 'readonly');
        for (const store of stores) {
          const cursor = tx.objectStore(store).openCursor();
          cursor.onsuccess = () => {
            const at = cursor.result;
            if (!at) return;
            bytes += size(at.key) + size(at.value);
            records++;
            at.continue();
          };
        }
        tx.oncomplete = () => {
          db.close();
          resolve({ bytes, records });
        };
      };
    });
    if (counted) databases.push({ name, ...counted });
  }
  databases.sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    usage: estimate.usage ?? 0,
    indexedDb: estimate.usageDetails?.indexedDB ?? 0,
    databases,
  };
};

const params = new URLSearchParams(location.search);
const siteId = params.get('site');
// In a task of its own, as the kiosk starts its connection after its modules ran: a long task
// from here on is the roster's, not the script's evaluation.
if (siteId) setTimeout(() => start(siteId), 0);
w.benchReady = true;

function start(siteId: string): void {
  const prefix = params.get('prefix') ?? 'bench';
  const expected = Number(params.get('expected'));
  const offline = params.get('offline') === '1';
  const tokens = w.benchTokens;
  if (!tokens) throw new Error('no tokens: the bench sets window.benchTokens');
  const state: RosterPageState = {
    openAt: performance.now(),
    loadedAt: null,
    membersAtLoad: null,
    firstChangeAt: null,
    usableAt: null,
    syncedAt: null,
    members: 0,
    longestGap: 0,
    firstMessageAt: null,
    lastMessageAt: null,
    messages: 0,
    opens: [],
    closes: [],
    longestTransaction: 0,
    longestTransactionDoc: null,
  };
  w.benchState = state;
  const socket = openSyncSocket(offline ? 'http://127.0.0.1:9' : location.origin);
  const token = async () => tokens.kiosk;
  const siteName = siteDocName(siteId);
  const site = new DocumentReplica({
    name: siteName,
    socket,
    token,
    storageName: `${prefix}:${siteName}`,
  });
  const roster = new RosterReplicas({ siteId, socket, token, storagePrefix: prefix });
  // The replicas are private to the class; the bench reads them to time each transaction. The
  // listener added here runs after the replica's, y-indexeddb's and the provider's own.
  const replicas = (roster as unknown as { replicas: { name: string; doc: Y.Doc }[] }).replicas;
  for (const { name, doc } of replicas) {
    let began = 0;
    doc.on('beforeTransaction', () => {
      began = performance.now();
    });
    doc.on('update', () => {
      const took = performance.now() - began;
      if (took <= state.longestTransaction) return;
      state.longestTransaction = took;
      state.longestTransactionDoc = name;
    });
  }
  void roster.loaded().then(() => {
    state.loadedAt = performance.now();
    state.membersAtLoad = roster.members.size;
  });
  roster.addEventListener('change', () => {
    const at = performance.now();
    state.firstChangeAt ??= at;
    state.members = roster.members.size;
    if (state.members !== expected) return;
    state.usableAt ??= at;
    if (roster.synced) state.syncedAt ??= at;
  });

  // Bounded: stops once the roster is synced (online) or usable (offline), or after a minute.
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    state.longestGap = Math.max(state.longestGap, now - last);
    last = now;
    const done = offline ? state.usableAt !== null : state.syncedAt !== null;
    if (!done && now - state.openAt < 60_000) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);

  w.benchStatusChange = (member) => statusChange(roster, member, tokens.admin);
  w.benchShardCost = () => replicas.map(({ name, doc }) => shardCost(name, doc));
  w.benchClose = async () => {
    await Promise.all([roster.close(), site.destroy()]);
    socket.destroy();
  };
}

/**
 * What loading one roster document costs the main thread without IndexedDB and the network: its
 * state applied to a fresh document whose map is observed as `RosterReplicas` does (each value
 * decoded, the union updated) and which has an `update` listener (Yjs then encodes the update,
 * as it does for y-indexeddb and the provider). The median of 7 runs, so a moment when this
 * shared machine took the core away counts less.
 */
function shardCost(name: string, doc: Y.Doc): ShardCost {
  const state = Y.encodeStateAsUpdate(doc);
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const copy = new Y.Doc();
    const union = new RosterUnion([name]);
    copy.getMap<unknown>(ROSTER_MAP).observe((event) => {
      for (const id of event.keysChanged) {
        const value = event.target.get(id);
        const member = value === undefined ? undefined : decodeRosterValue(id, value);
        union.list(name, id, typeof member === 'string' ? undefined : member);
      }
    });
    copy.on('update', () => {});
    const t0 = performance.now();
    Y.applyUpdate(copy, state);
    times.push(performance.now() - t0);
    copy.destroy();
  }
  times.sort((a, b) => a - b);
  return {
    name,
    members: doc.getMap(ROSTER_MAP).size,
    bytes: state.length,
    ms: times[3] as number,
  };
}

/** Changes `member` through the API, as the dashboard does, and times its way to the roster. */
function statusChange(
  roster: RosterReplicas,
  member: Member,
  admin: string,
): Promise<ChangeSample> {
  const docs = new Set(rosterDocsOf(member));
  const has = () => roster.members.get(member.id)?.status === member.status;
  if (has()) return Promise.reject(new Error(`${member.id} is ${member.status} already`));
  const t0 = performance.now();
  let responded: number | null = null;
  let arrived: number | null = null;
  let applied: number | null = null;
  let heard: number | null = null;
  return new Promise((resolve, reject) => {
    const finish = (error?: unknown) => {
      clearTimeout(timeout);
      onMessage = null;
      roster.removeEventListener('change', onChange);
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else
        resolve({
          responded: (responded as number) - t0,
          arrived: arrived === null ? null : arrived - t0,
          applied: (applied as number) - t0,
          heard: (heard as number) - t0,
        });
    };
    const timeout = setTimeout(() => finish(new Error(`${member.id}: no change in 10 s`)), 10_000);
    const done = () => {
      if (responded !== null && applied !== null && heard !== null) finish();
    };
    onMessage = (at, data) => {
      if (arrived === null && docs.has(documentOf(data) ?? '')) arrived = at;
      // The provider applies the message in this task, after this listener: look right after.
      setTimeout(() => {
        if (applied === null && has()) {
          applied = performance.now();
          done();
        }
      }, 0);
    };
    const onChange = () => {
      if (heard !== null || !has()) return;
      heard = performance.now();
      applied ??= heard;
      done();
    };
    roster.addEventListener('change', onChange);
    const { id, ...fields } = member;
    fetch(`/api/members/${encodeURIComponent(id)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ id, ...fields }),
    }).then(async (response) => {
      if (!response.ok) finish(new Error(`PUT ${response.status}: ${await response.text()}`));
      responded = performance.now();
      done();
    }, finish);
  });
}
