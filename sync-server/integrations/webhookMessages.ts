import { refOf } from '../../shared/eventRef';
import type { CheckinEvent, VoidEvent } from '../../shared/events';
import type { WebhookPayload } from '../../shared/integrationProtocol';
import { WEBHOOK_SCHEMA_VERSION, type WebhookEvent } from '../../shared/integrations';
import { writerName } from '../../shared/writer';

/** One message to the endpoints that listen to its event ([I3]). */
export interface WebhookMessage {
  /** The `webhook-id` header and the outbox's key per endpoint: receivers dedupe by it. */
  readonly id: string;
  readonly event: WebhookEvent;
  readonly siteId: string;
  /** Messages with the same key go to an endpoint in order ([I3]). */
  readonly memberKey: string;
  /** The JSON body, as sent and signed. */
  readonly body: string;
  /**
   * When it became news, for endpoints made later than that (they hear nothing older): a visit's
   * moment of closing by itself. Unset: when it is queued (an event reaching the server).
   */
  readonly newsAt?: number;
  /** Endpoints that hear it whenever they were made: they were told of what it follows. */
  readonly knownTo?: ReadonlySet<string>;
}

/** The webhook event an event of the record is, or null for those nobody hears (clock). */
export function webhookEventOf(event: CheckinEvent): WebhookEvent | null {
  switch (event.kind) {
    case 'checkIn':
      return 'check-in';
    case 'checkOut':
      return 'check-out';
    case 'denied':
      return 'denied';
    case 'void':
    case 'checkOutAll':
      return 'correction';
    default:
      return null;
  }
}

/**
 * The message for an event the record holds for the first time. `targetMember` names the member
 * of a void's target, so the void is ordered after that member's other messages. Pure.
 */
export function eventMessage(
  siteId: string,
  event: CheckinEvent,
  targetMember: string | null = null,
): WebhookMessage | null {
  const kind = webhookEventOf(event);
  if (kind === null) return null;
  const ref = refOf(event);
  const memberId =
    'memberId' in event && event.memberId !== '' ? event.memberId : (targetMember ?? null);
  const detail: Record<string, unknown> = {};
  if (event.kind === 'denied') detail.reason = event.reason;
  if (event.kind === 'checkIn' && event.override) detail.override = event.override;
  if ((event.kind === 'checkIn' || event.kind === 'checkOut') && event.corrects)
    detail.corrects = `${writerName(event.writer)}/${event.corrects}`;
  if (event.kind === 'void') {
    detail.voids = voidTarget(event);
    detail.reason = event.reason;
  }
  if (event.kind === 'checkOutAll') detail.checksOutAll = true;
  if (event.at !== event.recordedAt) detail.recordedAt = event.recordedAt;
  const payload: WebhookPayload = {
    type: `${kind}.v${WEBHOOK_SCHEMA_VERSION}`,
    timestamp: new Date(event.at).toISOString(),
    data: {
      eventId: event.id,
      ref,
      siteId,
      day: event.docDay,
      memberId,
      at: event.at,
      writer: writerName(event.writer),
      method: event.method,
      clockTrusted: event.clockTrusted,
      detail,
    },
  };
  return {
    id: ref,
    event: kind,
    siteId,
    memberKey: memberId === null ? `${siteId}:*` : `${siteId}:${memberId}`,
    body: JSON.stringify(payload),
  };
}

/** The message for a visit that closed by itself at `closedAt` ([V7]). Pure. */
export function autoClosedMessage(visit: {
  siteId: string;
  writer: string;
  id: string;
  day: string;
  memberId: string;
  start: number;
  closedAt: number;
  knownTo?: ReadonlySet<string>;
}): WebhookMessage {
  const ref = `${visit.writer}/${visit.id}`;
  const payload: WebhookPayload = {
    type: `visit-auto-closed.v${WEBHOOK_SCHEMA_VERSION}`,
    timestamp: new Date(visit.closedAt).toISOString(),
    data: {
      eventId: visit.id,
      ref,
      siteId: visit.siteId,
      day: visit.day,
      memberId: visit.memberId,
      at: visit.closedAt,
      writer: visit.writer,
      method: 'device',
      clockTrusted: true,
      detail: { visitStart: visit.start },
    },
  };
  return {
    id: `${ref}#auto-closed`,
    event: 'visit-auto-closed',
    siteId: visit.siteId,
    memberKey: `${visit.siteId}:${visit.memberId}`,
    body: JSON.stringify(payload),
    newsAt: visit.closedAt,
    ...(visit.knownTo ? { knownTo: visit.knownTo } : {}),
  };
}

function voidTarget(event: VoidEvent): string {
  return event.targetWriter
    ? `${writerName(event.targetWriter)}/${event.targetId}`
    : `*/${event.targetId}`;
}
