import type { Logger } from 'pino';
import type { Sql } from '../storage/Sql';
import { postWebhook } from './postWebhook';
import type { WebhookEndpoints } from './WebhookEndpoints';

export interface WebhookSenderPolicy {
  /** How often the outbox is polled, ms. Default 500; an enqueue also wakes it. */
  readonly tickMs: number;
  /** First retry after about this long, ms, doubling per attempt. Default 5 s. */
  readonly retryBaseMs: number;
  /** Longest wait between attempts, ms. Default 1 hour. */
  readonly retryCapMs: number;
  /** A delivery is given up this long after it was queued, ms. Default 26 hours: over a day. */
  readonly giveUpAfterMs: number;
  /** How long one attempt may take, ms. Default 10 s. */
  readonly timeoutMs: number;
  /**
   * Deliveries in flight at once per endpoint. Default 4: a receiver that never answers holds
   * its own slots only, so it never delays another endpoint's deliveries (at most
   * MAX_ENDPOINTS × 4 sockets in all).
   */
  readonly perEndpoint: number;
  /** Delivered and given-up deliveries are kept this long, ms, then deleted. Default 14 days. */
  readonly keepMs: number;
  /** How often visits that closed by themselves are looked for, ms ([V7]). Default 30 s. */
  readonly autoClosedScanMs: number;
}

export const WEBHOOK_SENDER_POLICY: WebhookSenderPolicy = {
  tickMs: 500,
  retryBaseMs: 5_000,
  retryCapMs: 60 * 60_000,
  giveUpAfterMs: 26 * 60 * 60_000,
  timeoutMs: 10_000,
  perEndpoint: 4,
  keepMs: 14 * 24 * 60 * 60_000,
  autoClosedScanMs: 30_000,
};

/** Due deliveries read per look at the outbox. */
const BATCH = 200;
/** How often endpoints are read again (a change made on another instance), ms. */
const RELOAD_MS = 5_000;
/** How often a run of successful deliveries writes its endpoint's status, ms. */
const NOTE_STATUS_MS = 1_000;
/** How often deliveries waiting behind a paused endpoint are looked at, ms. */
const GIVE_UP_SCAN_MS = 60_000;
/** How often old deliveries are deleted, ms. */
const PURGE_MS = 60 * 60_000;

interface DueRow {
  seq: number | string;
  endpoint_id: string;
  message_id: string;
  body: string;
  attempts: number;
  created_at: number | string;
}

/**
 * Sends the outbox ([I3]): the oldest due delivery of each member and endpoint, so a member's
 * messages arrive in order; retries with exponential backoff and full jitter until a delivery
 * is over `giveUpAfterMs` old, when it is given up and, if its endpoint has had no success since
 * it was queued, the endpoint is paused for an admin to see. A delivery is marked done only
 * after the receiver said 2xx: a crash in between sends it again (at least once; receivers
 * dedupe by `webhook-id`). Runs on the instance that writes the record (`runsHere`).
 */
export class WebhookSender {
  private readonly db: Sql;
  private readonly endpoints: WebhookEndpoints;
  private readonly log: Logger;
  private readonly policy: WebhookSenderPolicy;
  private readonly runsHere: () => boolean;
  private readonly inFlight = new Map<string, string>();
  /**
   * Deliveries settled while the current look at the outbox runs: its query may have read them
   * before they were marked delivered, so they are not sent again (seen on PostgreSQL).
   */
  private settledDuringTick = new Set<string>();
  /** Per endpoint, the status last written and when: a run of successes writes it once a second. */
  private readonly noted = new Map<string, { status: string; at: number }>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private again = false;
  private nextReload = 0;
  private nextPurge = 0;
  private nextGiveUp = 0;
  private readonly extraWork: ((now: number) => Promise<void>)[] = [];
  private stopped = false;

