import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import {
  MemberAnswer,
  MemberImportAnswer,
  MemberImportBody,
  MemberRecord,
  MembersAnswer,
  MembersQuery,
  MemberVisitsAnswer,
  RangeQuery,
} from '../../shared/apiProtocol';
import { MemberSyncAnswer, MemberSyncBody } from '../../shared/integrationProtocol';
import { localDayOf } from '../../shared/localTime';
import { admittedAt, type Member } from '../../shared/member';
import { planImport } from '../members/planImport';
import type { MemberPlan, PlanRow } from '../members/planMembers';
import { isUniqueViolation } from '../storage/sqlErrors';
import { readVisits } from '../visitRecord';
import { dayRangeOf } from './dayRangeOf';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError } from './HttpError';
import { EDITORS, READERS, type StaffAuth } from './staffAuth';

const MEMBER_ID = { pattern: '^[A-Za-z0-9_.-]{1,64}$' };
/** An import request of MAX_IMPORT_BATCH members is about 1.3 MB of JSON. */
const IMPORT_BODY_BYTES = 4 * 1024 * 1024;
/** A sync of MAX_SYNC_MEMBERS members with ten codes each is about 4 MB of JSON. */
const SYNC_BODY_BYTES = 8 * 1024 * 1024;

/** A member's history without from/to covers this many days up to today. */
const MEMBER_HISTORY_DAYS = 90;

/**
 * The chain's members ([M4]–[M6]) and one member's visits. Writes are planned against the
 * database (`planMembers`), written in one transaction, and then reach the roster documents that
 * list the members before and after ([D7]). Writes of this instance run one at a time; another
 * instance's write that took a card code meanwhile makes this one a 409, never two holders.
 */
