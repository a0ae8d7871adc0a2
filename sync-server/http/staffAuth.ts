import type { FastifyRequest } from 'fastify';
import type { ApiKeyInfo } from '../../shared/integrationProtocol';
import type { ApiKeyScope } from '../../shared/integrations';
import { FailureBudget, type FailureBudgetPolicy } from '../FailureBudget';
import { looksLikeApiKey } from '../integrations/ApiKeys';
import { Refusal } from '../refusals';
import { sameAccount } from '../StaffAccounts';
import type { Principal, Role } from '../tokens';
import type { HttpContext } from './HttpContext';
import { HttpError, tooManyAttempts } from './HttpError';

/** The roles that read a site's lists and reports. */
export const READERS: readonly Role[] = ['staff', 'viewer', 'admin'];
/** The roles that change devices. */
export const EDITORS: readonly Role[] = ['staff', 'admin'];

/**
 * Requests per API key, per instance ([I1]): 600 in hand, one more every 50 ms (20 a second
 * sustained). A billing system's nightly sync is a few calls of thousands of members each; a
 * key that loops by mistake (or a leaked one) is slowed down without slowing anyone else.
 */
export const API_KEY_RATE: FailureBudgetPolicy = { capacity: 600, drainMs: 50 };

/**
 * Wrong API keys per client address: 30 in hand, one forgiven every 5 s, as wrong passwords
 * ([I1]). A secret of 256 bits is never guessed; this keeps a flood of guesses from costing a
 * database lookup each. A key that names a live one is never slowed by it.
 */
export const BAD_API_KEYS: FailureBudgetPolicy = { capacity: 30, drainMs: 5_000 };

export interface StaffAuth {
  /**
   * A route's `onRequest` hook: the request must carry `Authorization: Bearer` with a valid
   * access token of a staff account that has one of `roles`, or, where the route names a
   * `scope`, an API key with that scope ([I1]); a key acts for the chain, as an admin would, on
   * those routes only. It runs before the body is read, so nobody learns more than 401/403
   * without a credential.
   */
  requires(roles: readonly Role[], scope?: ApiKeyScope): (request: FastifyRequest) => Promise<void>;
  /** The API key a request was accepted with, or null (a staff token, or no hook). */
  keyOf(request: FastifyRequest): ApiKeyInfo | null;
  /** The account the route's `requires` hook accepted. */
  principal(request: FastifyRequest): Principal;
  /** The site a request is about: an admin's choice (or the default), anyone else's own. */
  siteFor(principal: Principal, requested: string | undefined): Promise<string>;
  /**
   * The site of a report, scoped like GET /api/devices. Only an admin may name a site with
   * `?siteId=`; anyone else naming another site is refused rather than silently shown their own.
   */
  reportSite(request: FastifyRequest, requested: string | undefined): Promise<string>;
}

/** Access tokens of staff accounts on API requests (kiosk tokens are for sockets only). */
export function staffAuth(context: HttpContext): StaffAuth {
  const accepted = new WeakMap<FastifyRequest, Principal>();
  const keys = new WeakMap<FastifyRequest, ApiKeyInfo>();
  const keyRate = new FailureBudget(context.limits?.apiKeyRate ?? API_KEY_RATE);
  const badKeys = new FailureBudget(BAD_API_KEYS);
  const verifyKey = async (
    request: FastifyRequest,
    presented: string,
    scope: ApiKeyScope | undefined,
  ): Promise<Principal> => {
    if (scope === undefined)
      throw new HttpError(403, 'missing-scope', 'this route takes a staff sign-in, not an API key');
    // Over its budget of wrong keys, an address is still heard with a key that names a live one.
    const guessing = badKeys.waitFor(request.ip, Date.now());
    if (guessing > 0 && !(await context.apiKeys.mayBeLive(presented)))
      throw tooManyAttempts(guessing);
    const key = await context.apiKeys.verify(presented);
    if (!key) {
      badKeys.take(request.ip, Date.now());
      throw new HttpError(401, 'bad-api-key', 'the API key is unknown or revoked');
    }
    if (!key.scopes.includes(scope))
      throw new HttpError(403, 'missing-scope', `the API key needs the scope ${scope}`);
    const wait = keyRate.take(key.id, Date.now());
    if (wait > 0) throw tooManyAttempts(wait);
    keys.set(request, key);
    // Keys are the chain's, like an admin; `expiresAt` is not read on these routes.
    return { role: 'admin', siteId: null, subject: `key:${key.id}`, expiresAt: 0 };
  };
  const verify = async (request: FastifyRequest): Promise<Principal> => {
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    try {
      const principal = await context.tokens.verify(match?.[1]);
      if (
        principal.role === 'kiosk' ||
        !sameAccount(await context.staff.get(principal.subject), principal)
      ) {
        throw new Refusal('revoked');
      }
      return principal;
    } catch (error) {
      if (error instanceof Refusal) throw new HttpError(401, error.reason, 'sign in again');
      throw error;
    }
  };
  const principal = (request: FastifyRequest): Principal => {
    const found = accepted.get(request);
    if (!found) throw new Error(`${request.url}: the route has no staffAuth.requires hook`);
    return found;
  };
  const siteFor = async (who: Principal, requested: string | undefined): Promise<string> => {
    if (who.role !== 'admin') return who.siteId as string;
    // An admin's token carries the site its dashboard shows ([C3]).
    const site = requested ?? who.siteId ?? context.defaultSiteId;
    if (context.sites.get(site) === null)
      throw new HttpError(404, 'no-such-site', `no site ${site.slice(0, 64)}`);
    return site;
  };
  return {
    requires: (roles, scope) => async (request) => {
      const presented = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (presented !== undefined && looksLikeApiKey(presented)) {
        accepted.set(request, await verifyKey(request, presented, scope));
        return;
      }
      const who = await verify(request);
      if (!roles.includes(who.role))
        throw new HttpError(403, 'forbidden', `needs role ${roles.join(' or ')}`);
      accepted.set(request, who);
    },
    principal,
    keyOf: (request) => keys.get(request) ?? null,
    siteFor,
    async reportSite(request, requested) {
      const who = principal(request);
      const site = requested || undefined;
      if (who.role !== 'admin' && site !== undefined && site !== who.siteId)
        throw new HttpError(403, 'wrong-site', 'you may read only your own site');
      return siteFor(who, site);
    },
  };
}
