import Type from 'typebox';
import { ApiError, PublicOccupancyAnswer } from '../../shared/apiProtocol';
import { readPublicOccupancy, TypicalHours } from '../publicOccupancy';
import { SingleFlightCache } from '../SingleFlightCache';
import { BUSY_PAGE_CSP, busyPageHtml, noBusyPageHtml } from './busyPage';
import type { HttpApp, HttpContext } from './HttpContext';
import { HttpError } from './HttpError';
import { embeddableAnywhere } from './securityHeaders';

/**
 * How long one answer is served, ms, here and in browsers and proxies (`max-age`): 5 s. A flood
 * of requests then costs one computation per site per 5 s ([P3]); nobody at the door notices a
 * number 5 s old, when the record itself follows check-ins by a few seconds.
 */
export const PUBLIC_ANSWER_TTL_MS = 5_000;
const CACHE_CONTROL = `public, max-age=${PUBLIC_ANSWER_TTL_MS / 1000}`;
/**
 * Most sites held in the cache: far above any chain. Only existing sites take a place (ids
 * in URLs are anyone's choice), so this is a second bound, not the first.
 */
const MAX_CACHED_SITES = 10_000;
/**
 * Longest one computation may take, ms: 2 s, as readiness waits for the database. A database
 * that does not answer (PostgreSQL unreachable: queries wait, they do not fail) would otherwise
 * hold every request of the window; after this the last answer is given instead ([P2]).
 */
export const PUBLIC_COMPUTE_TIMEOUT_MS = 2_000;

const SiteParams = Type.Object({ siteId: Type.String({ maxLength: 64 }) });

/** What every site without a public page answers: the same for unknown, archived and off. */
const NO_PAGE = 'no public page here';

/**
 * The public "how busy" answers ([P1]–[P3]): JSON for anyone's page or widget, and a plain page
 * to link to or embed. No authentication, nothing about members. Both come from one cache.
 */
export function publicRoutes(app: HttpApp, context: HttpContext): void {
  const cache = new SingleFlightCache<PublicOccupancyAnswer | null>({
    ttlMs: PUBLIC_ANSWER_TTL_MS,
    maxEntries: MAX_CACHED_SITES,
  });
  const typical = new TypicalHours(context.db);
  // The page of each shared answer is written once: Intl formatting costs more than the answer.
  const pages = new WeakMap<PublicOccupancyAnswer, string>();
  const pageOf = (answer: PublicOccupancyAnswer): string => {
    let page = pages.get(answer);
    if (page === undefined) {
      page = busyPageHtml(answer);
      pages.set(answer, page);
    }
    return page;
  };
  const sources = {
    db: context.db,
    site: (siteId: string) => context.sites.get(siteId),
    siteView: context.siteView,
    devices: (siteId: string) => context.devices.list(siteId),
    openBySubject: () => context.access.openBySubject(),
  };

  /** The site's answer, or null for every site without a page. */
  const answerOf = (siteId: string): Promise<PublicOccupancyAnswer | null> => {
    // Unknown ids take no place in the cache and cost no computation.
    if (context.sites.get(siteId) === null) return Promise.resolve(null);
    return cache.get(siteId, async (previous) => {
      context.metrics.publicComputations.inc();
      const now = Date.now();
      try {
        return await withTimeout(
          readPublicOccupancy(sources, typical, siteId, now),
          PUBLIC_COMPUTE_TIMEOUT_MS,
        );
      } catch (error) {
        // The database is down: the last answer, with its age now ([P2]).
        if (!previous) throw error;
        context.log.warn({ err: error, siteId }, 'public occupancy: answering the last known');
        const ageSeconds =
          previous.asOf === null ? null : Math.max(0, Math.round((now - previous.asOf) / 1000));
        return { ...previous, live: false, ageSeconds };
      }
    });
  };

  app.get(
    '/api/public/sites/:siteId/occupancy',
    {
      schema: {
        summary:
          'How busy a site is now, and usually at this hour (no authentication; CORS open; 404 unless the site has switched its public page on)',
        params: SiteParams,
        response: { 200: PublicOccupancyAnswer, '4xx': ApiError, '5xx': ApiError },
      },
      // After the app's CORS hook: any origin may read this route, and only this route.
      onRequest: async (_request, reply) => {
        reply
          .header('access-control-allow-origin', '*')
          .header('cross-origin-resource-policy', 'cross-origin');
      },
    },
    async (request, reply) => {
      const answer = await answerOf(request.params.siteId);
      if (answer === null) throw new HttpError(404, 'not-found', NO_PAGE);
      return reply.header('cache-control', CACHE_CONTROL).send(answer);
    },
  );

  app.get(
    '/busy/:siteId',
    {
      schema: {
        summary:
          'The same as a page for people (HTML, refreshes itself each minute, may be framed by any site); the same 404 page for every site without one',
        params: SiteParams,
        response: {
          200: {
            description: 'the page',
            content: {
              'text/html': {
                schema: Type.String({
                  examples: ['<!doctype html><html lang="en">…<h1>How busy is Riverside?</h1>…'],
                }),
              },
            },
          },
          404: {
            description: 'no such site, or its page is off: the same page either way',
            content: { 'text/html': { schema: Type.String() } },
          },
        },
      },
      onRequest: async (_request, reply) => embeddableAnywhere(reply, BUSY_PAGE_CSP),
    },
    async (request, reply) => {
      const answer = await answerOf(request.params.siteId);
      reply.type('text/html; charset=utf-8');
      if (answer === null)
        return reply.code(404).header('cache-control', 'no-store').send(noBusyPageHtml());
      return reply.header('cache-control', CACHE_CONTROL).send(pageOf(answer));
    },
  );
}

/** `work`, or a rejection once `ms` have passed without it settling. */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the database in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
