import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { connectedPayload, Extension, onConnectPayload } from '@hocuspocus/server';
import { addressKey } from './addressKey';
import { LogSampler } from './consoleToLog';
import type { Principal } from './tokens';

/** Why a websocket was refused or closed by the gate: counted in `/metrics`, logged, sent. */
export const SOCKET_REFUSALS = [
  'bad-origin',
  'too-many-connections',
  'too-many-unauthenticated',
  'unauthenticated-flood',
  'auth-timeout',
  'too-many-device-sockets',
  'too-many-account-sockets',
  'too-many-auth-failures',
] as const;
export type SocketRefusal = (typeof SOCKET_REFUSALS)[number];

/** Close code for a socket on which no document authenticated in time (Hocuspocus's timeout). */
export const CLOSE_AUTH_TIMEOUT = 4408;
/** Close code for a socket closed to make room, or over its device's or account's limit. */
export const CLOSE_TOO_MANY = 4429;

export interface SocketGateConfiguration {
  /** Whether the upgrade's `Origin` may open a socket (browsers); see `originCheck`. */
  originAllowed: (request: IncomingMessage) => boolean;
  /** The client's address (proxy-aware, `addressOf`). Default: the TCP peer's. */
  addressOf: (request: IncomingMessage) => string;
  /** Completes the websocket handshake; `webRequest.context` becomes the peer's context. */
  accept: (request: IncomingMessage, socket: Duplex, head: Buffer, webRequest: Request) => void;
  /**
   * Sockets per client address, authenticated or not: only a ceiling, since a gym's devices
   * share its NAT address. `MAX_CONNECTIONS_PER_IP`, default 512: 30 tablets and 50 phones open
   * one socket each, with room for reloads, several tabs and a far bigger gym.
   */
  maxPerAddress: number;
  /**
   * Sockets of one address on which no document has authenticated yet. Default 128: a whole
   * busy gym reconnecting at once after an outage (80 devices) fits. At the limit the address's
   * oldest unauthenticated socket is closed to make room, never the new one: an honest client
   * authenticates within milliseconds of opening, so idle sockets cannot starve it.
   */
  maxUnauthenticatedPerAddress: number;
  /**
   * Unauthenticated sockets across the server. Default 512; the oldest is closed to make room.
   * Each may buffer Hocuspocus's pre-authentication queue, so this bounds that memory too.
   */
  maxUnauthenticated: number;
  /**
   * How long a socket may stay without an authenticated document, ms. Default 10 s: a provider
   * sends its token first thing, and a token fetched over a slow network still arrives well
   * inside it. Then the socket is closed (`auth-timeout`); a real client reconnects.
   */
  authTimeoutMs: number;
  /**
   * Sockets one paired device may hold. Default 8: a kiosk uses one for all its documents, plus
   * a reloaded page whose old socket has not timed out yet, or a second tab.
   */
  maxPerDevice: number;
  /**
   * Sockets one staff account may hold. Default 16: a shared front-desk account on several
   * phones and a desktop, one socket per open dashboard.
   */
  maxPerAccount: number;
  /**
   * Authentications a socket may have refused or still pending before it is closed. Default
   * 96: an honest client sends one token per document it opens (a kiosk its site document,
   * days and 32 roster documents at once, [D7]; Hocuspocus holds at most 64 pending per socket),
   * and once refused gets a new token and a new socket, so 64 pending and 32 refused is far
   * above honest use. Without it one socket can have thousands of tokens checked, and refusals
   * logged, a second.
   */
  maxAuthFailures: number;
  /** Every refusal (for `/metrics`). */
  onRefused: (refusal: SocketRefusalEvent) => void;
  /** Refusals to log: at most one per address and minute, with how many were held back. */
  onLog: (refusal: SocketRefusalEvent & { heldBack: number }) => void;
}

export interface SocketRefusalEvent {
  readonly reason: SocketRefusal;
  readonly address: string;
  /** The device or account, for limits on authenticated sockets. */
  readonly subject: string | null;
}

export const SOCKET_LIMITS = {
  maxPerAddress: 512,
  maxUnauthenticatedPerAddress: 128,
  maxUnauthenticated: 512,
  authTimeoutMs: 10_000,
  maxPerDevice: 8,
  maxPerAccount: 16,
  maxAuthFailures: 96,
} as const satisfies Partial<SocketGateConfiguration>;

