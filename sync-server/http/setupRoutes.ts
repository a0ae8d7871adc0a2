import { SetupAnswer, SetupBody } from '../../shared/apiProtocol';
import { AccountError } from '../StaffAccounts';
import { claimSetupCode, clearSetupCode, isSetupCode } from '../setupCode';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError } from './HttpError';

const alreadySetUp = () => new HttpError(409, 'already-set-up', 'an admin exists: sign in instead');
const badSetupCode = () =>
  new HttpError(
    403,
    'bad-setup-code',
    'that setup code is not valid (it is printed at the first start)',
  );

/** The first admin, made with the one-time setup code printed at the first start. */
export function setupRoutes(app: HttpApp, context: HttpContext): void {
  app.post(
    '/api/setup',
    {
      schema: {
        summary: 'Create the first admin with the setup code (409 once any account exists)',
        body: SetupBody,
        response: answers(SetupAnswer),
      },
    },
    async (request) => {
      const { code, username, password } = request.body;
      // Only ever for the first account: once anyone exists (an admin made with the CLI, say),
      // a code seen in an old start-up log must not make another admin.
      if ((await context.staff.count()) > 0) {
        await clearSetupCode(context.db);
        throw alreadySetUp();
      }
      if (!(await isSetupCode(context.db, code))) throw badSetupCode();
      try {
        // The code is used up in the transaction that inserts the admin: of two requests with
        // it at once (the password hash takes a while) only one makes an admin.
        const admin = await context.staff.create(
          { username, password, role: 'admin', siteId: null },
          async (tx) => {
            if (await claimSetupCode(tx, code)) return;
            const made = await tx.get<{ n: number }>('select count(*) as n from staff');
            throw (made?.n ?? 0) > 0 ? alreadySetUp() : badSetupCode();
          },
        );
        return { staff: admin };
      } catch (error) {
        if (error instanceof AccountError) throw new HttpError(400, 'invalid', error.message);
        throw error;
      }
    },
  );
}