export function memberRoutes(app: HttpApp, context: HttpContext, auth: StaffAuth): void {
  let writing: Promise<unknown> = Promise.resolve();
  /** Plans `rows` for the requesting account and writes them when `apply`: one at a time. */
  const importRows = (
    request: FastifyRequest,
    rows: readonly PlanRow[],
    apply: boolean,
    remove: readonly string[] = [],
  ): Promise<MemberPlan & { removed: Member[] }> => {
    const run = async () => {
      const plan = await planFor(context, auth, request, rows);
      const removed = [...(await context.members.byIds(remove)).values()];
      if (!apply || (plan.changes.length === 0 && removed.length === 0))
        return { ...plan, removed };
      try {
        await context.members.write(
          plan.changes,
          Date.now(),
          removed.map((member) => member.id),
        );
      } catch (error) {
        if (isUniqueViolation(error))
          throw new HttpError(409, 'invalid', 'members changed meanwhile: send it again');
        throw error;
      }
      await context.membersChanged([
        ...plan.changes,
        ...removed.map((before) => ({ before, after: null })),
      ]);
      return { ...plan, removed };
    };
    const result = writing.then(run, run);
    writing = result.catch(() => {});
    return result;
  };

  app.get(
    '/api/members',
    {
      schema: {
        summary: "Members: the chain's (admins) or those the account's site admits ([M4])",
        security: [{ bearer: [] }],
        querystring: MembersQuery,
        response: answers(MembersAnswer),
      },
      onRequest: auth.requires(READERS, 'members:read'),
    },
    async (request) => {
      const who = auth.principal(request);
      const { homeSite } = request.query;
      const all = await context.members.list(homeSite ? { homeSite } : {});
      const site = who.siteId as string;
      const shown = who.role === 'admin' ? all : all.filter((member) => admittedAt(member, site));
      return { members: shown.map(memberRecord) };
    },
  );

  app.put(
    '/api/members/:memberId',
    {
      schema: {
        summary:
          "Adds or changes one member by id (staff: members of their own site; an API key with members:write: any, by the billing system's id)",
        security: [{ bearer: [] }],
        params: Type.Object({ memberId: Type.String(MEMBER_ID) }),
        body: MemberRecord,
        response: answers(MemberAnswer),
      },
      onRequest: auth.requires(EDITORS, 'members:write'),
    },
    async (request) => {
      const member = { ...request.body, id: request.params.memberId };
      const plan = await importRows(request, [{ line: 1, member }], true);
      const error = plan.errors[0];
      if (error) throw new HttpError(400, 'invalid', error.reason);
      const saved = await context.members.get(member.id);
      if (!saved) throw new HttpError(409, 'invalid', 'members changed meanwhile: send it again');
      return { member: memberRecord(saved) };
    },
  );

  app.post(
    '/api/members/import',
    {
      bodyLimit: IMPORT_BODY_BYTES,
      schema: {
        summary: 'Imports members: a preview with apply false ([M1]), the import with true',
        security: [{ bearer: [] }],
        body: MemberImportBody,
        response: answers(MemberImportAnswer),
      },
      onRequest: auth.requires(EDITORS),
    },
    async (request) => {
      const { rows, apply } = request.body;
      const plan = await importRows(request, rows, apply);
      return {
        added: plan.changes.filter((change) => change.before === null).length,
        changed: plan.changes.filter((change) => change.before !== null).length,
        unchanged: plan.unchanged,
        errors: plan.errors,
        applied: apply,
      };
    },
  );

  app.post(
    '/api/members::sync',
    {
      bodyLimit: SYNC_BODY_BYTES,
      schema: {
        summary:
          'Upserts up to 10 000 members by id and deletes those named in remove, in one transaction ([I2]); idempotent',
        description:
          'Each member is checked like an import row ([M1]–[M4]); a bad one is answered with its index and reason and the others are still written. Members not named are never touched. A second identical call changes nothing.',
        security: [{ bearer: [] }],
        body: MemberSyncBody,
        response: answers(MemberSyncAnswer),
      },
      onRequest: auth.requires(['admin'], 'members:write'),
    },
    async (request) => {
      const { members, remove = [], dryRun = false } = request.body;
      const syncing = new Set<string>();
      for (const member of members) {
        const id = (member as { id?: unknown } | null)?.id;
        if (typeof id === 'string') syncing.add(id);
      }
      const errors: MemberSyncAnswer['errors'] = [];
      const removable: string[] = [];
      remove.forEach((id, index) => {
        if (syncing.has(id))
          errors.push({ index, in: 'remove', reason: `member ${id} is also in members` });
        else removable.push(id);
      });
      const rows = members.map((member, index) => ({ line: index, member }));
      const plan = await importRows(request, rows, !dryRun, [...new Set(removable)]);
      return {
        added: plan.changes.filter((change) => change.before === null).length,
        changed: plan.changes.filter((change) => change.before !== null).length,
        unchanged: plan.unchanged,
        removed: plan.removed.length,
        errors: [
          ...plan.errors.map(({ line, reason }) => ({
            index: line,
            in: 'members' as const,
            reason,
          })),
          ...errors,
        ],
        applied: !dryRun,
      };
    },
  );

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
      onRequest: auth.requires(READERS, 'visits:read'),
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
        name: await nameAt(context, memberId, siteId),
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

/** A member's name for a report of `siteId`: only where the site admits them ([M4]). */
async function nameAt(
  context: HttpContext,
  memberId: string,
  siteId: string,
): Promise<string | null> {
  const member = await context.members.get(memberId);
  return member && admittedAt(member, siteId) ? member.name : null;
}

/** A member as the API sends it (mutable arrays, as the wire type has them). */
function memberRecord(member: Member): MemberRecord {
  const { access } = member;
  return {
    ...member,
    codes: [...member.codes],
    access: typeof access === 'string' ? access : [...access],
  };
}

/** The plan of `rows` against the database, with what the requesting account may change. */
function planFor(
  context: HttpContext,
  auth: StaffAuth,
  request: FastifyRequest,
  rows: readonly PlanRow[],
): Promise<MemberPlan> {
  const who = auth.principal(request);
  return planImport(context.members, (siteId) => context.sites.state(siteId), who, rows);
}
