import { randomBytes } from 'node:crypto';
import type { WebhookEndpointInfo } from '../../shared/integrationProtocol';
import { WEBHOOK_EVENTS, type WebhookEvent } from '../../shared/integrations';
import type { Sql, SqlParam } from '../storage/Sql';
import type { WebhookMessage } from './webhookMessages';
import { webhookUrlProblem } from './webhookUrl';

/** An endpoint as deliveries need it: with its signing secret. */
export interface WebhookEndpoint {
  readonly id: string;
  readonly url: string;
  readonly events: readonly WebhookEvent[];
  readonly siteId: string | null;
  readonly privateNetwork: boolean;
  readonly secret: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly pausedAt: number | null;
}

export class WebhookError extends Error {
  override name = 'WebhookError';
}

/** Most endpoints in a deployment: each is a queue of deliveries and a stream of requests. */
export const MAX_ENDPOINTS = 50;
/** Most endpoints one API key may register: a key can never take every slot of the chain. */
export const MAX_ENDPOINTS_PER_KEY = 5;
/** Rows per multi-row insert into the outbox. */
const CHUNK = 64;

/**
 * Webhook endpoints and the outbox of their deliveries ([I3]). Endpoints are held in memory too
 * (`reload`), so that the record can ask for free whether anyone listens to a site before it
 * looks for new events.
 */
export class WebhookEndpoints {
  private readonly db: Sql;
  private active: WebhookEndpoint[] = [];

  constructor(db: Sql) {
    this.db = db;
  }

  /** Reads the endpoints again: after a change here, and every few seconds (other instances). */
  async reload(): Promise<void> {
    this.active = (await this.db.all<EndpointRow>('select * from webhook_endpoints')).map(
      endpointOf,
    );
  }

  /** Whether an endpoint listens to events of `siteId`; from memory. */
  listensTo(siteId: string): boolean {
    return this.active.some((endpoint) => endpoint.siteId === null || endpoint.siteId === siteId);
  }

  /** The endpoints as read last, paused ones too. */
  endpoints(): readonly WebhookEndpoint[] {
    return this.active;
  }

  async get(id: string): Promise<WebhookEndpoint | null> {
    const row = await this.db.get<EndpointRow>('select * from webhook_endpoints where id = ?', [
      id,
    ]);
    return row ? endpointOf(row) : null;
  }

