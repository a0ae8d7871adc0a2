import type { TSchema } from 'typebox';
import { ApiError, type ApiErrorCode } from '../../shared/apiProtocol';

/**
 * An answer other than success, with its status and machine-readable code. Thrown by handlers and
 * hooks; the error handler turns it into `{"error": {"code", "message"}}`.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly code: ApiErrorCode;

  constructor(status: number, code: ApiErrorCode, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** 429 with the time left, in whole seconds (the route also sends it as `Retry-After`). */
export function tooManyAttempts(waitMs: number): HttpError {
  return new HttpError(429, 'too-many-attempts', `try again in ${retryAfterSeconds(waitMs)} s`);
}

/** A wait as `Retry-After` says it: whole seconds, at least 1. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/** A route's `response` schema: `ok` for 200, the error body for every 4xx and 5xx. */
export function answers<T extends TSchema>(ok: T, status: 200 | 201 = 200) {
  return { [status]: ok, '4xx': ApiError, '5xx': ApiError } as {
    200: T;
    '4xx': typeof ApiError;
    '5xx': typeof ApiError;
  };
}
