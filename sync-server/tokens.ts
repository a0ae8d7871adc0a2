import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CryptoKey,
  errors,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  importSPKI,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { isSiteId } from '../shared/docName';
import { Refusal } from './refusals';

/**
 * Short-lived access tokens, signed with the server's Ed25519 key. Verification allows EdDSA
 * only: no `none`, and no HS256 signed with the public key (algorithm confusion).
 */
export const ROLES = ['kiosk', 'staff', 'viewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who a verified token speaks for. */
export interface Principal {
  readonly role: Role;
  /** The site the token is for; null only for an admin, who may touch every site. */
  readonly siteId: string | null;
  /** Device id for kiosks, staff account id otherwise. */
  readonly subject: string;
  /** Expiry, seconds since the epoch. */
  readonly expiresAt: number;
}

export const ISSUER = 'headcount';
export const AUDIENCE = 'headcount-sync';
const ALGORITHM = 'EdDSA';
/** Accepted clock difference between server and token, seconds (tokens are ours, clocks drift). */
const CLOCK_TOLERANCE = 30;
const KEY_FILE = 'signing-key.pem';

export class TokenIssuer {
  private readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  private readonly ttlSeconds: number;

  private constructor(privateKey: CryptoKey, publicKey: CryptoKey, ttlSeconds: number) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.ttlSeconds = ttlSeconds;
  }

  /**
   * Uses `pem` when given (SIGNING_KEY), else the key file in `dataDir`, created with mode 0600
   * on first start.
   */
  static async load(options: {
    pem: string | null;
    dataDir: string;
    ttlSeconds: number;
  }): Promise<TokenIssuer> {
    let pem = options.pem;
    const file = join(options.dataDir, KEY_FILE);
    if (pem === null && existsSync(file)) pem = readFileSync(file, 'utf8');
    if (pem === null) {
      const pair = await generateKeyPair(ALGORITHM, { crv: 'Ed25519', extractable: true });
      pem = await exportPKCS8(pair.privateKey);
      writeFileSync(file, pem, { mode: 0o600 });
    }
    const privateKey = await importPKCS8(pem, ALGORITHM, { extractable: true });
    // Derive the public key through Node's crypto: jose imports it as SPKI.
    const { createPublicKey } = await import('node:crypto');
    const spki = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
    const publicKey = await importSPKI(spki, ALGORITHM);
    return new TokenIssuer(privateKey, publicKey, options.ttlSeconds);
  }

  get ttl(): number {
    return this.ttlSeconds;
  }

  async issue(
    principal: Omit<Principal, 'expiresAt'>,
    ttlSeconds = this.ttlSeconds,
  ): Promise<string> {
    return new SignJWT({ role: principal.role, site: principal.siteId })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(principal.subject)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.privateKey);
  }

  /** The principal of a valid token; a `Refusal` with the precise reason otherwise. */
  async verify(token: unknown): Promise<Principal> {
    if (typeof token !== 'string' || token === '') throw new Refusal('no-token');
    if (token.length > 4096) throw new Refusal('malformed-token', 'too long');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        clockTolerance: CLOCK_TOLERANCE,
        requiredClaims: ['exp', 'sub', 'iat'],
      }));
    } catch (error) {
      throw new Refusal(reasonFor(error));
    }
    const role = payload.role as Role;
    const site = payload.site;
    if (!ROLES.includes(role) || typeof payload.sub !== 'string' || payload.sub.length > 64) {
      throw new Refusal('bad-claims');
    }
    if (role === 'admin' ? site !== null && !isSiteId(site) : !isSiteId(site)) {
      throw new Refusal('bad-claims', 'site');
    }
    return {
      role,
      siteId: (site as string | null) ?? null,
      subject: payload.sub,
      expiresAt: payload.exp as number,
    };
  }

  async publicKeyPem(): Promise<string> {
    return exportSPKI(this.publicKey);
  }
}

function reasonFor(error: unknown): Refusal['reason'] {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat') return 'not-yet-valid';
    if (error.claim === 'iss') return 'wrong-issuer';
    if (error.claim === 'aud') return 'wrong-audience';
    return 'bad-claims';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'bad-algorithm';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad-signature';
  return 'malformed-token';
}