  async create(options: {
    url: string;
    events: readonly WebhookEvent[];
    siteId: string | null;
    privateNetwork: boolean;
    createdBy: string;
    now?: number;
  }): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const problem = webhookUrlProblem(options.url, options.privateNetwork);
    if (problem) throw new WebhookError(problem);
    const events = WEBHOOK_EVENTS.filter((event) => options.events.includes(event));
    if (events.length === 0)
      throw new WebhookError(`events: one or more of ${WEBHOOK_EVENTS.join(', ')}`);
    const count = await this.db.get<{ n: number }>('select count(*) as n from webhook_endpoints');
    if (Number(count?.n ?? 0) >= MAX_ENDPOINTS)
      throw new WebhookError(`at most ${MAX_ENDPOINTS} endpoints: delete one first`);
    if (options.createdBy.startsWith('key:')) {
      const own = await this.db.get<{ n: number }>(
        'select count(*) as n from webhook_endpoints where created_by = ?',
        [options.createdBy],
      );
      if (Number(own?.n ?? 0) >= MAX_ENDPOINTS_PER_KEY)
        throw new WebhookError(`an API key registers at most ${MAX_ENDPOINTS_PER_KEY} endpoints`);
    }
    const id = `ep_${randomBytes(9).toString('base64url')}`;
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const now = options.now ?? Date.now();
    await this.db.run(
      `insert into webhook_endpoints
         (id, url, events, secret, site_id, private_network, created_at, created_by)
       values (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        options.url,
        JSON.stringify(events),
        secret,
        options.siteId,
        options.privateNetwork ? 1 : 0,
        now,
        options.createdBy,
      ],
    );
    await this.reload();
    return { endpoint: (await this.get(id)) as WebhookEndpoint, secret };
  }

  /** Pauses (with why) or resumes an endpoint; false when there is none. */
  async setPaused(id: string, reason: string | null, now = Date.now()): Promise<boolean> {
    const changed = await this.db.run(
      reason === null
        ? 'update webhook_endpoints set paused_at = null, pause_reason = null where id = ?'
        : 'update webhook_endpoints set paused_at = ?, pause_reason = ? where id = ?',
      reason === null ? [id] : [now, reason, id],
    );
    await this.reload();
    return changed > 0;
  }

  /** Pauses every endpoint `createdBy` registered (its API key was revoked). */
  async pauseCreatedBy(createdBy: string, reason: string, now = Date.now()): Promise<void> {
    await this.db.run(
      `update webhook_endpoints set paused_at = ?, pause_reason = ?
         where created_by = ? and paused_at is null`,
      [now, reason, createdBy],
    );
    await this.reload();
  }

  /** Deletes an endpoint and its deliveries; false when there is none. */
  async remove(id: string): Promise<boolean> {
    const gone = await this.db.transaction(async (tx) => {
      await tx.run('delete from webhook_deliveries where endpoint_id = ?', [id]);
      return tx.run('delete from webhook_endpoints where id = ?', [id]);
    });
    await this.reload();
    return gone > 0;
  }

  /** Every endpoint (or those `createdBy` registered) as the Integrations screen shows it. */
  async list(createdBy?: string): Promise<WebhookEndpointInfo[]> {
    const rows = await this.db.all<EndpointRow & { pending: number; failed: number }>(
      `select e.*,
         (select count(*) from webhook_deliveries d where d.endpoint_id = e.id and d.state = 'pending') as pending,
         (select count(*) from webhook_deliveries d where d.endpoint_id = e.id and d.state = 'failed') as failed
       from webhook_endpoints e ${createdBy === undefined ? '' : 'where e.created_by = ?'}
       order by e.created_at, e.id`,
      createdBy === undefined ? [] : [createdBy],
    );
    return rows.map((row) => {
      const { secret: _secret, ...endpoint } = endpointOf(row);
      return {
        ...endpoint,
        events: [...endpoint.events],
        pauseReason: row.pause_reason,
        lastStatus: row.last_status,
        lastAttemptAt: time(row.last_attempt_at),
        lastSuccessAt: time(row.last_success_at),
        pending: Number(row.pending),
        failed: Number(row.failed),
      };
    });
  }

  /**
   * Writes a delivery of each message to every endpoint that listens to its site and event and
   * existed when it became news (`newsAt`, or `now`) ([I3]), inside the caller's transaction (the record's, so an event and its
   * deliveries are written together). A message already queued for an endpoint is not queued
   * again.
   */
  async enqueue(tx: Sql, messages: readonly WebhookMessage[], now: number): Promise<number> {
    const rows: SqlParam[][] = [];
    for (const message of messages)
      for (const endpoint of this.active)
        if (
          (endpoint.siteId === null || endpoint.siteId === message.siteId) &&
          endpoint.events.includes(message.event) &&
          (endpoint.createdAt <= (message.newsAt ?? now) || message.knownTo?.has(endpoint.id))
        )
          rows.push([
            endpoint.id,
            message.id,
            message.event,
            message.memberKey,
            message.body,
            now,
            now,
          ]);
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      await tx.run(
        `insert into webhook_deliveries
           (endpoint_id, message_id, type, member_key, body, created_at, next_at)
         values ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}
         on conflict (endpoint_id, message_id) do nothing`,
        chunk.flat(),
      );
    }
    return rows.length;
  }
}

interface EndpointRow {
  id: string;
  url: string;
  events: string;
  secret: string;
  site_id: string | null;
  private_network: number;
  created_at: number | string;
  created_by: string;
  paused_at: number | string | null;
  pause_reason: string | null;
  last_status: string | null;
  last_attempt_at: number | string | null;
  last_success_at: number | string | null;
}

function endpointOf(row: EndpointRow): WebhookEndpoint {
  let events: WebhookEvent[] = [];
  try {
    const parsed: unknown = JSON.parse(row.events);
    if (Array.isArray(parsed)) events = WEBHOOK_EVENTS.filter((event) => parsed.includes(event));
  } catch {
    // A row edited into something else hears nothing.
  }
  return {
    id: row.id,
    url: row.url,
    events,
    siteId: row.site_id,
    privateNetwork: Number(row.private_network) === 1,
    secret: row.secret,
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
    pausedAt: time(row.paused_at),
  };
}

function time(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}
