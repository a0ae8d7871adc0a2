/**
 * Why the server refused a connection, a document or a write. Each reason is sent to the client
 * (Hocuspocus `PermissionDenied` reason or an HTTP error body) and counted in `/metrics`.
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
  'bad-origin',
  'subject-changed',
  'invalid-update',
] as const;

export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * Thrown by hooks to refuse. Hocuspocus sends `reason` in its PermissionDenied message, so the
 * client can tell an expired token (refresh and retry) from a revoked device (stop, re-pair).
 */
export class Refusal extends Error {
  readonly reason: RefusalReason;

  constructor(reason: RefusalReason, detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'Refusal';
    this.reason = reason;
  }
}
