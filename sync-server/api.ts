import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { addDays, localDayOf } from '../shared/localTime';
import type { AccessControl } from './AccessControl';
import type { DeviceRegistry } from './DeviceRegistry';
import type { Db } from './database';
import { type DayRange, type DayRangeResult, parseDayRange } from './dayRange';
import type { Metrics } from './metrics';
import { DEFAULT_PEAK_WEEKS, MAX_PEAK_WEEKS, peakHours, peakHoursPeriod } from './peakHours';
import { RateLimiter } from './RateLimiter';
import { Refusal } from './refusals';
import { AccountError, type StaffAccounts } from './StaffAccounts';
import { hashSecret, newPairingCode } from './secrets';
import { siteExists } from './sites';
import type { SiteView } from './siteView';
import type { Principal, Role, TokenIssuer } from './tokens';
import { readVisits } from './visitRecord';
import { visitsCsv } from './visitsCsv';

/**
 * The JSON API under `/api/`. Credentials travel in request bodies or the Authorization header,
 * never in URLs, and are never logged. Errors are `{ "error": { "code", "message" } }`.
 */
export interface ApiDependencies {
  db: Db;
  devices: DeviceRegistry;
  staff: StaffAccounts;
  tokens: TokenIssuer;
  access: AccessControl;
  metrics: Metrics;
  log: Logger;
  /** The site a new pairing code is for when an admin does not name one. */
  defaultSiteId: string;
  /** True when a browser request's Origin may call the API. */
  originAllowed: (request: IncomingMessage) => boolean;
  /** A site's current settings and roster (reports show names and local times). */
  siteView: (siteId: string) => SiteView;
}

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A handler's answer that is a CSV file to download rather than JSON (errors stay JSON). */
export class CsvBody {
  readonly filename: string;
  readonly text: string;

  constructor(filename: string, text: string) {
    this.filename = filename;
    this.text = text;
  }
}

const MAX_BODY = 16 * 1024;
/** A member's history without from/to covers this many days up to today. */
const MEMBER_HISTORY_DAYS = 90;
/** Five wrong passwords per address and username per 15 minutes. */
const signInLimiter = () => new RateLimiter(5, 15 * 60_000);
/** Ten wrong pairing codes per address per 10 minutes: codes have ~40 bits, so this suffices. */
const pairingLimiter = () => new RateLimiter(10, 10 * 60_000);

type Handler = (
  request: IncomingMessage,
  body: Record<string, unknown>,
  params: string[],
) => Promise<unknown>;

