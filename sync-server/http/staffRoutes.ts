import Type from 'typebox';
import { StaffListAnswer } from '../../shared/apiProtocol';
import type { HttpApp, HttpContext } from './HttpContext';
import { answers } from './HttpError';
import { READERS, type StaffAuth } from './staffAuth';

/** The accounts of a site, to name who made a correction in the audit list. */
export function staffRoutes(app: HttpApp, context: HttpContext, auth: StaffAuth): void {
  app.get(
    '/api/staff',
    {
      schema: {
        summary: "The site's accounts: id, username and role (no secrets)",
        security: [{ bearer: [] }],
        querystring: Type.Object({ siteId: Type.Optional(Type.String()) }),
        response: answers(StaffListAnswer),
      },
      onRequest: auth.requires(READERS),
    },
    async (request) => {
      const site = await auth.siteFor(auth.principal(request), request.query.siteId);
      const staff = await context.staff.listFor(site);
      return { staff: staff.map(({ id, username, role }) => ({ id, username, role })) };
    },
  );
}
