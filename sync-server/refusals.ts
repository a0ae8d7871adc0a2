import type { RefusalReason } from '../shared/refusals';

export { REFUSAL_REASONS, type RefusalReason } from '../shared/refusals';

/**
 * Thrown by hooks to refuse. Hocuspocus sends `reason` in its PermissionDenied message, so the
 * client can tell an expired token (refresh and retry) from a revoked device (stop, re-pair).
 */
export class Refusal extends Error {
  readonly reason: RefusalReason;
  readonly detail: string | null;

  constructor(reason: RefusalReason, detail?: string) {
    // No message: Hocuspocus prints the message of every error a hook throws with console.error,
    // which would put unstructured lines into the JSON log for what is an expected refusal
    // (counted by reason in /metrics instead).
    super('');
    this.name = 'Refusal';
    this.reason = reason;
    this.detail = detail ?? null;
  }

  override toString(): string {
    return `Refusal: ${this.reason}${this.detail ? `: ${this.detail}` : ''}`;
  }
}
