import { PairAnswer, PairBody, PairingCodeAnswer, PairingCodeBody } from '../../shared/apiProtocol';
import { RateLimiter } from '../RateLimiter';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError, tooManyAttempts } from './HttpError';
import { EDITORS, type StaffAuth } from './staffAuth';

/** Wrong pairing codes allowed per address in one window: codes have ~40 bits, so this suffices. */
const PAIRING_ATTEMPTS = 10;
/** The pairing window, ms: 10 minutes. */
const PAIRING_WINDOW_MS = 10 * 60_000;

/** Pairing a tablet: staff make a one-time code, the tablet trades it for a device credential. */
export function pairingRoutes(app: HttpApp, context: HttpContext, auth: StaffAuth): void {
  const pairings = new RateLimiter(PAIRING_ATTEMPTS, PAIRING_WINDOW_MS);

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
      return context.devices.createPairingCode(
        auth.siteFor(principal, request.body.siteId),
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
    async (request) => {
      const address = request.socket.remoteAddress ?? 'unknown';
      const wait = pairings.blockedFor(address);
      if (wait > 0) throw tooManyAttempts(wait);
      const paired = context.devices.pair(request.body.code, request.body.appVersion ?? null);
      if (!paired) {
        pairings.fail(address);
        throw new HttpError(
          403,
          'bad-pairing-code',
          'that code is unknown, used or expired: ask for a new one',
        );
      }
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
