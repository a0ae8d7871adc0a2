import { HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { describe, expect, inject, it } from 'vitest';
import { siteDocName } from '../../shared/docName';
import { DocumentReplica } from './DocumentReplica';

const serverUrl = inject('serverUrl');
const kiosk = inject('kiosk');

describe('DocumentReplica', () => {
  it('ends its loading when it is destroyed before IndexedDB was read, and never connects', async () => {
    // A sign-out (the server ended the session) can close a page's copies while some are still
    // being read: whoever waits for them must not wait forever.
    const socket = new HocuspocusProviderWebsocket({ url: serverUrl.replace('http', 'ws') });
    const tokens: string[] = [];
    const replica = new DocumentReplica({
      name: siteDocName('riverside'),
      socket,
      token: async () => {
        tokens.push('asked');
        return kiosk.token;
      },
      storageName: `test-${crypto.randomUUID()}`,
    });
    const closed = replica.destroy();
    let settled = false;
    void replica.loaded.then(() => {
      settled = true;
    });
    await closed;
    await expect.poll(() => settled, { timeout: 5_000 }).toBe(true);
    // Nothing attached the destroyed document to the socket.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(tokens).toEqual([]);
    socket.destroy();
  });
});
