import Type from 'typebox';
import { MemberVisitsAnswer, RangeQuery } from '../../shared/apiProtocol';
import { localDayOf } from '../../shared/localTime';
import { readVisits } from '../visitRecord';
import { dayRangeOf } from './dayRangeOf';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers } from './HttpError';
import { READERS, type StaffAuth } from './staffAuth';

/** A member's history without from/to covers this many days up to today. */
const MEMBER_HISTORY_DAYS = 90;

/** One member's visits, for the dashboard's member history. */
export function memberRoutes(app: HttpApp, context: HttpContext, auth: StaffAuth): void {
  app.get(
    '/api/members/:memberId/visits',
    {
      schema: {
        summary: "One member's visits, newest first (default: the last 90 days)",
        security: [{ bearer: [] }],
        params: Type.Object({ memberId: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }) }),
        querystring: RangeQuery,
        response: answers(MemberVisitsAnswer),
      },
      onRequest: auth.requires(READERS),
    },
    async (request) => {
      const { memberId } = request.params;
      const siteId = await auth.reportSite(request, request.query.siteId);
      const site = await context.siteView(siteId);
      const today = localDayOf(Date.now(), site.settings.timeZone);
      const { from, to } = dayRangeOf(request.query, { to: today, days: MEMBER_HISTORY_DAYS });
      const visits = await readVisits(context.db, {
        siteId,
        from,
        to,
        memberId,
        order: 'desc',
        now: Date.now(),
      });
      return {
        memberId,
        name: site.members.get(memberId)?.name ?? null,
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
  );
}
