import type { TestProject } from 'vitest/node';
import { pairKiosk, SITE, startTestServer } from '../../sync-server/testing/testServer';

/**
 * Global setup of the browser test project: a real sync server in Node, reachable from the test
 * page in Chromium. The page's origin (Vitest's browser server) is allowed explicitly, as a gym
 * would allow a separately hosted app with ALLOWED_ORIGINS.
 */
export const BROWSER_TEST_PORT = 63315;

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string;
    kiosk: { deviceId: string; deviceSecret: string; token: string };
    /**
     * Sign-in details of a staff account and a viewer account of the test site, and of an admin
     * of every site (the one account that adds sites, and switches between them).
     */
    accounts: Record<'staff' | 'viewer' | 'admin', { username: string; password: string }>;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const origins = [
    `http://localhost:${BROWSER_TEST_PORT}`,
    `http://127.0.0.1:${BROWSER_TEST_PORT}`,
  ].join(',');
  const server = await startTestServer({ ALLOWED_ORIGINS: origins, ACCESS_TOKEN_TTL: '3600' });
  project.provide('serverUrl', server.wsUrl.replace('ws', 'http'));
  project.provide('kiosk', await pairKiosk(server));
  const password = 'correct horse battery';
  for (const role of ['staff', 'viewer'] as const)
    await server.server.staff.create({ username: `desk-${role}`, password, role, siteId: SITE });
  await server.server.staff.create({
    username: 'desk-admin',
    password,
    role: 'admin',
    siteId: null,
  });
  project.provide('accounts', {
    staff: { username: 'desk-staff', password },
    viewer: { username: 'desk-viewer', password },
    admin: { username: 'desk-admin', password },
  });
  return () => server.close();
}
