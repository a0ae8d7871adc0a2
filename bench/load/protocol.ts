/**
 * Messages between the bench (`clientPool.ts`) and its client processes (`clientProcess.ts`), over
 * Node's IPC channel. A client process hosts whole sites, so each check-in is written and seen in
 * one process and timed on one clock (`performance.now()`).
 */
import type { LocalDay } from '../../shared/localTime';
import type { Credential } from './servers';

export interface SitePlan {
  /** Index of the site in the run (0 is the seeded one). */
  readonly index: number;
  readonly docName: string;
  readonly kiosks: readonly Credential[];
  readonly dashboards: readonly string[];
}

export type ToClients =
  | {
      readonly type: 'connect';
      /** Where kiosks connect, and where dashboards do (another instance, or the same). */
      readonly ws: string;
      readonly dashboardWs: string;
      readonly day: LocalDay;
      readonly sites: SitePlan[];
      /** Clients connecting at once (see `connectInBatches`). */
      readonly batch: number;
    }
  /** Write `rate` check-ins a second (over this process's kiosks) for `seconds`. */
  | { readonly type: 'load'; readonly rate: number; readonly seconds: number; measured: boolean }
  /** Wait up to `drainMs` for the dashboards to see every write, then report the load. */
  | { readonly type: 'finish'; readonly drainMs: number }
  /** Idle clients without awareness on `docName`, one per token, `batch` at a time. */
  | {
      readonly type: 'idle';
      readonly ws: string;
      readonly docName: string;
      readonly tokens: readonly string[];
      readonly batch: number;
    }
  /** The server is about to be killed: note, per client, its first sync after a close. */
  | { readonly type: 'watch' }
  /** Wait up to `timeoutMs` for every client to have synced again since `watch`. */
  | { readonly type: 'resync'; readonly timeoutMs: number }
  | { readonly type: 'close' };

export interface ClientResult {
  readonly written: number;
  /** Per check-in, ms from the kiosk's write until the last dashboard of its site had it. */
  readonly latencies: number[];
  /** The same for check-ins at the seeded site (its document holds the seeded day). */
  readonly seededLatencies: number[];
  /** Written but not in every dashboard of the site when the drain time ran out. */
  readonly lost: number;
  /** Provider connections closed or refused since connecting (each a reconnect). */
  readonly closes: number;
  /** This process's own longest event-loop stall during the load, ms: is it the bottleneck? */
  readonly loopMaxMs: number;
  /** Latest a write went out after its scheduled time, ms (a busy client process). */
  readonly maxLateMs: number;
  /** Bytes read and written by this process's client sockets from the load's start to its end. */
  readonly wireBytes: number;
}

export type FromClients =
  | { readonly type: 'connected'; readonly clients: number; readonly ms: number }
  | { readonly type: 'loaded'; readonly written: number }
  | { readonly type: 'finished'; readonly result: ClientResult }
  | { readonly type: 'watching' }
  /**
   * When the last client that lost its connection synced again (Date.now()), and how many of
   * those had not by the deadline.
   */
  | {
      readonly type: 'resynced';
      readonly lastAt: number;
      readonly dropped: number;
      readonly missing: number;
    }
  | { readonly type: 'failed'; readonly message: string };
