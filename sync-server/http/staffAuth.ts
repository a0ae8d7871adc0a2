import type { FastifyRequest } from 'fastify';
import { Refusal } from '../refusals';
import { sameAccount } from '../StaffAccounts';
import type { Principal, Role } from '../tokens';
import type { HttpContext } from './HttpContext';
import { HttpError } from './HttpError';

/** The roles that read a site's lists and reports. */
export const READERS: readonly Role[] = ['staff', 'viewer', 'admin'];
/** The roles that change devices. */
export const EDITORS: readonly Role[] = ['staff', 'admin'];

export interface StaffAuth {
  /**
   * A route's `onRequest` hook: the request must carry `Authorization: Bearer` with a valid
   * access token of a staff account that has one of `roles`. It runs before the body is read,
   * so nobody learns more than 401/403 without a token.
   */
  requires(roles: readonly Role[]): (request: FastifyRequest) => Promise<void>;
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
    requires: (roles) => async (request) => {
      const who = await verify(request);
      if (!roles.includes(who.role))
        throw new HttpError(403, 'forbidden', `needs role ${roles.join(' or ')}`);
      accepted.set(request, who);
    },
    principal,
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
