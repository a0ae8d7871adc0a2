import type { ApiErrorCode } from '../../shared/apiProtocol';
import { type ApiAnswer, errorOf } from '../apiRequest';

/**
 * The server answered, and refused: `code` is its machine-readable reason (`invalid`,
 * `forbidden`, …) and the message its words, which name the problem (a field, a site). A screen
 * shows the message where the person acted; a network failure is a different error (`fetch`'s).
 */
export class ApiRefusal extends Error {
  override name = 'ApiRefusal';
  readonly code: ApiErrorCode | `http-${number}`;
  readonly status: number;

  constructor(answer: ApiAnswer) {
    const { code, message } = errorOf(answer);
    super(message);
    this.code = code;
    this.status = answer.status;
  }
}

/** Whether the server did what was asked (any 2xx: a new member may be 201). */
export function succeeded(answer: ApiAnswer): boolean {
  return answer.status >= 200 && answer.status < 300;
}
