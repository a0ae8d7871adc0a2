import { describe, expect, it } from 'vitest';
import { addressAllowed, webhookUrlProblem } from './webhookUrl';

describe('webhook URLs [I4]', () => {
  it('[I4] accepts https anywhere and plain http only to this machine on a private network', () => {
    expect(webhookUrlProblem('https://hooks.example.com/headcount', false)).toBeNull();
    expect(webhookUrlProblem('http://hooks.example.com/x', true)).toMatch(/only allowed to this/);
    expect(webhookUrlProblem('http://127.0.0.1:9000/x', false)).toMatch(/own network/);
    expect(webhookUrlProblem('http://127.0.0.1:9000/x', true)).toBeNull();
    expect(webhookUrlProblem('http://[::1]:9000/x', true)).toBeNull();
    expect(webhookUrlProblem('http://localhost:9000/x', true)).toBeNull();
    expect(webhookUrlProblem('http://10.0.0.5/x', true)).toMatch(/only allowed to this/);
  });

  it('[I4] refuses other schemes, credentials, fragments and overlong URLs', () => {
    expect(webhookUrlProblem('ftp://example.com/x', false)).toMatch(/https/);
    expect(webhookUrlProblem('file:///etc/passwd', true)).toMatch(/https/);
    expect(webhookUrlProblem('https://user:pw@example.com/', false)).toMatch(/user name/);
    expect(webhookUrlProblem('https://example.com/#x', false)).toMatch(/fragment/);
    expect(webhookUrlProblem(`https://example.com/${'a'.repeat(2000)}`, false)).toMatch(/longer/);
    expect(webhookUrlProblem('not a url', false)).toBe('not a URL');
  });

  it('[I4] connects to public addresses only, unless the receiver is on the private network', () => {
    const publicOnly = { privateNetwork: false, plainHttp: false };
    const local = { privateNetwork: true, plainHttp: false };
    for (const address of ['93.184.216.34', '2606:2800:220:1::1'])
      expect(addressAllowed(address, publicOnly), address).toBe(true);
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '192.168.1.10',
      '172.16.0.1',
      '::1',
      'fd00::1',
      '100.64.0.1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
    ])
      expect(addressAllowed(address, publicOnly), address).toBe(false);
    for (const address of ['127.0.0.1', '10.1.2.3', '192.168.1.10', 'fd00::1'])
      expect(addressAllowed(address, local), address).toBe(true);
    // Cloud metadata and the like: never, whatever the admin said.
    for (const address of ['169.254.169.254', 'fe80::1', '0.0.0.0', '224.0.0.1', '255.255.255.255'])
      expect(addressAllowed(address, local), address).toBe(false);
    expect(addressAllowed('127.0.0.1', { privateNetwork: true, plainHttp: true })).toBe(true);
    expect(addressAllowed('10.0.0.1', { privateNetwork: true, plainHttp: true })).toBe(false);
  });
});
