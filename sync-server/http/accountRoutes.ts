import Type from 'typebox';
import {
  AccountAnswer,
  AccountSetupBody,
  AccountsAnswer,
  ChangeAccountBody,
  CreateAccountBody,
  OkAnswer,
  SessionAnswer,
  SetupCodeAnswer,
} from '../../shared/apiProtocol';
import type { Account } from '../AccountAdmin';
import { addressKey } from '../addressKey';
import { PairingLimits } from '../PairingLimits';
import { AccountError, type StaffRole } from '../StaffAccounts';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError, retryAfterSeconds, tooManyAttempts } from './HttpError';
import { staffSession } from './sessionRoutes';
import type { StaffAuth } from './staffAuth';

const AccountParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/**
 * The Staff screen's API ([C4]–[C5]): admins list, create, change, disable, reset and delete
 * accounts; a new or reset account's person chooses their own password with a one-time set-up
 * code. Every change that takes access away closes the account's sockets at once.
 */
export function accountRoutes(app: HttpApp, context: HttpContext, auth: StaffAuth): void {
  // A set-up code is a credential: guessed at the pace of pairing codes at most.
  const setups = new PairingLimits(context.limits?.pairing);
  const admins = auth.requires(['admin']);
  const known = async (id: string): Promise<Account> => {
    const account = await context.accounts.get(id);
    if (!account) throw new HttpError(404, 'not-found', 'no such account');
    return account;
  };
  /** The site an account is for must exist (an admin's is every site). */
  const siteOf = (role: StaffRole, siteId: string | undefined): string | null => {
    if (role === 'admin') return null;
    if (siteId === undefined || context.sites.get(siteId) === null)
      throw new HttpError(400, 'invalid', 'siteId: one of the sites, for staff and viewers');
    return siteId;
  };
  /** An admin may not lock the chain out: the last active admin stays. */
  const keepsAnAdmin = async (account: Account) => {
    if (account.role === 'admin' && account.disabledAt === null) {
      if ((await context.accounts.activeAdmins()) <= 1)
        throw new HttpError(409, 'last-admin', 'this is the last admin who can sign in');
    }
  };
  const accountError = (error: unknown) =>
    error instanceof AccountError ? new HttpError(400, 'invalid', error.message) : error;

  app.get(
    '/api/accounts',
    {
      onRequest: admins,
      schema: { summary: 'Every account (admins)', response: answers(AccountsAnswer) },
    },
    async () => ({ accounts: await context.accounts.list() }),
  );

  app.post(
    '/api/accounts',
    {
      onRequest: admins,
      schema: {
        summary: 'A new account with a one-time set-up code for its person (valid 24 h)',
        body: CreateAccountBody,
        response: answers(SetupCodeAnswer, 201),
      },
    },
    async (request, reply) => {
      const { username, role, siteId } = request.body;
      try {
        const made = await context.accounts.invite({
          username,
          role,
          siteId: siteOf(role, siteId),
        });
        context.log.info(
          { account: made.account.id, by: auth.principal(request).subject },
          'account created',
        );
        return reply.code(201).send({
          account: made.account,
          setupCode: made.code,
          expiresAt: made.expiresAt,
        });
      } catch (error) {
        throw accountError(error);
      }
    },
  );

  app.patch(
    '/api/accounts/:id',
    {
      onRequest: admins,
      schema: {
        summary: "Change an account's role and site (its open sessions end)",
        params: AccountParams,
        body: ChangeAccountBody,
        response: answers(AccountAnswer),
      },
    },
    async (request) => {
      const before = await known(request.params.id);
      const { role, siteId } = request.body;
      if (role !== 'admin') await keepsAnAdmin(before);
      const account = await context.accounts.update(before.id, {
        role,
        siteId: siteOf(role, siteId),
      });
      // Its tokens name the old role or site: connections made with them end now.
      context.signal({ kind: 'subject', subject: before.id, reason: 'revoked' });
      return { account: account as Account };
    },
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(
      `/api/accounts/:id/${action}`,
      {
        onRequest: admins,
        schema: {
          summary: disabled
            ? 'Disable an account: no sign-in, its sessions and sockets end at once'
            : 'Enable a disabled account',
          params: AccountParams,
          response: answers(AccountAnswer),
        },
      },
      async (request) => {
        const before = await known(request.params.id);
        if (disabled) await keepsAnAdmin(before);
        const account = await context.accounts.setDisabled(before.id, disabled);
        if (disabled) context.signal({ kind: 'subject', subject: before.id, reason: 'revoked' });
        context.log.info(
          { account: before.id, by: auth.principal(request).subject },
          disabled ? 'account disabled' : 'account enabled',
        );
        return { account: account as Account };
      },
    );
  }

  app.post(
    '/api/accounts/:id/reset',
    {
      onRequest: admins,
      schema: {
        summary: 'A new set-up code: the password stops working and sessions end now',
        params: AccountParams,
        response: answers(SetupCodeAnswer),
      },
    },
    async (request) => {
      const before = await known(request.params.id);
      const reset = await context.accounts.reset(before.id);
      if (!reset) throw new HttpError(404, 'not-found', 'no such account');
      context.signal({ kind: 'subject', subject: before.id, reason: 'revoked' });
      return {
        account: (await known(before.id)) as Account,
        setupCode: reset.code,
        expiresAt: reset.expiresAt,
      };
    },
  );

  app.delete(
    '/api/accounts/:id',
    {
      onRequest: admins,
      schema: {
        summary: 'Delete an account (what it recorded stays, under its writer)',
        params: AccountParams,
        response: answers(OkAnswer),
      },
    },
    async (request) => {
      const before = await known(request.params.id);
      await keepsAnAdmin(before);
      await context.accounts.delete(before.id);
      context.signal({ kind: 'subject', subject: before.id, reason: 'revoked' });
      context.log.info(
        { account: before.id, by: auth.principal(request).subject },
        'account deleted',
      );
      return { ok: true as const };
    },
  );

  app.post(
    '/api/accounts/setup',
    {
      schema: {
        summary: 'Choose your password with your set-up code; signs you in',
        body: AccountSetupBody,
        response: answers(SessionAnswer),
      },
    },
    async (request, reply) => {
      const attempt = setups.begin(addressKey(request.ip));
      if ('waitMs' in attempt) {
        reply.header('retry-after', String(retryAfterSeconds(attempt.waitMs)));
        throw tooManyAttempts(attempt.waitMs);
      }
      let member: Awaited<ReturnType<typeof context.accounts.setUp>>;
      try {
        member = await context.accounts.setUp(request.body.code, request.body.password);
      } catch (error) {
        attempt.abandon();
        throw accountError(error);
      }
      if (!member) {
        attempt.fail();
        throw new HttpError(
          403,
          'bad-setup-link',
          'that set-up code is unknown, used or expired: ask an admin for a new one',
        );
      }
      attempt.succeed();
      return staffSession(context, member, await context.staff.issueRefresh(member.id));
    },
  );
}
