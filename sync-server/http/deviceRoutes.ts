import Type from 'typebox';
import {
  DeviceAnswer,
  DevicesAnswer,
  DeviceTokenAnswer,
  DeviceTokenBody,
  RenameBody,
  RevokeAnswer,
} from '../../shared/apiProtocol';
import type { Principal } from '../tokens';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers, HttpError } from './HttpError';
import { EDITORS, READERS, type StaffAuth } from './staffAuth';

const DeviceParams = Type.Object({ id: Type.String({ pattern: '^[\\w-]{1,64}$' }) });

/** Paired tablets: their access tokens, and the list staff see, rename and revoke. */
export function deviceRoutes(app: HttpApp, context: HttpContext, auth: StaffAuth): void {
  const ownDevice = async (principal: Principal, id: string) => {
    const device = await context.devices.get(id);
    if (!device || (principal.role !== 'admin' && device.siteId !== principal.siteId))
      throw new HttpError(404, 'not-found', 'no such device');
    return device;
  };

  app.post(
    '/api/devices/token',
    {
      schema: {
        summary: "A paired tablet's access token (403 revoked or bad-device-credential)",
        body: DeviceTokenBody,
        response: answers(DeviceTokenAnswer),
      },
    },
    async (request) => {
      const { deviceId, deviceSecret, appVersion } = request.body;
      const device = await context.devices.authenticate(deviceId, deviceSecret);
      if (!device) {
        const revoked = (await context.devices.get(deviceId))?.revokedAt != null;
        throw new HttpError(
          403,
          revoked ? 'revoked' : 'bad-device-credential',
          revoked ? 'this device was revoked: pair it again' : 'unknown device',
        );
      }
      // Not revoked: the tablet stays paired and keeps what it holds until the site is restored.
      if (context.sites.state(device.siteId) === 'archived')
        throw new HttpError(403, 'site-archived', 'this club is archived: it takes no check-ins');
      context.devices.touch(device.id, {
        seen: Date.now(),
        ...(appVersion === undefined ? {} : { appVersion: appVersion.slice(0, 40) }),
      });
      return {
        accessToken: await context.tokens.issue({
          role: 'kiosk',
          siteId: device.siteId,
          subject: device.id,
        }),
        expiresIn: context.tokens.ttl,
        siteId: device.siteId,
        name: device.name,
      };
    },
  );

  app.get(
    '/api/devices',
    {
      schema: {
        summary: "The site's kiosks (every site's for an admin)",
        security: [{ bearer: [] }],
        response: answers(DevicesAnswer),
      },
      onRequest: auth.requires(READERS),
    },
    async (request) => {
      const principal = auth.principal(request);
      const open = context.access.openBySubject();
      const devices = await context.devices.list(
        principal.role === 'admin' ? null : principal.siteId,
      );
      return { devices: devices.map((d) => ({ ...d, online: (open.get(d.id) ?? 0) > 0 })) };
    },
  );

  app.patch(
    '/api/devices/:id',
    {
      schema: {
        summary: 'Rename a kiosk',
        security: [{ bearer: [] }],
        params: DeviceParams,
        body: RenameBody,
        response: answers(DeviceAnswer),
      },
      onRequest: auth.requires(EDITORS),
    },
    async (request) => {
      const principal = auth.principal(request);
      const device = await ownDevice(principal, request.params.id);
      await context.devices.rename(device.id, request.body.name);
      return { device: await context.devices.get(device.id) };
    },
  );

  app.delete(
    '/api/devices/:id',
    {
      schema: {
        summary: 'Revoke a kiosk and close its sockets at once',
        security: [{ bearer: [] }],
        params: DeviceParams,
        response: answers(RevokeAnswer),
      },
      onRequest: auth.requires(EDITORS),
    },
    async (request) => {
      const principal = auth.principal(request);
      const device = await ownDevice(principal, request.params.id);
      await context.devices.revoke(device.id);
      const closed = context.access.closeSubject(device.id);
      // And on the other instances.
      context.signal({ kind: 'subject', subject: device.id, reason: 'revoked' });
      context.log.info({ deviceId: device.id, closed }, 'device revoked');
      return { device: await context.devices.get(device.id), closedConnections: closed };
    },
  );
}