export function createApi(
  deps: ApiDependencies,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const signIns = signInLimiter();
  const pairings = pairingLimiter();

  const principalOf = async (
    request: IncomingMessage,
    roles: readonly Role[],
  ): Promise<Principal> => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/.exec(header);
    let principal: Principal;
    try {
      principal = await deps.tokens.verify(match?.[1]);
      if (
        principal.role === 'kiosk' ||
        deps.staff.get(principal.subject)?.role !== principal.role
      ) {
        throw new Refusal('revoked');
      }
    } catch (error) {
      if (error instanceof Refusal) {
        throw new HttpError(401, error.reason, 'sign in again');
      }
      throw error;
    }
    if (!roles.includes(principal.role))
      throw new HttpError(403, 'forbidden', `needs role ${roles.join(' or ')}`);
    return principal;
  };
  const siteFor = (principal: Principal, requested: unknown): string => {
    if (principal.role !== 'admin') return principal.siteId as string;
    const site = typeof requested === 'string' ? requested : deps.defaultSiteId;
    if (!siteExists(deps.db, site))
      throw new HttpError(404, 'no-such-site', `no site ${site.slice(0, 64)}`);
    return site;
  };
  /**
   * The reader and site of a report: staff, viewers and admins, scoped like GET /api/devices.
   * Only an admin may name a site with `?siteId=`; anyone else naming another site is refused
   * rather than silently shown their own.
   */
  const reportScope = async (request: IncomingMessage) => {
    const principal = await principalOf(request, ['staff', 'viewer', 'admin']);
    const query = queryOf(request);
    const requested = query.get('siteId') || undefined;
    if (principal.role !== 'admin' && requested !== undefined && requested !== principal.siteId)
      throw new HttpError(403, 'wrong-site', 'you may read only your own site');
    const siteId = siteFor(principal, requested);
    return { siteId, query, site: deps.siteView(siteId) };
  };
  const session = async (member: { id: string; siteId: string | null; role: Role }) => ({
    accessToken: await deps.tokens.issue({
      role: member.role,
      siteId: member.siteId,
      subject: member.id,
    }),
    expiresIn: deps.tokens.ttl,
  });

  const routes: [string, RegExp, Handler][] = [
    ['GET', /^\/api\/time$/, async () => ({ now: Date.now() })],

    [
      'POST',
      /^\/api\/setup$/,
      async (_request, body) => {
        const code = text(body, 'code', 40);
        // Only ever for the first account: once anyone exists (an admin made with the CLI, say),
        // a code seen in an old start-up log must not make another admin.
        if (deps.staff.count() > 0) {
          clearSetupCode(deps.db);
          throw new HttpError(409, 'already-set-up', 'an admin exists: sign in instead');
        }
        const stored = deps.db.prepare("select value from meta where key = 'setup_code'").get() as
          | { value: string }
          | undefined;
        if (!stored || stored.value !== hashSecret(code.toUpperCase())) {
          throw new HttpError(
            403,
            'bad-setup-code',
            'that setup code is not valid (it is printed at the first start)',
          );
        }
        const admin = await accountOrError(() =>
          deps.staff.create({
            username: text(body, 'username', 40),
            password: text(body, 'password', 200),
            role: 'admin',
            siteId: null,
          }),
        );
        clearSetupCode(deps.db);
        return { staff: admin };
      },
    ],

    [
      'POST',
      /^\/api\/session$/,
      async (request, body) => {
        const username = text(body, 'username', 40).toLowerCase();
        const key = `${clientAddress(request)}|${username}`;
        const wait = signIns.blockedFor(key);
        if (wait > 0)
          throw new HttpError(
            429,
            'too-many-attempts',
            `try again in ${Math.ceil(wait / 60_000)} min`,
          );
        const member = await deps.staff.signIn(username, text(body, 'password', 200));
        if (!member) {
          signIns.fail(key);
          throw new HttpError(401, 'bad-credentials', 'wrong username or password');
        }
        signIns.reset(key);
        return {
          ...(await session(member)),
          refreshToken: deps.staff.issueRefresh(member.id),
          staff: member,
          // The site a dashboard shows: an admin (of every site) starts with the default one.
          siteId: member.siteId ?? deps.defaultSiteId,
        };
      },
    ],
    [
      'POST',
      /^\/api\/session\/refresh$/,
      async (_request, body) => {
        const rotated = deps.staff.rotateRefresh(text(body, 'refreshToken', 100));
        if (!rotated) throw new HttpError(401, 'bad-refresh-token', 'sign in again');
        return {
          ...(await session(rotated.member)),
          refreshToken: rotated.refresh,
          staff: rotated.member,
          siteId: rotated.member.siteId ?? deps.defaultSiteId,
        };
      },
    ],
    [
      'POST',
      /^\/api\/session\/end$/,
      async (_request, body) => {
        deps.staff.revokeRefresh(text(body, 'refreshToken', 100));
        return { ok: true };
      },
    ],

    [
      'POST',
      /^\/api\/pairing-codes$/,
      async (request, body) => {
        const principal = await principalOf(request, ['staff', 'admin']);
        const name = optionalText(body, 'name', 60) ?? 'Kiosk';
        return deps.devices.createPairingCode(
          siteFor(principal, body.siteId),
          name,
          principal.subject,
        );
      },
    ],
    [
      'POST',
      /^\/api\/devices\/pair$/,
      async (request, body) => {
        const address = clientAddress(request);
        const wait = pairings.blockedFor(address);
        if (wait > 0)
          throw new HttpError(
            429,
            'too-many-attempts',
            `try again in ${Math.ceil(wait / 60_000)} min`,
          );
        const paired = deps.devices.pair(
          text(body, 'code', 20),
          optionalText(body, 'appVersion', 40),
        );
        if (!paired) {
          pairings.fail(address);
          throw new HttpError(
            403,
            'bad-pairing-code',
            'that code is unknown, used or expired: ask for a new one',
          );
        }
        const { device, secret } = paired;
        deps.log.info({ deviceId: device.id, siteId: device.siteId }, 'device paired');
        return {
          deviceId: device.id,
          deviceSecret: secret,
          siteId: device.siteId,
          name: device.name,
        };
      },
    ],
    [
      'POST',
      /^\/api\/devices\/token$/,
      async (_request, body) => {
        const id = text(body, 'deviceId', 64);
        const device = deps.devices.authenticate(id, text(body, 'deviceSecret', 100));
        if (!device) {
          const revoked = deps.devices.get(id)?.revokedAt != null;
          throw new HttpError(
            403,
            revoked ? 'revoked' : 'bad-device-credential',
            revoked ? 'this device was revoked: pair it again' : 'unknown device',
          );
        }
        deps.devices.touch(device.id, {
          seen: Date.now(),
          ...(typeof body.appVersion === 'string'
            ? { appVersion: body.appVersion.slice(0, 40) }
            : {}),
        });
        return {
          accessToken: await deps.tokens.issue({
            role: 'kiosk',
            siteId: device.siteId,
            subject: device.id,
          }),
          expiresIn: deps.tokens.ttl,
          siteId: device.siteId,
          name: device.name,
        };
      },
    ],
    [
      'GET',
      /^\/api\/staff$/,
      async (request) => {
        // Names for the audit list: which account made a correction. No secrets, no hashes.
        const principal = await principalOf(request, ['staff', 'viewer', 'admin']);
        const site = siteFor(principal, queryOf(request).get('siteId') ?? undefined);
        return {
          staff: deps.staff.listFor(site).map(({ id, username, role }) => ({ id, username, role })),
        };
      },
    ],
    [
      'GET',
      /^\/api\/devices$/,
      async (request) => {
        const principal = await principalOf(request, ['staff', 'viewer', 'admin']);
        const open = deps.access.openBySubject();
        const devices = deps.devices.list(principal.role === 'admin' ? null : principal.siteId);
        return { devices: devices.map((d) => ({ ...d, online: (open.get(d.id) ?? 0) > 0 })) };
      },
    ],

    [
      'GET',
      /^\/api\/reports\/visits$/,
      async (request) => {
        const { siteId, query, site } = await reportScope(request);
        const { from, to } = validRange(parseDayRange(query));
        const visits = readVisits(deps.db, { siteId, from, to, order: 'asc', now: Date.now() });
        return new CsvBody(
          `visits-${siteId}-${from}-to-${to}.csv`,
          visitsCsv(visits, { timeZone: site.settings.timeZone, names: site.members }),
        );
      },
    ],
    [
      'GET',
      /^\/api\/members\/([A-Za-z0-9_.-]{1,64})\/visits$/,
      async (request, _body, [memberId]) => {
        const { siteId, query, site } = await reportScope(request);
        const today = localDayOf(Date.now(), site.settings.timeZone);
        const { from, to } = validRange(
          parseDayRange(query, { to: today, days: MEMBER_HISTORY_DAYS }),
        );
        const visits = readVisits(deps.db, {
          siteId,
          from,
          to,
          memberId,
          order: 'desc',
          now: Date.now(),
        });
        return {
          memberId,
          name: site.members.get(memberId as string)?.name ?? null,
          from,
          to,
          visits: visits.map(({ id, day, start, end, closedBy }) => ({
            id,
            day,
            start,
            end,
            closedBy,
            stayMs: end === null ? null : end - start,
          })),
        };
      },
    ],
    [
      'GET',
      /^\/api\/reports\/peak-hours$/,
      async (request) => {
        const { siteId, query, site } = await reportScope(request);
        const weeks = weeksOf(query.get('weeks'));
        const { timeZone, maxStayMinutes } = site.settings;
        const now = Date.now();
        const { from, to } = peakHoursPeriod(localDayOf(now, timeZone), weeks);
        // Visits of the day before the period may last into its first hours (max stay ≤ 24 h).
        const visits = readVisits(deps.db, {
          siteId,
          from: addDays(from, -1),
          to,
          order: 'asc',
          now,
        });
        const maxStayMs = maxStayMinutes * 60_000;
        return {
          timeZone,
          from,
          to,
          weeks,
          hours: peakHours(visits, { timeZone, from, to, now, maxStayMs }),
        };
      },
    ],
    [
      'PATCH',
      /^\/api\/devices\/([\w-]{1,64})$/,
      async (request, body, [id]) => {
        const principal = await principalOf(request, ['staff', 'admin']);
        const device = ownDevice(deps, principal, id as string);
        deps.devices.rename(device.id, text(body, 'name', 60));
        return { device: deps.devices.get(device.id) };
      },
    ],
    [
      'DELETE',
      /^\/api\/devices\/([\w-]{1,64})$/,
      async (request, _body, [id]) => {
        const principal = await principalOf(request, ['staff', 'admin']);
        const device = ownDevice(deps, principal, id as string);
        deps.devices.revoke(device.id);
        const closed = deps.access.closeSubject(device.id);
        deps.log.info({ deviceId: device.id, closed }, 'device revoked');
        return { device: deps.devices.get(device.id), closedConnections: closed };
      },
    ],
  ];

  return async (request, response) => {
    const path = (request.url ?? '/').split('?')[0] as string;
    const route = routes.find(
      ([method, pattern]) => method === request.method && pattern.test(path),
    );
    let status = 200;
    let payload: unknown;
    try {
      if (!route) throw new HttpError(404, 'not-found', 'no such API route');
      if (request.method !== 'GET' && !deps.originAllowed(request)) {
        throw new HttpError(403, 'bad-origin', 'this origin may not call the API');
      }
      const body = request.method === 'GET' ? {} : await readJson(request);
      payload = await route[2](request, body, (route[1].exec(path) as RegExpExecArray).slice(1));
    } catch (error) {
      if (!(error instanceof HttpError)) deps.log.error({ err: error, path }, 'API error');
      const known =
        error instanceof HttpError ? error : new HttpError(500, 'internal', 'something went wrong');
      status = known.status;
      payload = { error: { code: known.code, message: known.message } };
      // Every refusal is counted by its machine-readable code (expired, revoked, bad-origin, …).
      if (status === 401 || status === 403 || status === 429)
        deps.metrics.refusals.inc({ reason: known.code });
    }
    deps.metrics.httpRequests.inc({
      route: route ? `${route[0]} ${route[1].source}` : 'unknown',
      status: String(status),
    });
    if (payload instanceof CsvBody) {
      response.writeHead(status, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${payload.filename}"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      response.end(payload.text);
      return;
    }
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    response.end(JSON.stringify(payload));
  };
}