/** How long a closed socket may take to say goodbye before it is cut, ms. */
const CLOSE_GRACE_MS = 1_000;

/** The key under which a socket's ticket travels in its Hocuspocus context. */
const TICKET = 'socketGateTicket';

/** The crossws peer of an open socket, as far as the gate needs it. */
interface GatePeer {
  readonly context: Record<string, unknown>;
  close(code?: number, reason?: string): void;
}

interface Ticket {
  readonly address: string;
  readonly socket: Duplex;
  peer: GatePeer | null;
  /** The device or account, once a document on the socket has authenticated. */
  subject: string | null;
  /** Documents that asked to authenticate, and those that did. */
  authentications: number;
  documents: number;
  timer: NodeJS.Timeout | null;
  closed: boolean;
}

/**
 * The door for websockets, before and right after Hocuspocus: checks the upgrade's Origin, caps
 * sockets per address (a ceiling), caps sockets that have not authenticated (per address and in
 * all, closing the oldest to make room) and closes them after `authTimeoutMs`, and once a
 * document authenticates, counts the socket against its device or account instead. So idle
 * sockets from one address cannot keep the gym's other devices out, and a stolen or buggy
 * credential holds a few sockets, not the gym's whole allowance.
 */
export class SocketGate implements Extension {
  extensionName = 'SocketGate';
  private readonly configuration: SocketGateConfiguration;
  /** Open sockets per address. */
  private readonly perAddress = new Map<string, number>();
  /** Unauthenticated sockets per address and in all, oldest first (Sets keep insertion order). */
  private readonly waitingPerAddress = new Map<string, Set<Ticket>>();
  private readonly waiting = new Set<Ticket>();
  /** Authenticated sockets per device or account. */
  private readonly perSubject = new Map<string, number>();
  private readonly sampler = new LogSampler(1);

  constructor(
    configuration: Partial<SocketGateConfiguration> &
      Pick<SocketGateConfiguration, 'originAllowed' | 'accept'>,
  ) {
    this.configuration = {
      ...SOCKET_LIMITS,
      addressOf: (request) => request.socket.remoteAddress ?? 'unknown',
      onRefused: () => {},
      onLog: () => {},
      ...configuration,
    };
  }

  /** For `http.on('upgrade')`. */
  upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const { configuration } = this;
    const address = addressKey(configuration.addressOf(request));
    if (!configuration.originAllowed(request)) {
      this.refuseUpgrade(socket, 403, 'bad-origin', address);
      return;
    }
    const waitingHere = this.waitingPerAddress.get(address);
    if (waitingHere && waitingHere.size >= configuration.maxUnauthenticatedPerAddress)
      this.close(first(waitingHere), 'too-many-unauthenticated');
    if ((this.perAddress.get(address) ?? 0) >= configuration.maxPerAddress) {
      const idle = first(this.waitingPerAddress.get(address));
      if (!idle) {
        this.refuseUpgrade(socket, 429, 'too-many-connections', address);
        return;
      }
      this.close(idle, 'too-many-unauthenticated');
    }
    if (this.waiting.size >= configuration.maxUnauthenticated)
      this.close(first(this.waiting), 'unauthenticated-flood');

