import {
  OkAnswer,
  RefreshBody,
  type SessionAnswer as Session,
  SessionAnswer,
  SignInBody,
} from '../../shared/apiProtocol';
import { RateLimiter } from '../RateLimiter';
import type { StaffMember } from '../StaffAccounts';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError, tooManyAttempts } from './HttpError';

/** Wrong passwords allowed per address and username in one window. */
const SIGN_IN_ATTEMPTS = 5;
/** The sign-in window, ms: 15 minutes. */
const SIGN_IN_WINDOW_MS = 15 * 60_000;

/**
 * Staff sessions: sign in with username and password, trade the single-use refresh credential
 * for a new access token, end the session. Credentials travel in bodies only.
 */
export function sessionRoutes(app: HttpApp, context: HttpContext): void {
  const signIns = new RateLimiter(SIGN_IN_ATTEMPTS, SIGN_IN_WINDOW_MS);
  const session = async (member: StaffMember, refreshToken: string): Promise<Session> => ({
    accessToken: await context.tokens.issue({
      role: member.role,
      siteId: member.siteId,
      subject: member.id,
    }),
    expiresIn: context.tokens.ttl,
    refreshToken,
    staff: member,
    // The site a dashboard shows: an admin (of every site) starts with the default one.
    siteId: member.siteId ?? context.defaultSiteId,
  });

  app.post(
    '/api/session',
    { schema: { summary: 'Sign in', body: SignInBody, response: answers(SessionAnswer) } },
    async (request) => {
      const username = request.body.username.toLowerCase();
      const key = `${request.socket.remoteAddress ?? 'unknown'}|${username}`;
      const wait = signIns.blockedFor(key);
      if (wait > 0) throw tooManyAttempts(wait);
      const member = await context.staff.signIn(username, request.body.password);
      if (!member) {
        signIns.fail(key);
        throw new HttpError(401, 'bad-credentials', 'wrong username or password');
      }
      signIns.reset(key);
      return session(member, context.staff.issueRefresh(member.id));
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
      const rotated = context.staff.rotateRefresh(request.body.refreshToken);
      if (!rotated) throw new HttpError(401, 'bad-refresh-token', 'sign in again');
      return session(rotated.member, rotated.refresh);
    },
  );

  app.post(
    '/api/session/end',
    { schema: { summary: 'Sign out', body: RefreshBody, response: answers(OkAnswer) } },
    async (request) => {
      context.staff.revokeRefresh(request.body.refreshToken);
      return { ok: true as const };
    },
  );
}
