import { afterEach } from 'vitest';
import type { Client, TestServer } from './testServer';

/**
 * A list of the servers and clients a test file opens; after each test they are closed, newest
 * first (clients before the server they talk to). Push what you open.
 */
export function closeAfterEach(): (TestServer | Client)[] {
  const open: (TestServer | Client)[] = [];
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) {
      if ('destroy' in thing) thing.destroy();
      else await thing.close();
    }
  });
  return open;
}
