import type { WebhookEndpointInfo } from '../../shared/integrationProtocol';
import { formatWhen } from '../formatting';

/** How a webhook endpoint's deliveries go, in a word a tag can carry next to its words. */
export type WebhookState = 'paused' | 'retrying' | 'failing' | 'delivering' | 'new';

export interface WebhookStatus {
  readonly state: WebhookState;
  /** The state in words (never colour alone): what an admin reads in the list. */
  readonly text: string;
  /** How many deliveries were given up on after a day of retrying, in words; null for none. */
  readonly failed: string | null;
}

const waiting = (n: number) => `${n} waiting`;

/** `HTTP 503` for a status code; what went wrong (`connection refused`) as the server says it. */
function attempt(lastStatus: string | null): string {
  if (lastStatus === null) return 'no answer';
  return /^\d{3}$/.test(lastStatus) ? `HTTP ${lastStatus}` : lastStatus;
}

/**
 * What the Integrations screen says of an endpoint ([I3]): "Paused: <why>", "Retrying — last
 * attempt: HTTP 503 at 10:42, 3 waiting", "Last attempt failed: …, nothing waiting", "Delivering —
 * last delivered at 10:40", or "Nothing sent yet". Retrying means the last attempt failed and
 * deliveries still wait. Times are in
 * `timeZone` (the site's), as `formatWhen` writes them relative to `now`.
 */
export function webhookStatus(
  endpoint: WebhookEndpointInfo,
  now: number,
  timeZone?: string,
): WebhookStatus {
  const when = (at: number) => formatWhen(at, now, timeZone);
  const failed =
    endpoint.failed > 0
      ? `${endpoint.failed} ${endpoint.failed === 1 ? 'delivery' : 'deliveries'} given up after a day of retrying`
      : null;
  if (endpoint.pausedAt !== null)
    return {
      state: 'paused',
      text: `Paused: ${endpoint.pauseReason ?? 'by an admin'}${endpoint.pending > 0 ? `, ${waiting(endpoint.pending)}` : ''}`,
      failed,
    };
  const lastFailed =
    endpoint.lastAttemptAt !== null &&
    (endpoint.lastSuccessAt === null || endpoint.lastSuccessAt < endpoint.lastAttemptAt);
  if (lastFailed && endpoint.pending > 0 && endpoint.lastAttemptAt !== null)
    return {
      state: 'retrying',
      text: `Retrying — last attempt: ${attempt(endpoint.lastStatus)} at ${when(endpoint.lastAttemptAt)}, ${waiting(endpoint.pending)}`,
      failed,
    };
  if (lastFailed && endpoint.lastAttemptAt !== null)
    return {
      state: 'failing',
      text: `Last attempt failed: ${attempt(endpoint.lastStatus)} at ${when(endpoint.lastAttemptAt)}, nothing waiting`,
      failed,
    };
  const pending = endpoint.pending > 0 ? `, ${waiting(endpoint.pending)}` : '';
  if (endpoint.lastSuccessAt !== null)
    return {
      state: 'delivering',
      text: `Delivering — last delivered at ${when(endpoint.lastSuccessAt)}${pending}`,
      failed,
    };
  return { state: 'new', text: `Nothing sent yet${pending}`, failed };
}

/**
 * The warning above everything when endpoints are paused ([I3]): an admin who opens the screen
 * is told, whichever part they look at. Null when none is.
 */
export function pausedNotice(endpoints: readonly WebhookEndpointInfo[]): string | null {
  const n = endpoints.filter((e) => e.pausedAt !== null).length;
  if (n === 0) return null;
  return n === 1
    ? '1 webhook is paused — events for it are kept and sent when you resume.'
    : `${n} webhooks are paused — events for them are kept and sent when you resume.`;
}
