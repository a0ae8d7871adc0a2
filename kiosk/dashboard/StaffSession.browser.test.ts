import { describe, expect, inject, it } from 'vitest';
import { apiRequest } from '../apiRequest';
import { memoryStore } from '../device/KeyValueStore';
import { StaffSession } from './StaffSession';

const serverUrl = inject('serverUrl');
const accounts = inject('accounts');

describe('StaffSession in a browser', () => {
  it('lets two tabs sharing one store refresh at once without signing out (Web Locks)', async () => {
    // A refresh credential is single use: without the lock, the second refresh would be refused.
    const store = memoryStore();
    await new StaffSession({ baseUrl: serverUrl, store }).signIn(
      accounts.staff.username,
      accounts.staff.password,
    );
    // Two tabs opened later: neither has an access token, both refresh from the stored credential.
    const first = new StaffSession({ baseUrl: serverUrl, store });
    const second = new StaffSession({ baseUrl: serverUrl, store });
    const tokens = await Promise.all([first.token(), second.token()]);
    for (const token of tokens)
      expect((await apiRequest(serverUrl, 'GET', '/api/devices', { token })).status).toBe(200);
    expect(first.staff?.username).toBe(accounts.staff.username);
  });
});
