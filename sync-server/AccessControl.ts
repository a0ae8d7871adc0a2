import type {
  Connection,
  connectedPayload,
  Extension,
  onAuthenticatePayload,
  onDisconnectPayload,
  onTokenSyncPayload,
} from '@hocuspocus/server';
import type { LocalDay } from '../shared/localTime';
import { CLOSE_UNAVAILABLE } from '../shared/refusals';
import { type Access, accessTo } from './access';
import { Refusal, type RefusalReason } from './refusals';
import type { Principal, TokenIssuer } from './tokens';

/** What every authenticated connection carries in its Hocuspocus context. */
export interface ConnectionContext {
  principal: Principal;
  access: Access;
}

export interface AccessControlConfiguration {
  tokens: TokenIssuer;
  /**
   * False once a device is revoked or an account disabled or changed role. Asked at every
   * authentication and token renewal (a database read: it is awaited).
   */
  isActive: (principal: Principal) => Promise<boolean>;
  /** The local day at a site now (kiosks may not write days after tomorrow). */
  today: (siteId: string) => LocalDay;
  /**
   * Whether a site exists and takes check-ins ([C1]–[C2]): a document of a site that does not
   * exist is nobody's; an archived site's kiosks are refused and everyone else reads only.
   */
  siteState: (siteId: string) => 'open' | 'archived' | null;
  /**
   * How long before expiry the server asks a live connection for a fresh token, seconds.
   * Default 60: the client's token function usually has to make an HTTP call.
   */
  refreshLeadSeconds: number;
  /** How long after expiry a connection may stay without a fresh token, seconds. Default 30. */
  refreshGraceSeconds: number;
  onRefused: (reason: RefusalReason) => void;
  onConnected: (principal: Principal) => void;
  /**
   * The database failed during an access check (not a refusal: nobody knows yet whether the
   * token's owner is still active). Given the socket's context, to close that socket with
   * CLOSE_UNAVAILABLE so the client tries again later instead of reading a denial.
   */
  onUnavailable: (context: unknown) => void;
}

/** Close code sent to a socket whose device or account was revoked. */
export const CLOSE_REVOKED = 4403;
/** Close code for a connection whose token expired and was not renewed. */
export const CLOSE_EXPIRED = 4401;

interface Live {
  readonly connection: Connection<ConnectionContext>;
  readonly context: ConnectionContext;
  timers: NodeJS.Timeout[];
}

/**
 * Authentication and authorisation for every document a socket opens: verifies the access token
 * (carried inside the protocol, never in the URL), refuses revoked devices and disabled accounts,
 * decides read-only or read-write per document (see access.ts), renews tokens on live
 * connections, and closes the sockets of a revoked device on request.
 */
export class AccessControl implements Extension {
  extensionName = 'AccessControl';
  private readonly configuration: AccessControlConfiguration;
  private readonly live = new Map<string, Live>();

  constructor(
    configuration: Partial<AccessControlConfiguration> &
      Pick<AccessControlConfiguration, 'tokens' | 'isActive' | 'today' | 'siteState'>,
  ) {
    this.configuration = {
      refreshLeadSeconds: 60,
      refreshGraceSeconds: 30,
      onRefused: () => {},
      onConnected: () => {},
      onUnavailable: () => {},
      ...configuration,
    };
  }

  async onAuthenticate({
    token,
    documentName,
    connectionConfig,
    context,
  }: onAuthenticatePayload): Promise<ConnectionContext> {
    try {
      const principal = await this.principalFor(token);
      const found = accessTo(principal, documentName, this.todayFor(documentName));
      const state = this.configuration.siteState(found.siteId);
      if (state === null) throw new Refusal('unknown-document');
      if (state === 'archived' && principal.role === 'kiosk') throw new Refusal('site-archived');
      const access = state === 'archived' ? { ...found, readOnly: true, writer: null } : found;
      connectionConfig.readOnly = access.readOnly;
      return { principal, access };
    } catch (error) {
      if (error instanceof Refusal) {
        this.count(error);
        throw error;
      }
      // The database did not answer: not a denial (the client would give up or drop a good
      // token), a socket to try again later.
      this.configuration.onUnavailable(context);
      const unavailable = new Refusal('unavailable');
      this.count(unavailable);
      throw unavailable;
    }
  }

  async connected({
    connection,
    context,
    socketId,
    documentName,
  }: connectedPayload<ConnectionContext>): Promise<void> {
    const live: Live = { connection, context, timers: [] };
    this.live.set(key(socketId, documentName), live);
    this.schedule(live);
    this.configuration.onConnected(context.principal);
  }

