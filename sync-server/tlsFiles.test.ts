import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecureContextOptions, Server as TlsServer } from 'node:tls';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from './testing/selfSignedCertificate';
import { until } from './testing/testServer';
import { CertificateReloader, readTlsFiles } from './tlsFiles';

/** A TLS server as far as the reloader sees it: the contexts it was given. */
function fakeServer(): { server: TlsServer; applied: SecureContextOptions[] } {
  const applied: SecureContextOptions[] = [];
  const server = { setSecureContext: (options: SecureContextOptions) => applied.push(options) };
  return { server: server as unknown as TlsServer, applied };
}

let reloader: CertificateReloader | null = null;
afterEach(() => {
  reloader?.stop();
  reloader = null;
});

describe('CertificateReloader', () => {
  it('follows certbot: a symlink in live/ swapped to a new file in archive/', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'headcount-certbot-'));
    const archive = join(dir, 'archive');
    const live = join(dir, 'live');
    mkdirSync(archive);
    mkdirSync(live);
    const first = selfSignedCertificate(archive, ['gym.test'], 'cert1');
    const second = selfSignedCertificate(archive, ['gym.test'], 'cert2');
    symlinkSync(first.certFile, join(live, 'fullchain.pem'));
    symlinkSync(first.keyFile, join(live, 'privkey.pem'));
    const files = { certFile: join(live, 'fullchain.pem'), keyFile: join(live, 'privkey.pem') };
    const { server, applied } = fakeServer();
    reloader = new CertificateReloader({
      files,
      server,
      initial: readTlsFiles(files),
      log: pino({ level: 'silent' }),
      debounceMs: 20,
    });
    reloader.start();
    // certbot makes a new link beside the old one and renames it over, one file at a time.
    for (const [name, target] of [
      ['fullchain.pem', second.certFile],
      ['privkey.pem', second.keyFile],
    ] as const) {
      symlinkSync(target, join(live, `${name}.new`));
      renameSync(join(live, `${name}.new`), join(live, name));
    }
    await until(() => reloader?.material.fingerprint === second.fingerprint, 'the new pair');
    expect(applied.at(-1)?.cert).toEqual(readFileSync(second.certFile));
  });

  it('reads the files again only when they change, not for other files in their directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'headcount-tls-dir-'));
    const certificate = selfSignedCertificate(dir, ['gym.test']);
    const files = { certFile: certificate.certFile, keyFile: certificate.keyFile };
    // Its own log next to the certificate: each reload writes a line into the watched directory.
    const logFile = join(dir, 'headcount.log');
    const log = pino({ level: 'debug' }, pino.destination({ dest: logFile, sync: true }));
    reloader = new CertificateReloader({
      files,
      server: fakeServer().server,
      initial: readTlsFiles(files),
      log,
      debounceMs: 20,
    });
    reloader.start();
    const reloads = () =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes('"trigger":"file-change"')).length;
    for (let i = 0; i < 5; i++) appendFileSync(join(dir, 'notes.txt'), 'unrelated\n');
    // The certificate rewritten as it was (an editor's save): read again, found unchanged.
    copyFileSync(certificate.certFile, join(dir, 'copy.crt'));
    renameSync(join(dir, 'copy.crt'), certificate.certFile);
    await until(() => reloads() >= 1, 'the rewritten certificate read again');
    copyFileSync(certificate.keyFile, join(dir, 'copy.key'));
    renameSync(join(dir, 'copy.key'), certificate.keyFile);
    await until(() => reloads() >= 2, 'the rewritten key read again');
    // Had every write in the directory counted, each reload's own log line would have set off
    // the next, one per debounce, without end. Nothing can be awaited for something that must
    // not happen: give it ten debounce periods.
    await new Promise((resolve) => setTimeout(resolve, 10 * 20));
    expect(reloads()).toBe(2);
  });
});
