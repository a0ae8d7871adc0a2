import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  /** SHA-256 of the certificate, as `TLSSocket.getPeerX509Certificate().fingerprint256` says. */
  readonly fingerprint: string;
  /** Base64 SHA-256 of its public key (SPKI): what Chromium's `--ignore-certificate-errors-spki-list` takes. */
  readonly spki: string;
}

/**
 * A self-signed certificate (P-256) for `names` (DNS names; the address 127.0.0.1 is added so
 * Node clients can check it while connecting by address), written as `<stem>.crt` and
 * `<stem>.key` in `dir`. node:crypto cannot make X.509 certificates: this runs `openssl`.
 */
export function selfSignedCertificate(
  dir: string,
  names: readonly string[],
  stem = 'server',
): TestCertificate {
  const certFile = join(dir, `${stem}.crt`);
  const keyFile = join(dir, `${stem}.key`);
  const san = [...names.map((name) => `DNS:${name}`), 'IP:127.0.0.1'].join(',');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${names[0] ?? 'localhost'}`,
      '-addext',
      `subjectAltName=${san}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(certFile);
  const x509 = new X509Certificate(cert);
  const der = x509.publicKey.export({ type: 'spki', format: 'der' });
  return {
    certFile,
    keyFile,
    cert,
    fingerprint: x509.fingerprint256,
    spki: createHash('sha256').update(der).digest('base64'),
  };
}
