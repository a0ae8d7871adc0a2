import type { Logger } from 'pino';
import type { DayLedger } from '../../shared/DayLedger';
import type { CheckinEvent } from '../../shared/events';
import { addDays, localDayOf } from '../../shared/localTime';
import type { RecordOutbox } from '../RecordRows';
import type { Sql } from '../storage/Sql';
import { WebhookEndpoints } from './WebhookEndpoints';
import { WEBHOOK_SENDER_POLICY, WebhookSender, type WebhookSenderPolicy } from './WebhookSender';
import { autoClosedMessage, eventMessage, type WebhookMessage } from './webhookMessages';

/** Visits auto-closed at most this long ago are told, ms: 2 days (a restart catches up). */
const AUTO_CLOSED_WINDOW_MS = 2 * 24 * 60 * 60_000;

/**
 * Webhooks ([I3]–[I4]): the endpoints, the record's outbox (events new to the record become
 * deliveries in the record's own transaction), the scan for visits that closed by themselves,
 * and the sender. Only the instance that writes the record fills and sends the outbox.
 */
export class Webhooks implements RecordOutbox {
  readonly endpoints: WebhookEndpoints;
  private readonly sender: WebhookSender;
  private readonly db: Sql;
  private nextScan = 0;
  private readonly scanMs: number;

  constructor(options: {
    db: Sql;
    log: Logger;
    policy?: Partial<WebhookSenderPolicy>;
    runsHere?: () => boolean;
  }) {
    this.db = options.db;
    this.scanMs = options.policy?.autoClosedScanMs ?? WEBHOOK_SENDER_POLICY.autoClosedScanMs;
    this.endpoints = new WebhookEndpoints(options.db);
    this.sender = new WebhookSender({ ...options, endpoints: this.endpoints });
    this.sender.alsoEachTick((now) => this.scanAutoClosed(now));
  }

  async start(): Promise<void> {
    await this.endpoints.reload();
    this.sender.start();
  }

  stop(): Promise<void> {
    return this.sender.stop();
  }

  listensTo(siteId: string): boolean {
    return this.endpoints.listensTo(siteId);
  }

  async told(
    tx: Sql,
    siteId: string,
    events: readonly CheckinEvent[],
    ledger: DayLedger,
  ): Promise<void> {
    const messages = events.flatMap((event) => {
      const target = event.kind === 'void' ? ledger.targetsOf(event)[0] : undefined;
      const member = target && 'memberId' in target ? target.memberId : null;
      return eventMessage(siteId, event, member) ?? [];
    });
    if ((await this.endpoints.enqueue(tx, messages, Date.now())) > 0)
      // After the record's transaction has committed, most likely; the next tick otherwise.
      setTimeout(() => this.sender.wake(), 20).unref();
  }

  /**
   * Tells of visits whose moment to close by themselves has passed ([V7]): those still open in
   * the record, of the last two days. Each is queued once per endpoint (its message id).
   */
  private async scanAutoClosed(now: number): Promise<void> {
    if (now < this.nextScan) return;
    this.nextScan = now + this.scanMs;
    if (!this.endpoints.endpoints().some((e) => e.events.includes('visit-auto-closed'))) return;
    const since = now - AUTO_CLOSED_WINDOW_MS;
    const sites = await this.db.all<{ id: string }>('select id from sites');
    const rows: AutoClosedRow[] = [];
    // Per site, on the record's (site, day) index: the scan reads the last days only ([R3]).
    for (const { id } of sites.filter((site) => this.endpoints.listensTo(site.id)))
      rows.push(
        ...(await this.db.all<AutoClosedRow>(
          `select site_id, writer, id, day, member_id, start, auto_close_at from visits
            where site_id = ? and day >= ? and "end" is null
              and auto_close_at > ? and auto_close_at <= ?`,
          [id, addDays(localDayOf(since, 'UTC'), -1), since, now],
        )),
      );
    if (rows.length === 0) return;
    // An endpoint made after the visit closed still hears of it if it was told of its check-in
    // (the check-in reached the server late, from a kiosk that was offline).
    const told = new Map<string, Set<string>>();
    const refs = [...new Set(rows.map((row) => `${row.writer}/${row.id}`))];
    for (let i = 0; i < refs.length; i += 64) {
      const chunk = refs.slice(i, i + 64);
      const found = await this.db.all<{ endpoint_id: string; message_id: string }>(
        `select endpoint_id, message_id from webhook_deliveries
          where message_id in (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      for (const row of found) {
        const endpoints = told.get(row.message_id) ?? new Set<string>();
        endpoints.add(row.endpoint_id);
        told.set(row.message_id, endpoints);
      }
    }
    const messages: WebhookMessage[] = rows.map((row) =>
      autoClosedMessage({
        siteId: row.site_id,
        writer: row.writer,
        id: row.id,
        day: row.day,
        memberId: row.member_id,
        start: Number(row.start),
        closedAt: Number(row.auto_close_at),
        knownTo: told.get(`${row.writer}/${row.id}`) ?? new Set<string>(),
      }),
    );
    if (messages.length === 0) return;
    const queued = await this.db.transaction((tx) => this.endpoints.enqueue(tx, messages, now));
    if (queued > 0) this.sender.wake();
  }
}

interface AutoClosedRow {
  site_id: string;
  writer: string;
  id: string;
  day: string;
  member_id: string;
  start: number | string;
  auto_close_at: number | string;
}
