import Type from 'typebox';
import {
  CreateSiteBody,
  OverviewAnswer,
  SiteAnswer,
  type SiteNumbersRow,
  type SiteSummary,
  SitesAnswer,
} from '../../shared/apiProtocol';
import { type Site, SiteError } from '../SiteRegistry';
import { siteNumbers } from '../siteNumbers';
import type { Principal } from '../tokens';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError } from './HttpError';
import { READERS, type StaffAuth } from './staffAuth';

const SiteParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** A site as `principal` sees it, or null when the account has no role there. */
export function siteFor(principal: Principal, site: Site): SiteSummary | null {
  if (principal.role !== 'admin' && principal.siteId !== site.id) return null;
  return {
    id: site.id,
    name: site.name,
    timeZone: site.timeZone,
    archived: site.archivedAt !== null,
    role: principal.role as SiteSummary['role'],
  };
}

/** The sites an account may open: every site for an admin, its own for anyone else. */
export function sitesOf(context: HttpContext, principal: Principal): SiteSummary[] {
  return context.sites
    .list()
    .map((site) => siteFor(principal, site))
    .filter((site): site is SiteSummary => site !== null);
}

/**
 * The chain's sites ([C1]–[C2]): anyone signed in lists the sites they may open; admins create,
 * archive and restore. Name, time zone and every other setting are the site document's (Settings).
 */
export function siteRoutes(app: HttpApp, context: HttpContext, auth: StaffAuth): void {
  app.get(
    '/api/sites',
    {
      onRequest: auth.requires(READERS),
      schema: { summary: 'The sites this account may open', response: answers(SitesAnswer) },
    },
    async (request) => ({ sites: sitesOf(context, auth.principal(request)) }),
  );

  app.get(
    '/api/sites/overview',
    {
      onRequest: auth.requires(READERS),
      schema: {
        summary: 'Currently in and visits today at each of your sites, and the total',
        response: answers(OverviewAnswer),
      },
    },
    async (request) => {
      const now = Date.now();
      const rows: SiteNumbersRow[] = [];
      for (const site of sitesOf(context, auth.principal(request))) {
        const numbers = await siteNumbers(context.db, site.id, site.timeZone, now);
        rows.push({ id: site.id, name: site.name, archived: site.archived, ...numbers });
      }
      const total = (key: 'currentlyIn' | 'visitsToday') =>
        rows.reduce((sum, row) => sum + row[key], 0);
      return {
        asOf: now,
        sites: rows,
        total: { currentlyIn: total('currentlyIn'), visitsToday: total('visitsToday') },
      };
    },
  );

  app.post(
    '/api/sites',
    {
      onRequest: auth.requires(['admin']),
      schema: {
        summary:
          'Create a site (admins): its id never changes; name and time zone start its settings',
        body: CreateSiteBody,
        response: answers(SiteAnswer, 201),
      },
    },
    async (request, reply) => {
      const principal = auth.principal(request);
      try {
        const { site, created } = await context.sites.create(request.body);
        if (!created) throw new HttpError(409, 'site-exists', `there is a site ${site.id} already`);
        context.log.info({ siteId: site.id, by: principal.subject }, 'site created');
        context.signal({ kind: 'sites' });
        return reply.code(201).send({ site: siteFor(principal, site) as SiteSummary });
      } catch (error) {
        throw httpErrorOf(error);
      }
    },
  );

  for (const [action, archived] of [
    ['archive', true],
    ['restore', false],
  ] as const) {
    app.post(
      `/api/sites/:id/${action}`,
      {
        onRequest: auth.requires(['admin']),
        schema: {
          summary:
            action === 'archive'
              ? 'Archive a site (admins): its kiosks are refused from now on; nothing is deleted'
              : 'Restore an archived site (admins): its kiosks deliver what they kept',
          params: SiteParams,
          response: answers(SiteAnswer),
        },
      },
      async (request) => {
        const principal = auth.principal(request);
        try {
          const site = await context.sites.setArchived(request.params.id, archived);
          // Open sockets come back under the new rule at once: kiosks refused, others read only.
          const closed = archived ? context.access.closeSite(site.id, 'site-archived') : 0;
          // The other instances read the sites again, and close the archived site's sockets.
          context.signal({ kind: 'sites' });
          context.log.info(
            { siteId: site.id, by: principal.subject, closedConnections: closed },
            archived ? 'site archived' : 'site restored',
          );
          return { site: siteFor(principal, site) as SiteSummary };
        } catch (error) {
          throw httpErrorOf(error);
        }
      },
    );
  }
}

function httpErrorOf(error: unknown): unknown {
  if (!(error instanceof SiteError)) return error;
  return new HttpError(error.code === 'no-such-site' ? 404 : 400, error.code, error.message);
}