  async onTokenSync({
    token,
    context,
    connection,
    socketId,
    documentName,
  }: onTokenSyncPayload<ConnectionContext>): Promise<void> {
    try {
      const fresh = await this.principalFor(token);
      const current = context.principal;
      if (
        fresh.subject !== current.subject ||
        fresh.role !== current.role ||
        // An admin's token names the site its dashboard shows; it opens every site ([C3]).
        (fresh.role !== 'admin' && fresh.siteId !== current.siteId)
      ) {
        throw new Refusal('subject-changed');
      }
      context.principal = fresh;
    } catch (error) {
      this.count(error);
      throw error;
    }
    const live = this.live.get(key(socketId, documentName));
    if (live && live.connection === connection) this.schedule(live);
  }

  async onDisconnect({ socketId, documentName }: onDisconnectPayload): Promise<void> {
    const k = key(socketId, documentName);
    const live = this.live.get(k);
    if (live) for (const timer of live.timers) clearTimeout(timer);
    this.live.delete(k);
  }

  /** Closes every socket a device or account has open; returns how many documents were open. */
  closeSubject(subject: string, reason = 'revoked'): number {
    let closed = 0;
    for (const live of this.live.values()) {
      if (live.context.principal.subject !== subject) continue;
      closed++;
      live.connection.webSocket.close(CLOSE_REVOKED, reason);
    }
    return closed;
  }

  /**
   * Asks again, for every device and account with an open connection, whether it is still active
   * (`isActive`), and closes the sockets of those that are not: what a cluster signal lost while
   * disconnected, or a change made from the CLI, comes to within one sweep. A database that does
   * not answer closes nothing. Returns how many subjects were closed.
   */
  async sweep(): Promise<number> {
    const principals = new Map<string, Principal>();
    for (const live of this.live.values())
      principals.set(live.context.principal.subject, live.context.principal);
    let closed = 0;
    for (const principal of principals.values()) {
      let active: boolean;
      try {
        active = await this.configuration.isActive(principal);
      } catch {
        return closed;
      }
      if (!active && this.closeSubject(principal.subject, 'revoked') > 0) closed++;
    }
    return closed;
  }

  /** Subjects with at least one open document, with how many. */
  openBySubject(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const live of this.live.values()) {
      const subject = live.context.principal.subject;
      counts.set(subject, (counts.get(subject) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * Closes every socket with a document of `siteId` open (its site was archived): they come back
   * and are refused (kiosks) or read only (everyone else). Returns how many were closed.
   */
  closeSite(siteId: string, reason: string): number {
    const sockets = new Set<Live['connection']['webSocket']>();
    for (const live of this.live.values()) {
      if (live.context.access.siteId === siteId) sockets.add(live.connection.webSocket);
    }
    for (const socket of sockets) socket.close(CLOSE_UNAVAILABLE, reason);
    return sockets.size;
  }

  private async principalFor(token: string): Promise<Principal> {
    const principal = await this.configuration.tokens.verify(token);
    if (!(await this.configuration.isActive(principal))) throw new Refusal('revoked');
    return principal;
  }

  private todayFor(documentName: string): LocalDay {
    const siteId = documentName.split('/')[1] ?? '';
    return this.configuration.today(siteId);
  }

  /** Asks for a fresh token shortly before expiry; closes the connection if none comes. */
  private schedule(live: Live): void {
    for (const timer of live.timers) clearTimeout(timer);
    const { refreshLeadSeconds, refreshGraceSeconds } = this.configuration;
    const expiresInMs = live.context.principal.expiresAt * 1000 - Date.now();
    // Ask `refreshLeadSeconds` before expiry, but never sooner than half-way: short-lived tokens
    // would otherwise be asked for again the moment they arrive.
    const askInMs = Math.max(expiresInMs / 2, expiresInMs - refreshLeadSeconds * 1000);
    const ask = setTimeout(() => live.connection.requestToken(), Math.max(0, askInMs));
    const deadline = setTimeout(
      () => {
        this.configuration.onRefused('expired');
        live.connection.close({ code: CLOSE_EXPIRED, reason: 'expired' });
      },
      Math.max(0, expiresInMs + refreshGraceSeconds * 1000),
    );
    ask.unref();
    deadline.unref();
    live.timers = [ask, deadline];
  }

  private count(error: unknown): void {
    if (error instanceof Refusal) this.configuration.onRefused(error.reason);
  }
}

function key(socketId: string, documentName: string): string {
  return `${socketId}\u0000${documentName}`;
}