function ownDevice(deps: ApiDependencies, principal: Principal, id: string) {
  const device = deps.devices.get(id);
  if (!device || (principal.role !== 'admin' && device.siteId !== principal.siteId)) {
    throw new HttpError(404, 'not-found', 'no such device');
  }
  return device;
}

async function accountOrError<T>(create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (error instanceof AccountError) throw new HttpError(400, 'invalid', error.message);
    throw error;
  }
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      throw new HttpError(413, 'too-large', `request bodies are limited to ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'bad-json', 'the body must be a JSON object');
  }
}

function text(body: Record<string, unknown>, field: string, max: number): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new HttpError(400, 'invalid', `${field}: a string of 1–${max} characters is required`);
  }
  return value;
}

function optionalText(body: Record<string, unknown>, field: string, max: number): string | null {
  return body[field] === undefined ? null : text(body, field, max);
}

function queryOf(request: IncomingMessage): URLSearchParams {
  return new URL(request.url ?? '/', 'http://localhost').searchParams;
}

function validRange(result: DayRangeResult): DayRange {
  if (!result.ok) throw new HttpError(400, 'invalid', result.message);
  return result;
}

function weeksOf(value: string | null): number {
  if (value === null || value === '') return DEFAULT_PEAK_WEEKS;
  const weeks = /^\d{1,2}$/.test(value) ? Number(value) : 0;
  if (weeks < 1 || weeks > MAX_PEAK_WEEKS)
    throw new HttpError(400, 'invalid', `weeks: a whole number from 1 to ${MAX_PEAK_WEEKS}`);
  return weeks;
}

function clientAddress(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}

/** Forgets the setup code: there is an account, so it may never be used. */
export function clearSetupCode(db: Db): void {
  db.prepare("delete from meta where key = 'setup_code'").run();
}

/** A one-time code that lets the first admin be created through the API (printed at start). */
export function createSetupCode(db: Db): string {
  const code = `${newPairingCode()}-${newPairingCode()}`;
  db.prepare("insert or replace into meta (key, value) values ('setup_code', ?)").run(
    hashSecret(code),
  );
  return code;
}
