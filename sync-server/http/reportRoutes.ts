import Type from 'typebox';
import {
  ApiError,
  ChainVisitsAnswer,
  ChainVisitsQuery,
  PeakHoursAnswer,
  PeakHoursQuery,
  RangeQuery,
} from '../../shared/apiProtocol';
import { addDays, localDayOf } from '../../shared/localTime';
import { admittedAt } from '../../shared/member';
import { chainVisits } from '../chainVisits';
import { DEFAULT_PEAK_WEEKS, MAX_PEAK_WEEKS, peakHours, peakHoursPeriod } from '../peakHours';
import { readVisits } from '../visitRecord';
import { visitsCsv } from '../visitsCsv';
import { dayRangeOf } from './dayRangeOf';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError } from './HttpError';
import { READERS, type StaffAuth } from './staffAuth';

/** The site's reports: visits as a CSV file, and peak hours. */
export function reportRoutes(app: HttpApp, context: HttpContext, auth: StaffAuth): void {
  app.get(
    '/api/reports/visits',
    {
      schema: {
        summary: 'CSV of the visits whose day is in from–to (at most 366 days), local times',
        security: [{ bearer: [] }],
        querystring: RangeQuery,
        response: {
          200: {
            description:
              'visit_id,day,member_id,member_name,check_in,check_out,stay_minutes,closed_by',
            content: { 'text/csv': { schema: Type.String() } },
          },
          '4xx': ApiError,
          '5xx': ApiError,
        },
      },
      onRequest: auth.requires(READERS, 'visits:read'),
    },
    async (request, reply) => {
      const siteId = await auth.reportSite(request, request.query.siteId);
      const site = await context.siteView(siteId);
      const { from, to } = dayRangeOf(request.query);
      const visits = await readVisits(context.db, {
        siteId,
        from,
        to,
        order: 'asc',
        now: Date.now(),
      });
      return reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="visits-${siteId}-${from}-to-${to}.csv"`,
        )
        .send(
          visitsCsv(visits, {
            timeZone: site.settings.timeZone,
            // Named only where the site admits them ([M4]): a made-up check-in reveals nothing.
            names: new Map(
              [...(await context.members.byIds(visits.map((visit) => visit.memberId)))].filter(
                ([, member]) => admittedAt(member, siteId),
              ),
            ),
          }),
        );
    },
  );

  app.get(
    '/api/reports/chain',
    {
      schema: {
        summary: "Visits at every site over from–to, and members' visits away from home (admins)",
        security: [{ bearer: [] }],
        querystring: ChainVisitsQuery,
        response: answers(ChainVisitsAnswer),
      },
      onRequest: auth.requires(['admin'], 'visits:read'),
    },
    async (request) => {
      const { from, to } = dayRangeOf(request.query);
      const names = new Map(context.sites.list().map((site) => [site.id, site.name]));
      return chainVisits(context.db, { from, to, names });
    },
  );

  app.get(
    '/api/reports/peak-hours',
    {
      schema: {
        summary: 'Average members present per weekday and hour, over 1–12 weeks up to yesterday',
        security: [{ bearer: [] }],
        querystring: PeakHoursQuery,
        response: answers(PeakHoursAnswer),
      },
      onRequest: auth.requires(READERS, 'visits:read'),
    },
    async (request) => {
      const siteId = await auth.reportSite(request, request.query.siteId);
      const weeks = weeksOf(request.query.weeks);
      const { timeZone, maxStayMinutes } = (await context.siteView(siteId)).settings;
      const now = Date.now();
      const { from, to } = peakHoursPeriod(localDayOf(now, timeZone), weeks);
      // Visits of the day before the period may last into its first hours (max stay ≤ 24 h).
      const visits = await readVisits(context.db, {
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
  );
}

function weeksOf(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PEAK_WEEKS;
  const weeks = /^\d{1,2}$/.test(value) ? Number(value) : 0;
  if (weeks < 1 || weeks > MAX_PEAK_WEEKS)
    throw new HttpError(400, 'invalid', `weeks: a whole number from 1 to ${MAX_PEAK_WEEKS}`);
  return weeks;
}
