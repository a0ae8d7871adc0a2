import { SetupAnswer, SetupBody } from '../../shared/apiProtocol';
import { AccountError } from '../StaffAccounts';
import { clearSetupCode, isSetupCode } from '../setupCode';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError } from './HttpError';

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
      if (context.staff.count() > 0) {
        clearSetupCode(context.db);
        throw new HttpError(409, 'already-set-up', 'an admin exists: sign in instead');
      }
      if (!isSetupCode(context.db, code)) {
        throw new HttpError(
          403,
          'bad-setup-code',
          'that setup code is not valid (it is printed at the first start)',
        );
      }
      try {
        const admin = await context.staff.create({
          username,
          password,
          role: 'admin',
          siteId: null,
        });
        clearSetupCode(context.db);
        return { staff: admin };
      } catch (error) {
        if (error instanceof AccountError) throw new HttpError(400, 'invalid', error.message);
        throw error;
      }
    },
  );
}
