/**
 * Why the server refused a connection, a document or a write: sent to the client (Hocuspocus
 * `PermissionDenied` reason, the close reason of a refused update, or an HTTP error code) and
 * counted in `/metrics`. Declared once here for the server and its clients.
 */
export const REFUSAL_REASONS = [
  'no-token',
  'malformed-token',
  'bad-algorithm',
  'bad-signature',
  'expired',
  'not-yet-valid',
  'wrong-issuer',
  'wrong-audience',
  'bad-claims',
  'revoked',
  'wrong-site',
  'unknown-document',
  'future-day',
  'past-day',
  'bad-origin',
  'subject-changed',
  'invalid-update',
  'foreign-writer',
  'invalid-entry',
  'quota-exceeded',
  'unavailable',
  'site-archived',
] as const;

export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * Reasons the server gives when it refuses an update and closes that document's connection
 * ([W1]–[W4] in SPEC.md). The refused content stays in the client's own copy, so a client that
 * sees one of these starts that document again from the server's copy (see the README).
 */
export const UPDATE_REFUSALS = [
  'invalid-update',
  'foreign-writer',
  'invalid-entry',
  'quota-exceeded',
] as const satisfies readonly RefusalReason[];

export type UpdateRefusal = (typeof UPDATE_REFUSALS)[number];

/**
 * Close code of a socket the server could not serve because its database did not answer (an
 * update it could not log, an access check it could not make): WebSocket's "Try Again Later".
 * Nothing on it was acknowledged; the client reconnects with its usual backoff and sends again.
 */
export const CLOSE_UNAVAILABLE = 1013;

/** True when a close reason says the server refused an update of ours. */
export function isUpdateRefusal(reason: unknown): reason is UpdateRefusal {
  return (UPDATE_REFUSALS as readonly unknown[]).includes(reason);
}
