import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Logger } from 'pino';
import type { AccessControl } from '../AccessControl';
import type { AccountAdmin } from '../AccountAdmin';
import type { ClusterSignal } from '../ClusterSignals';
import type { DeviceRegistry } from '../DeviceRegistry';
import type { Sql } from '../database';
import type { FailureBudgetPolicy } from '../FailureBudget';
import type { ApiKeys } from '../integrations/ApiKeys';
import type { WebhookEndpoints } from '../integrations/WebhookEndpoints';
import type { MemberDirectory } from '../members/MemberDirectory';
import type { RosterChange } from '../members/planMembers';
import type { Metrics } from '../metrics';
import type { PairingLimitsConfiguration } from '../PairingLimits';
import type { SignInLimitsConfiguration } from '../SignInLimits';
import type { SiteRegistry } from '../SiteRegistry';
import type { StaffAccounts } from '../StaffAccounts';
import type { SiteView } from '../siteView';
import type { TokenIssuer } from '../tokens';
import type { AcceptedOrigins } from './AcceptedOrigins';
import type { TrustFunction } from './clientAddress';

/** What the HTTP edge needs from the rest of the server. */
export interface HttpContext {
  /** The server's database (readiness, setup code, sites, the visit record). */
  readonly db: Sql;
  /** The relay between instances (REDIS_URL), for readiness; null without one. */
  readonly relay: { status(): 'ready' | 'down' } | null;
  readonly devices: DeviceRegistry;
  readonly staff: StaffAccounts;
  /**
   * Tells every instance (this one too) to close a device's or account's sockets, or to read the
   * sites again. Local closes that need a count (`access.closeSubject`) come first.
   */
  readonly signal: (signal: ClusterSignal) => void;
  /** What admins do with accounts ([C4]–[C5]). */
  readonly accounts: AccountAdmin;
  /** The chain's members ([M4]). */
  readonly members: MemberDirectory;
  /** Members were written: the roster documents that list them, before and after, follow. */
  readonly membersChanged: (changes: readonly RosterChange[]) => Promise<void>;
  /** The chain's sites ([C1]–[C2]). */
  readonly sites: SiteRegistry;
  readonly tokens: TokenIssuer;
  /** API keys of machine clients ([I1]). */
  readonly apiKeys: ApiKeys;
  /** Webhook endpoints and their deliveries ([I3]). */
  readonly webhooks: WebhookEndpoints;
  readonly access: AccessControl;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** The site a new pairing code is for when an admin does not name one. */
  readonly defaultSiteId: string;
  /** Browser origins besides the server's own that may call the API (CORS) and open sockets. */
  readonly allowedOrigins: readonly string[];
  /** Origins whose pages may write and open sockets (PUBLIC_URL or our own; ALLOWED_ORIGINS). */
  readonly acceptedOrigins: AcceptedOrigins;
  /** Peers whose `X-Forwarded-*` are believed (TRUST_PROXY), for `request.ip` and `addressOf`. */
  readonly trustProxy: TrustFunction;
  /** TLS_CERT and TLS_KEY as read at start: the port serves HTTPS; null for plain HTTP. */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | null;
  /**
   * A site's current settings (reports show local times): the live
   * document, or the stored one read from the database.
   */
  readonly siteView: (siteId: string) => Promise<SiteView>;
  /** The built PWA (vite's `dist/`). */
  readonly distDir: string;
  /** The bearer token `/metrics` asks for on this port; null: metrics are not served here. */
  readonly metricsToken: string | null;
  /** Sign-in and pairing limits other than the documented defaults (tests use short ones). */
  readonly limits?: HttpLimits;
}

export interface HttpLimits {
  readonly signIn?: Partial<SignInLimitsConfiguration>;
  readonly pairing?: Partial<PairingLimitsConfiguration>;
  /** Requests per API key (`API_KEY_RATE`). */
  readonly apiKeyRate?: FailureBudgetPolicy;
}

/** The Fastify instance routes are registered on: schemas typed by TypeBox. */
export type HttpApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
