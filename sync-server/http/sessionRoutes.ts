import {
  OkAnswer,
  RefreshBody,
  type SessionAnswer as Session,
  SessionAnswer,
  SignInBody,
} from '../../shared/apiProtocol';
import { addressKey } from '../addressKey';
import { SignInLimits } from '../SignInLimits';
import { normalizeUsername, type StaffMember } from '../StaffAccounts';
import type { Principal } from '../tokens';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError, retryAfterSeconds, tooManyAttempts } from './HttpError';
import { sitesOf } from './siteRoutes';

/**
 * A session for `wanted` when the account may open it, else for its own site (an admin's: the
 * default one). The answer's `siteId` says which: a refresh credential is single-use, so a
 * switch it does not allow still answers with a session rather than an error that loses it.
 */
export async function staffSession(
  context: HttpContext,
  member: StaffMember,
  refreshToken: string,
  wanted?: string,
): Promise<Session> {
  const sites = sitesOf(context, { role: member.role, siteId: member.siteId } as Principal);
  const siteId =
    sites.find((site) => site.id === wanted)?.id ?? member.siteId ?? context.defaultSiteId;
  return {
    // An admin's token may open every site; it carries the one the dashboard shows, which
    // the API's routes then default to.
    accessToken: await context.tokens.issue({ role: member.role, siteId, subject: member.id }),
    expiresIn: context.tokens.ttl,
    refreshToken,
    staff: member,
    siteId,
    sites,
  };
}

/**
 * Staff sessions: sign in with username and password, trade the single-use refresh credential
 * for a new access token, end the session. Credentials travel in bodies only.
 */
export function sessionRoutes(app: HttpApp, context: HttpContext): void {
  const signIns = new SignInLimits(context.limits?.signIn);

  app.post(
    '/api/session',
    { schema: { summary: 'Sign in', body: SignInBody, response: answers(SessionAnswer) } },
    async (request, reply) => {
      // The account's own key: every spelling that signs in to it is limited as it.
      const username = normalizeUsername(request.body.username);
      // Reserved before the hash runs, so concurrent guesses cannot all be evaluated.
      const attempt = signIns.begin(username, addressKey(request.ip));
      if ('waitMs' in attempt) {
        reply.header('retry-after', String(retryAfterSeconds(attempt.waitMs)));
        throw tooManyAttempts(attempt.waitMs);
      }
      let member: StaffMember | null;
      try {
        member = await context.staff.signIn(username, request.body.password);
      } catch (error) {
        attempt.abandon();
        throw error;
      }
      if (!member) {
        attempt.fail();
        throw new HttpError(401, 'bad-credentials', 'wrong username or password');
      }
      attempt.succeed();
      return staffSession(context, member, await context.staff.issueRefresh(member.id));
    },
  );

  app.post(
    '/api/session/refresh',
    {
      schema: {
        summary: 'A new access token for a refresh credential (single use)',
        body: RefreshBody,
        response: answers(SessionAnswer),
      },
    },
    async (request) => {
      const rotated = await context.staff.rotateRefresh(request.body.refreshToken);
      if (!rotated) throw new HttpError(401, 'bad-refresh-token', 'sign in again');
      return staffSession(context, rotated.member, rotated.refresh, request.body.siteId);
    },
  );

  app.post(
    '/api/session/end',
    { schema: { summary: 'Sign out', body: RefreshBody, response: answers(OkAnswer) } },
    async (request) => {
      await context.staff.revokeRefresh(request.body.refreshToken);
      return { ok: true as const };
    },
  );
}