    const ticket: Ticket = {
      address,
      socket,
      peer: null,
      subject: null,
      authentications: 0,
      documents: 0,
      timer: null,
      closed: false,
    };
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    this.wait(ticket);
    ticket.timer = setTimeout(
      () => this.close(ticket, 'auth-timeout'),
      configuration.authTimeoutMs,
    );
    ticket.timer.unref();
    socket.once('close', () => this.release(ticket));
    const webRequest = Object.assign(new Request('http://websocket.invalid/'), {
      context: { [TICKET]: ticket },
    });
    configuration.accept(request, socket, head, webRequest);
  };

  /**
   * For the websocket `open` hook: the default Hocuspocus context of the peer's connection,
   * carrying its ticket to `connected`.
   */
  open(peer: GatePeer): Record<string, unknown> {
    const ticket = peer.context[TICKET] as Ticket | undefined;
    if (!ticket) return {};
    ticket.peer = peer;
    // Closed while the handshake was still under way.
    if (ticket.closed) peer.close(CLOSE_TOO_MANY, 'closed');
    return { [TICKET]: ticket };
  }

  /** Closes the socket whose Hocuspocus context (from `open`) this is; nothing for another. */
  closeSocketOf(context: unknown, code: number, reason: string): void {
    const ticket = (context as { [TICKET]?: Ticket } | null)?.[TICKET];
    ticket?.peer?.close(code, reason);
  }

  /**
   * Runs before any token is checked (every extension's `onConnect` precedes `onAuthenticate`):
   * a socket with too many refused authentications is closed instead.
   */
  async onConnect({ context }: onConnectPayload): Promise<void> {
    const ticket = (context as { [TICKET]?: Ticket })[TICKET];
    if (!ticket) return;
    ticket.authentications++;
    if (ticket.authentications - ticket.documents <= this.configuration.maxAuthFailures) return;
    this.close(ticket, 'too-many-auth-failures');
    throw new GateRefusal('too-many-auth-failures');
  }

  /** The first document to authenticate decides whose socket this is. */
  async connected({ context }: connectedPayload): Promise<void> {
    const { [TICKET]: ticket, principal } = context as {
      [TICKET]?: Ticket;
      principal?: Principal;
    };
    if (ticket) ticket.documents++;
    if (!ticket || ticket.closed || ticket.subject !== null || !principal) return;
    const device = principal.role === 'kiosk';
    const limit = device ? this.configuration.maxPerDevice : this.configuration.maxPerAccount;
    const open = this.perSubject.get(principal.subject) ?? 0;
    if (open >= limit) {
      this.close(ticket, device ? 'too-many-device-sockets' : 'too-many-account-sockets', {
        subject: principal.subject,
      });
      return;
    }
    this.unwait(ticket);
    ticket.subject = principal.subject;
    this.perSubject.set(principal.subject, open + 1);
  }

  /** Stops the timers (the server is closing). */
  stop(): void {
    for (const ticket of this.waiting) if (ticket.timer) clearTimeout(ticket.timer);
  }

  private wait(ticket: Ticket): void {
    this.waiting.add(ticket);
    let here = this.waitingPerAddress.get(ticket.address);
    if (!here) {
      here = new Set();
      this.waitingPerAddress.set(ticket.address, here);
    }
    here.add(ticket);
  }

  private unwait(ticket: Ticket): void {
    if (ticket.timer) clearTimeout(ticket.timer);
    ticket.timer = null;
    this.waiting.delete(ticket);
    const here = this.waitingPerAddress.get(ticket.address);
    here?.delete(ticket);
    if (here?.size === 0) this.waitingPerAddress.delete(ticket.address);
  }

  /** Forgets a socket, once: when it closes, or as soon as the gate closes it. */
  private release(ticket: Ticket): void {
    if (ticket.closed) return;
    ticket.closed = true;
    this.unwait(ticket);
    decrement(this.perAddress, ticket.address);
    if (ticket.subject !== null) decrement(this.perSubject, ticket.subject);
  }

  private close(
    ticket: Ticket | undefined,
    reason: SocketRefusal,
    detail: { subject?: string } = {},
  ): void {
    if (!ticket || ticket.closed) return;
    this.release(ticket);
    this.refused(reason, ticket.address, detail.subject ?? ticket.subject);
    const code = reason === 'auth-timeout' ? CLOSE_AUTH_TIMEOUT : CLOSE_TOO_MANY;
    if (ticket.peer) {
      ticket.peer.close(code, reason);
      // A client that never answers the close frame does not keep its socket.
      setTimeout(() => ticket.socket.destroy(), CLOSE_GRACE_MS).unref();
    } else {
      ticket.socket.destroy();
    }
  }

  private refuseUpgrade(socket: Duplex, status: number, reason: SocketRefusal, address: string) {
    this.refused(reason, address, null);
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  private refused(reason: SocketRefusal, address: string, subject: string | null): void {
    const event = { reason, address, subject };
    this.configuration.onRefused(event);
    let heldBack = 0;
    if (this.sampler.allow(address, (count) => (heldBack = count)))
      this.configuration.onLog({ ...event, heldBack });
  }
}

/**
 * Thrown to stop a document's authentication; Hocuspocus sends `reason` to the client. No
 * message, so Hocuspocus does not print it (the refusal is counted and logged by the gate).
 */
class GateRefusal extends Error {
  readonly reason: SocketRefusal;

  constructor(reason: SocketRefusal) {
    super('');
    this.name = 'GateRefusal';
    this.reason = reason;
  }
}

function first<T>(set: Set<T> | undefined): T | undefined {
  return set?.values().next().value;
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
