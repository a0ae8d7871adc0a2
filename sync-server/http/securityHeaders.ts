import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/** HSTS lifetime, seconds: a year. Subdomains are left alone: the gym may not own them all. */
const HSTS_MAX_AGE_S = 365 * 24 * 3600;

/** Pages that use the camera (the kiosk's card and QR scanner); every other page may not. */
const CAMERA_PAGES = new Set(['/kiosk', '/kiosk/', '/kiosk/index.html']);

/** A host name or address with an optional port: what may go into the CSP as a source. */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The websocket of the page's own host. CSP `'self'` covers `ws:`/`wss:` of the same host in
 * current browsers only, so it is named. A Host header that is not a plain host adds nothing.
 */
function ownWebsocket(request: IncomingMessage, _response: ServerResponse): string {
  const host = request.headers.host ?? '';
  return HOST.test(host) ? `ws://${host} wss://${host}` : "'self'";
}

/**
 * The Content-Security-Policy the kiosk and dashboard run under (e2e/securityHeaders.test.ts
 * opens every screen in Chromium and finds no violation): our own scripts only, plus
 * `'wasm-unsafe-eval'` to compile the barcode reader's ZXing wasm (served from our origin); our
 * own styles (Lit adopts constructed style sheets, which CSP does not govern); images of ours
 * and `data:` ones; no plugins, no framing, forms and `<base>` to our origin only.
 */
export const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      'default-src': ["'self'"],
      'script-src': ["'self'", "'wasm-unsafe-eval'"],
      'style-src': ["'self'"],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'", ownWebsocket],
      'object-src': ["'none'"],
      'base-uri': ["'self'"],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
    },
  },
  referrerPolicy: { policy: 'no-referrer' },
  xFrameOptions: { action: 'deny' },
  // Added per request below: only an answer that came over HTTPS may pin the browser to it.
  strictTransportSecurity: false,
};

/** The camera for the kiosk page only; other powerful features for nobody. */
export function permissionsPolicy(path: string): string {
  const camera = CAMERA_PAGES.has(path) ? 'camera=(self)' : 'camera=()';
  return `${camera}, microphone=(), geolocation=(), payment=(), usb=()`;
}

/**
 * Security headers on every answer — API, files, errors: helmet's (CSP, frame-ancestors,
 * Referrer-Policy, nosniff, …), Permissions-Policy, and HSTS when the request came over HTTPS.
 */
export async function securityHeaders(app: FastifyInstance): Promise<void> {
  // helmet's middleware built once (below), not per request as @fastify/helmet does: that
  // rebuild was a fifth of the server's time on small answers (docs/BENCHMARKS.md).
  app.addHook('onRequest', (request, reply, done) => {
    helmetHeaders(request.raw, reply.raw, () => {
      ownHeaders(request, reply);
      done();
    });
  });
}

function ownHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('permissions-policy', permissionsPolicy(request.url.split('?')[0] as string));
  if (request.protocol === 'https')
    reply.header('strict-transport-security', `max-age=${HSTS_MAX_AGE_S}`);
}

const helmetHeaders = helmet(HELMET_OPTIONS);

/**
 * For the one page other sites may embed and read (the public "how busy" page, [P1]), after
 * the hooks above: its own CSP (which says `frame-ancestors *`) instead of the app's, no
 * X-Frame-Options, and readable from other origins (Cross-Origin-Resource-Policy), so a gym's
 * website can frame it even under its own COEP. Every other answer keeps the defaults above.
 */
export function embeddableAnywhere(reply: FastifyReply, csp: string | null): void {
  reply.raw.removeHeader('x-frame-options');
  if (csp !== null) {
    reply.raw.removeHeader('content-security-policy');
    reply.header('content-security-policy', csp);
  }
  reply.header('cross-origin-resource-policy', 'cross-origin');
}

/**
 * The same headers for an answer Fastify makes before any hook runs (a malformed URL goes
 * to `frameworkErrors` straight from the router).
 */
export function securityHeadersWithoutHooks(request: FastifyRequest, reply: FastifyReply): void {
  helmetHeaders(request.raw, reply.raw, () => {});
  ownHeaders(request, reply);
}
