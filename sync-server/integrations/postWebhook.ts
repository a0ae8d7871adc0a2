import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { addressAllowed } from './webhookUrl';

/** One signed delivery ([I3]). */
export interface WebhookRequest {
  readonly url: string;
  /** `webhook-id`: the message's id, the same in every retry. */
  readonly id: string;
  readonly body: string;
  /** `whsec_` and the base64 key. */
  readonly secret: string;
  readonly privateNetwork: boolean;
  readonly timeoutMs: number;
  readonly now?: number;
}

/**
 * The Standard Webhooks signature of a message: `v1,` and the base64 HMAC-SHA256, keyed with the
 * secret's bytes, of `<id>.<timestamp>.<body>` (timestamp in seconds).
 */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

// Kept-alive connections per kind of endpoint: a socket opened for a private endpoint is never
// reused for a public one (each was checked by its own rule when it connected).
const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: 8 }),
  public: new HttpsAgent({ keepAlive: true, maxSockets: 8 }),
  private: new HttpsAgent({ keepAlive: true, maxSockets: 8 }),
};

/**
 * POSTs one delivery and resolves to the status the receiver answered; rejects with what went
 * wrong (no connection, an address webhooks may not reach, a timeout). Every address is checked
 * as the socket connects, so a name that resolves elsewhere later is checked again ([I4]).
 * Redirects are answers, never followed: the caller treats 3xx as a failure.
 */
export function postWebhook(request: WebhookRequest): Promise<number> {
  const url = new URL(request.url);
  const plainHttp = url.protocol === 'http:';
  const rule = { privateNetwork: request.privateNetwork, plainHttp };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 && !addressAllowed(host, rule))
    return Promise.reject(new Error(`webhooks may not reach ${host}`));
  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (error, found) => {
      const addresses = found as LookupAddress[];
      if (error) return callback(error, '', 0);
      const refused = addresses.find((a) => !addressAllowed(a.address, rule));
      if (refused || addresses.length === 0)
        return callback(
          // Which address is not said: an API key reads this status, and must not learn what
          // the server's own network calls its machines.
          new Error(`${hostname} resolves to an address webhooks may not reach`),
          '',
          0,
        );
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
  const timestamp = Math.floor((request.now ?? Date.now()) / 1000);
  const send = plainHttp ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(url, {
      method: 'POST',
      agent: plainHttp ? agents.http : request.privateNetwork ? agents.private : agents.public,
      lookup,
      timeout: request.timeoutMs,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(request.body),
        'user-agent': 'Headcount-Webhooks/1',
        'webhook-id': request.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature(request.secret, request.id, timestamp, request.body),
      },
    });
    const timer = setTimeout(
      () => outgoing.destroy(new Error(`no answer within ${request.timeoutMs / 1000} s`)),
      request.timeoutMs,
    );
    outgoing.on('timeout', () =>
      outgoing.destroy(new Error(`no answer within ${request.timeoutMs / 1000} s`)),
    );
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.on('response', (response: IncomingMessage) => {
      clearTimeout(timer);
      // The body says nothing we use: read it away so the socket can be reused, within the time.
      response.resume();
      const cut = setTimeout(() => response.destroy(), request.timeoutMs);
      response.on('close', () => clearTimeout(cut));
      resolve(response.statusCode ?? 0);
    });
    outgoing.end(request.body);
  });
}
