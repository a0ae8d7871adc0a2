import { PairAnswer, PairBody, PairingCodeAnswer, PairingCodeBody } from '../../shared/apiProtocol';
import { addressKey } from '../addressKey';
import { PairingLimits } from '../PairingLimits';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError, retryAfterSeconds, tooManyAttempts } from './HttpError';
import { EDITORS, type StaffAuth } from './staffAuth';

/** Pairing a tablet: staff make a one-time code, the tablet trades it for a device credential. */
export function pairingRoutes(app: HttpApp, context: HttpContext, auth: StaffAuth): void {
  const pairings = new PairingLimits(context.limits?.pairing);

  app.post(
    '/api/pairing-codes',
    {
      schema: {
        summary: 'A one-time pairing code for a new tablet (valid 10 minutes)',
        security: [{ bearer: [] }],
        body: PairingCodeBody,
        response: answers(PairingCodeAnswer),
      },
      onRequest: auth.requires(EDITORS),
    },
    async (request) => {
      const principal = auth.principal(request);
      const siteId = await auth.siteFor(principal, request.body.siteId);
      if (context.sites.state(siteId) === 'archived')
        throw new HttpError(403, 'site-archived', 'an archived site pairs no tablets: restore it');
      return context.devices.createPairingCode(
        siteId,
        request.body.name ?? 'Kiosk',
        principal.subject,
      );
    },
  );

  app.post(
    '/api/devices/pair',
    {
      schema: {
        summary: 'A new tablet trades a pairing code for its device credential',
        body: PairBody,
        response: answers(PairAnswer),
      },
    },
    async (request, reply) => {
      const attempt = pairings.begin(addressKey(request.ip));
      if ('waitMs' in attempt) {
        reply.header('retry-after', String(retryAfterSeconds(attempt.waitMs)));
        throw tooManyAttempts(attempt.waitMs);
      }
      let paired: Awaited<ReturnType<typeof context.devices.pair>>;
      try {
        paired = await context.devices.pair(request.body.code, request.body.appVersion ?? null);
      } catch (error) {
        attempt.abandon();
        throw error;
      }
      if (!paired) {
        attempt.fail();
        throw new HttpError(
          403,
          'bad-pairing-code',
          'that code is unknown, used or expired: ask for a new one',
        );
      }
      attempt.succeed();
      const { device, secret } = paired;
      context.log.info({ deviceId: device.id, siteId: device.siteId }, 'device paired');
      return {
        deviceId: device.id,
        deviceSecret: secret,
        siteId: device.siteId,
        name: device.name,
      };
    },
  );
}
