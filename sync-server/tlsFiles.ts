import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { type FSWatcher, readFileSync, realpathSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';

/** The PEM files of `TLS_CERT` (certificate, chain after it) and `TLS_KEY` (its private key). */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** What the files held when they were last read and found to belong together. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** SHA-256 of the leaf certificate, `AB:CD:…` as browsers show it. */
  readonly fingerprint: string;
  /** Names the leaf certificate is for (its subjectAltName, or its subject). */
  readonly names: string;
  readonly validTo: Date;
}

/** A TLS file that cannot be used, naming the variable that points at it. */
export class TlsFilesError extends Error {
  readonly variable: 'TLS_CERT' | 'TLS_KEY';

  constructor(variable: 'TLS_CERT' | 'TLS_KEY', problem: string) {
    super(problem);
    this.name = 'TlsFilesError';
    this.variable = variable;
  }
}

function readPem(variable: 'TLS_CERT' | 'TLS_KEY', file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new TlsFilesError(
      variable,
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/**
 * Reads both files and checks that they can serve HTTPS: a PEM certificate, an unencrypted PEM
 * private key, and the key belonging to the certificate. Throws `TlsFilesError` otherwise.
 */
export function readTlsFiles(files: TlsFiles): TlsMaterial {
  const cert = readPem('TLS_CERT', files.certFile);
  const key = readPem('TLS_KEY', files.keyFile);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new TlsFilesError('TLS_CERT', `${files.certFile} is not a PEM certificate`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    const encrypted = /passphrase/i.test((error as Error).message);
    throw new TlsFilesError(
      'TLS_KEY',
      encrypted
        ? `${files.keyFile} is encrypted: give an unencrypted key (openssl pkey -in it -out new.pem)`
        : `${files.keyFile} is not a PEM private key`,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new TlsFilesError(
      'TLS_KEY',
      `${files.keyFile} is not the key of the certificate in ${files.certFile}`,
    );
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new TlsFilesError('TLS_CERT', `${files.certFile}: ${(error as Error).message}`);
  }
  return {
    cert,
    key,
    fingerprint: leaf.fingerprint256,
    names: leaf.subjectAltName ?? leaf.subject,
    validTo: new Date(leaf.validTo),
  };
}

/**
 * Quiet time after the last change before the files are read again, ms (default 500): a renewal
 * (certbot, an editor's save-and-rename) touches several files in quick succession, and reading
 * between the certificate and its key would find a pair that does not match.
 */
const RELOAD_DEBOUNCE_MS = 500;

/** Why the files were read again. */
export type ReloadTrigger = 'file-change' | 'SIGHUP';

/**
 * Keeps a TLS server's certificate in step with its files: re-reads them when they change, or
 * when asked (`reload`, which `SIGHUP` calls in main.ts), and applies a new, valid pair with
 * `setSecureContext()` — new connections get it, open ones (websockets) are not touched.
 *
 * The files' directories are watched, not the files: certbot swaps the symlinks in `live/` and
 * editors replace a file by renaming a new one over it, which a watch on the old file would
 * never see. A pair that does not check out (half written, a key without its certificate yet)
 * is logged and the current certificate stays; the next change tries again.
 */
export class CertificateReloader {
  private current: TlsMaterial;
  private readonly watchers = new Map<string, FSWatcher>();
  /** Entry names in the watched directories that are the files or lead to them. */
  private names = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly debounceMs: number;

  constructor(
    private readonly options: {
      files: TlsFiles;
      server: TlsServer;
      /** What the server was started with. */
      initial: TlsMaterial;
      log: Logger;
      debounceMs?: number;
    },
  ) {
    this.current = options.initial;
    this.debounceMs = options.debounceMs ?? RELOAD_DEBOUNCE_MS;
  }

  /** The certificate new connections get. */
  get material(): TlsMaterial {
    return this.current;
  }

  start(): void {
    this.watchDirectories();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** Reads the files now; true when a new certificate was applied. */
  reload(trigger: ReloadTrigger): boolean {
    const { files, server, log } = this.options;
    let next: TlsMaterial;
    try {
      next = readTlsFiles(files);
    } catch (error) {
      log.warn(
        { trigger, problem: (error as Error).message, fingerprint: this.current.fingerprint },
        'TLS files not usable: keeping the current certificate',
      );
      return false;
    } finally {
      // A renewal may have pointed a symlink somewhere new.
      this.watchDirectories();
    }
    if (next.cert.equals(this.current.cert) && next.key.equals(this.current.key)) {
      // Asked for by an operator: say so; a touched file is not worth a line.
      log[trigger === 'SIGHUP' ? 'info' : 'debug'](
        { trigger, fingerprint: next.fingerprint },
        'TLS certificate unchanged',
      );
      return false;
    }
    server.setSecureContext({ cert: next.cert, key: next.key });
    this.current = next;
    log.info(
      { trigger, fingerprint: next.fingerprint, names: next.names, validTo: next.validTo },
      'TLS certificate reloaded',
    );
    return true;
  }

  private watchDirectories(): void {
    const { certFile, keyFile } = this.options.files;
    const wanted = new Set<string>();
    // Kubernetes mounts secrets as symlinks through `..data`, swapped at once on renewal.
    const names = new Set(['..data']);
    for (const file of [certFile, keyFile]) {
      wanted.add(dirname(file));
      names.add(basename(file));
      try {
        const real = realpathSync(file);
        wanted.add(dirname(real));
        names.add(basename(real));
      } catch {
        // Missing for a moment during a swap: the file's own directory is watched.
      }
    }
    this.names = names;
    for (const [dir, watcher] of this.watchers) {
      if (wanted.has(dir)) continue;
      watcher.close();
      this.watchers.delete(dir);
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        // Only the files' own entries: other writes there (a log file next to the certificate)
        // must not make the server read them again, and log that, and so on.
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || this.names.has(String(name))) this.changed();
        });
        watcher.on('error', (error) => {
          this.options.log.warn({ dir, err: error.message }, 'cannot watch TLS files');
          watcher.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, watcher);
      } catch (error) {
        this.options.log.warn(
          { dir, err: (error as Error).message },
          'cannot watch TLS files: reload with SIGHUP',
        );
      }
    }
  }

  private changed(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.reload('file-change');
    }, this.debounceMs);
  }
}