  constructor(options: {
    db: Sql;
    endpoints: WebhookEndpoints;
    log: Logger;
    policy?: Partial<WebhookSenderPolicy>;
    runsHere?: () => boolean;
  }) {
    this.db = options.db;
    this.endpoints = options.endpoints;
    this.log = options.log;
    this.policy = { ...WEBHOOK_SENDER_POLICY, ...options.policy };
    this.runsHere = options.runsHere ?? (() => true);
  }

  /** Work each tick does first, while endpoints exist (the auto-closed visits' scan). */
  alsoEachTick(work: (now: number) => Promise<void>): void {
    this.extraWork.push(work);
  }

  start(): void {
    this.timer = setInterval(() => this.wake(), this.policy.tickMs);
    this.timer.unref();
  }

  /** Looks at the outbox now (something was queued); at most one look runs at a time. */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .catch((error) => {
        this.log.warn({ err: (error as Error).message }, 'webhooks: tick failed');
      })
      .finally(() => {
        this.ticking = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
  }

  private async tick(): Promise<void> {
    this.settledDuringTick = new Set();
    if (!this.runsHere()) return;
    const now = Date.now();
    if (now >= this.nextReload) {
      await this.endpoints.reload();
      this.nextReload = now + RELOAD_MS;
    }
    if (this.endpoints.endpoints().length === 0) return;
    for (const work of this.extraWork) await work(now);
    if (now >= this.nextGiveUp) {
      // A paused endpoint's deliveries wait as long as a failing one's retries, no longer: the
      // outbox never grows without bound behind an endpoint nobody resumes.
      await this.db.run(
        `update webhook_deliveries set state = 'failed', last_status = 'given up while paused'
          where state = 'pending' and created_at < ?
            and endpoint_id in (select id from webhook_endpoints where paused_at is not null)`,
        [now - this.policy.giveUpAfterMs],
      );
      this.nextGiveUp = now + Math.min(GIVE_UP_SCAN_MS, this.policy.giveUpAfterMs);
    }
    if (now >= this.nextPurge) {
      await this.db.run(
        `delete from webhook_deliveries where state <> 'pending' and created_at < ?`,
        [now - this.policy.keepMs],
      );
      this.nextPurge = now + PURGE_MS;
    }
    const perEndpoint = new Map<string, number>();
    for (const id of this.inFlight.values()) perEndpoint.set(id, (perEndpoint.get(id) ?? 0) + 1);
    // Endpoints whose slots are all taken are left out of the query, so that a backlog of theirs
    // never fills the batch ahead of another endpoint's deliveries.
    const full = [...perEndpoint].filter(([, n]) => n >= this.policy.perEndpoint).map(([id]) => id);
    // The head of each member's queue per endpoint: nothing of a member overtakes its elder.
    const due = await this.db.all<DueRow>(
      `select d.seq, d.endpoint_id, d.message_id, d.body, d.attempts, d.created_at
         from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
        where d.state = 'pending' and d.next_at <= ? and e.paused_at is null
          ${full.length > 0 ? `and d.endpoint_id not in (${full.map(() => '?').join(', ')})` : ''}
          and not exists (select 1 from webhook_deliveries p
                           where p.endpoint_id = d.endpoint_id and p.member_key = d.member_key
                             and p.state = 'pending' and p.seq < d.seq)
        order by d.seq limit ?`,
      [now, ...full, BATCH],
    );
    for (const row of due) {
      const seq = String(row.seq);
      if (this.inFlight.has(seq) || this.settledDuringTick.has(seq)) continue;
      if ((perEndpoint.get(row.endpoint_id) ?? 0) >= this.policy.perEndpoint) continue;
      perEndpoint.set(row.endpoint_id, (perEndpoint.get(row.endpoint_id) ?? 0) + 1);
      this.inFlight.set(seq, row.endpoint_id);
      void this.deliver(row)
        .catch((error) =>
          this.log.warn({ err: (error as Error).message }, 'webhooks: delivery not settled'),
        )
        .finally(() => {
          this.inFlight.delete(seq);
          this.settledDuringTick.add(seq);
          this.wake();
        });
    }
  }

  private async deliver(row: DueRow): Promise<void> {
    const endpoint = this.endpoints.endpoints().find((e) => e.id === row.endpoint_id);
    if (!endpoint || endpoint.pausedAt !== null) return;
    const attemptAt = Date.now();
    let status: string;
    let ok = false;
    try {
      const code = await postWebhook({
        url: endpoint.url,
        id: row.message_id,
        body: row.body,
        secret: endpoint.secret,
        privateNetwork: endpoint.privateNetwork,
        timeoutMs: this.policy.timeoutMs,
        now: attemptAt,
      });
      ok = code >= 200 && code < 300;
      status =
        code >= 300 && code < 400 ? `HTTP ${code} (redirects are not followed)` : `HTTP ${code}`;
    } catch (error) {
      status = (error as Error).message.slice(0, 200);
    }
    if (this.stopped && !ok) return;
    const seq = Number(row.seq);
    const attempts = Number(row.attempts) + 1;
    const queuedAt = Number(row.created_at);
    let paused = 0;
    // One row per endpoint that every delivery to it would update: written when the status
    // changes or a second has passed, so deliveries in flight do not queue on its lock.
    const last = this.noted.get(endpoint.id);
    const note = !ok || last?.status !== status || attemptAt - last.at >= NOTE_STATUS_MS;
    if (ok && !note) {
      // The common case, one statement and no transaction: on PostgreSQL a round trip, not four.
      await this.db.run(
        `update webhook_deliveries set state = 'delivered', delivered_at = ?, attempts = ?,
           last_status = ? where seq = ?`,
        [attemptAt, attempts, status, seq],
      );
      return;
    }
    await this.db.transaction(async (tx) => {
      if (note) {
        this.noted.set(endpoint.id, { status, at: attemptAt });
        await tx.run(
          `update webhook_endpoints set last_status = ?, last_attempt_at = ?${ok ? ', last_success_at = ?' : ''}
            where id = ?`,
          ok ? [status, attemptAt, attemptAt, endpoint.id] : [status, attemptAt, endpoint.id],
        );
      }
      if (ok) {
        await tx.run(
          `update webhook_deliveries set state = 'delivered', delivered_at = ?, attempts = ?,
             last_status = ? where seq = ?`,
          [attemptAt, attempts, status, seq],
        );
      } else if (attemptAt - queuedAt >= this.policy.giveUpAfterMs) {
        await tx.run(
          `update webhook_deliveries set state = 'failed', attempts = ?, last_status = ? where seq = ?`,
          [attempts, status, seq],
        );
        // Failing since this delivery was queued, a day ago or more: tell the admin by pausing.
        paused = await tx.run(
          `update webhook_endpoints set paused_at = ?, pause_reason = ?
            where id = ? and paused_at is null
              and (last_success_at is null or last_success_at < ?)`,
          [
            attemptAt,
            `every delivery failed for over a day (last: ${status})`,
            endpoint.id,
            queuedAt,
          ],
        );
        if (paused > 0)
          this.log.warn(
            { endpoint: endpoint.id, url: endpoint.url, status },
            'webhooks: endpoint paused',
          );
      } else {
        await tx.run(
          `update webhook_deliveries set attempts = ?, last_status = ?, next_at = ? where seq = ?`,
          [attempts, status, attemptAt + this.retryDelay(attempts), seq],
        );
      }
    });
    if (paused > 0) await this.endpoints.reload();
  }

  /** Equal jitter: between half and all of base × 2^(attempts−1), capped. */
  private retryDelay(attempts: number): number {
    const ceiling = Math.min(
      this.policy.retryCapMs,
      this.policy.retryBaseMs * 2 ** Math.min(attempts - 1, 30),
    );
    return Math.ceil(ceiling / 2 + (Math.random() * ceiling) / 2);
  }
}
