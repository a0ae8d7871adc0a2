import type { ApiError, ApiErrorCode } from '../shared/apiProtocol';

/** The server's answer to one API call: JSON as an object, anything else (CSV) as text. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

/**
 * One call to the server's JSON API. Credentials go in the body or the Authorization header,
 * never in the URL (they would end up in logs and browser history).
 */
export async function apiRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  if (response.headers.get('content-type')?.includes('json')) {
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // A proxy's error page: the status says enough.
    }
  }
  return { status: response.status, body, text };
}

/** The server's error message from an answer, or a plain one from its status (a proxy's page). */
export function errorOf(answer: ApiAnswer): {
  code: ApiErrorCode | `http-${number}`;
  message: string;
} {
  const error = (answer.body as Partial<ApiError>).error;
  return {
    code: error?.code ?? `http-${answer.status}`,
    message: error?.message ?? `the server answered ${answer.status}`,
  };
}
