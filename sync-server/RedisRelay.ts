import { randomUUID } from 'node:crypto';
import { Redis } from '@hocuspocus/extension-redis';
import {
  type afterLoadDocumentPayload,
  type afterStoreDocumentPayload,
  type afterUnloadDocumentPayload,
  type beforeBroadcastStatelessPayload,
  type Document,
  isTransactionOrigin,
  MessageType,
  OutgoingMessage,
  type onAwarenessUpdatePayload,
  type onChangePayload,
  type onStoreDocumentPayload,
} from '@hocuspocus/server';
import IORedis, { type RedisOptions } from 'ioredis';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { applyAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { Sql } from './storage/Sql';

export type RelayStatus = 'ready' | 'down';

export interface RedisRelayConfiguration {
  /** `REDIS_URL` (ioredis parses it: `redis://[user:password@]host[:port][/db]`, `rediss://` for TLS). */
  url: string;
  /**
   * Start of every channel name: only instances with the same prefix relay each other. From
   * `relayPrefix`: the database schema and the id stored in that database.
   */
  prefix: string;
  /** Called when the relay goes down or comes back (logs); never at close. */
  onStatus: (status: RelayStatus) => void;
  /** A connection error or a message that could not be handled (logs; sampled by the caller). */
  onError: (message: string) => void;
  /**
   * How long a document load waits at most for announcing itself to the other instances, ms.
   * Default 2 s: the announcement waits up to 1 s (`awaitInitialSyncTimeout`) for a peer holding
   * the document to send its state, plus round trips; past that (Redis went away mid-load) the
   * load goes on and the document is announced again when Redis is back.
   */
  loadWaitMs: number;
}

/** The parts of extension-redis 4.7.0 (pinned) the relay reaches into; checked at construction. */
interface RedisInternals {
  handleIncomingMessage: (channel: Buffer, data: Buffer) => Promise<void>;
}

/**
 * The channel prefix for instances on `db`: `headcount:<schema>:<id>`, the id made once per
 * database and kept in `meta`. So instances relay each other only when they share the database,
 * even when two deployments (or two test runs) share one Redis: pub/sub ignores Redis's database
 * number, and `headcount` is every deployment's default schema.
 */
export async function relayPrefix(db: Sql, schema: string): Promise<string> {
  await db.run(
    "insert into meta (key, value) values ('relay_id', ?) on conflict (key) do nothing",
    [randomUUID().slice(0, 8)],
  );
  const row = await db.get<{ value: string }>("select value from meta where key = 'relay_id'");
  if (!row) throw new Error('meta.relay_id is missing');
  return `headcount:${schema}:${row.value}`;
}

/**
 * Relays live updates and awareness between instances on one database through Redis
 * (extension-redis 4.7.0, pinned: on a change an instance publishes its state vector, and each
 * peer holding the document asks for what it lacks and sends what the other lacks; here the
 * update itself goes first, see `onChange`). Kept from
 * extension-redis: `afterLoadDocument` (subscribe, announce, wait ≤1 s for a peer's state),
 * `onChange` and `onAwarenessUpdate` (publish, coalesced per event-loop turn; not for changes that
 * came from Redis), `beforeUnloadDocument` (waits 1 s so peers can still fetch the last changes),
 * `afterUnloadDocument` (unsubscribe). Changed:
 *
 * - **No store lock.** extension-redis takes a Redlock lock per store and, when another instance
 *   holds it, throws `SkipFurtherHooksError`, which skips every later store hook: the fold and the
 *   record. Headcount needs no lock: every accepted update is in the shared log before it is
 *   applied ([W5]), and folds merge under PostgreSQL advisory locks. Stores run as on one
 *   instance; each instance stores only what its own clients changed (Hocuspocus skips store
 *   hooks for changes that came over Redis).
 * - **Redis down is not an outage.** Redis carries only the live relay, so without it each
 *   instance keeps serving, logging and storing its own clients' updates. Commands wait for the
 *   connection rather than failing after 20 retries (ioredis's default), and while Redis is down
 *   the relay sends nothing and document loads do not wait for it (with the defaults a load waited
 *   about 10 s and then failed, and after a longer outage at start every later load failed).
 *   When Redis is back every loaded document announces itself again: that state vector exchange
 *   (SyncStep1, SyncStep2 both ways) brings the instances together over what they missed, since
 *   pub/sub delivers nothing sent while a subscriber is away. `status()` says which it is.
 * - **Awareness leaves promptly and is said once.** A client leaving one instance leaves the
 *   others' dashboards at once (`applyRemovals`, and the last client of a document is published
 *   too), not 30 s later when it times out; an instance does not publish again what it received
 *   from Redis, nor its own time-outs of clients.
 * - **A message it cannot handle is logged**, not left as an unhandled rejection, which would end
 *   the process (anyone who can publish on the Redis could otherwise stop every instance).
 *
 * Limit: quotas are checked per instance against what has reached it ([W4]; WriteGuard counts a
 * writer again after its updates arrive from Redis), so one writer connected to two instances at
 * once could exceed one by what is in flight between them.
 */
/** Longest time between two state vector publishes of a changing document, ms. */
const STATE_VECTOR_EVERY_MS = 1_000;

export class RedisRelay extends Redis {
  extensionName = 'RedisRelay';
  /**
   * After AccessControl, WriteGuard, AwarenessGuard (100), DurableDocuments (60) and RecordKeeper
   * (50): the relay only passes on what they admitted and logged. It has no `beforeSync` hook, and
   * it publishes from `onChange`, which runs once an update is applied, after DurableDocuments
   * logged it ([W5]). (extension-redis runs first, at 1000, for its store lock, which is gone.)
   */
  override priority = 10;
  private readonly settings: RedisRelayConfiguration;
  /** Documents loaded here (including those loaded while Redis was down), by name. */
  private readonly loaded = new Map<string, Document>();
  private current: RelayStatus = 'down';
  /** Updates of this event-loop turn not published yet, by document. */
  private readonly pendingUpdates = new Map<string, Uint8Array[]>();
  /** When each document's state vector was last published, and the one waiting to be. */
  private readonly stateVectorAt = new Map<string, number>();
  private readonly stateVectorTimers = new Map<string, NodeJS.Timeout>();
  private closing = false;

  constructor(
    configuration: Pick<RedisRelayConfiguration, 'url' | 'prefix'> &
      Partial<RedisRelayConfiguration>,
  ) {
    const options: RedisOptions = {
      // Nothing fails for want of a connection: the relay issues nothing while Redis is down, and
      // what was under way waits for it (the subscription to this instance's reply channel,
      // issued once at start, must never fail for good: every announcement awaits it).
      maxRetriesPerRequest: null,
      // Reconnecting: after 50 ms, 100 ms, … at most every 2 s (ioredis's default), for good.
    };
    super({
      createClient: () => new IORedis(configuration.url, options),
      prefix: configuration.prefix,
    });
    this.settings = {
      onStatus: () => {},
      onError: () => {},
      loadWaitMs: 2_000,
      ...configuration,
    };
    for (const client of [this.pub, this.sub]) {
      // Without a listener ioredis prints every failed reconnect to the console.
      client.on('error', (error: Error) => this.settings.onError(`redis: ${error.message}`));
      for (const event of ['ready', 'close', 'end', 'reconnecting'])
        client.on(event, () => this.followStatus());
    }
    // A message that cannot be handled (another version, or anyone who can publish on Redis)
    // would be an unhandled rejection, which ends the process: it is logged instead.
    const internals = this as unknown as RedisInternals;
    const handle = internals.handleIncomingMessage;
    if (typeof handle !== 'function') throw new Error('extension-redis: unexpected version');
    this.sub.off('messageBuffer', handle);
    this.sub.on('messageBuffer', (channel: Buffer, data: Buffer) => {
      this.applyRemovals(data);
      handle(channel, data).catch((error: Error) =>
        this.settings.onError(`redis: message not handled: ${error.message}`),
      );
    });
  }

  /** 'ready' while both connections to Redis are up; 'down' otherwise (for /readyz and logs). */
  status(): RelayStatus {
    return this.pub.status === 'ready' && this.sub.status === 'ready' ? 'ready' : 'down';
  }

  /** Resolves true once the relay is ready, or false after `timeoutMs` (the start goes on). */
  async whenReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.status() !== 'ready') {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  /** Disconnects from Redis at once (the server calls it once its documents are unloaded). */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.stateVectorTimers.values()) clearTimeout(timer);
    this.stateVectorTimers.clear();
    // Cancels pending publishes and quits; the disconnects make the quit settle even when Redis
    // is unreachable (a queued QUIT would wait for it for good).
    const destroyed = super.onDestroy();
    this.pub.disconnect();
    this.sub.disconnect();
    await destroyed.catch(() => {});
  }

  override async onDestroy(): Promise<void> {
    await this.close();
  }

  override async afterLoadDocument(payload: afterLoadDocumentPayload): Promise<void> {
    this.loaded.set(payload.documentName, payload.document);
    // Announced when Redis is back (`followStatus`).
    if (this.status() === 'down') return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.announce(payload.documentName, payload.document),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.settings.loadWaitMs);
      }),
    ]);
    clearTimeout(timer);
  }

  override async afterUnloadDocument(payload: afterUnloadDocumentPayload): Promise<void> {
    // A document loaded again under the same name (a fast reconnect) stays.
    if (!payload.instance.documents.has(payload.documentName)) {
      this.loaded.delete(payload.documentName);
      this.stateVectorAt.delete(payload.documentName);
      clearTimeout(this.stateVectorTimers.get(payload.documentName));
      this.stateVectorTimers.delete(payload.documentName);
    }
    await super.afterUnloadDocument(payload);
  }

  /**
   * A change goes to the others in one hop: the update itself, merged with the others of this
   * event-loop turn. extension-redis publishes only the state vector, which each peer answers
   * with its own and the sender then with the update: three trips through Redis and two
   * event-loop turns of each instance, about three times one instance's kiosk → dashboard
   * latency under load (`npm run bench:load`). The state vector still follows, at most once a
   * second per document: it repairs whatever pub/sub lost (it delivers at most once).
   */
  override async onChange(payload: onChangePayload): Promise<void> {
    // While Redis is down nothing is published: the announcement when it is back carries this.
    if (this.status() === 'down') return;
    const origin = payload.transactionOrigin;
    if (isTransactionOrigin(origin) && origin.source === 'redis') return;
    const { documentName, update } = payload;
    const pending = this.pendingUpdates.get(documentName);
    if (pending) pending.push(update);
    else {
      this.pendingUpdates.set(documentName, [update]);
      setImmediate(() => this.publishUpdates(documentName));
    }
    this.scheduleStateVector(payload);
  }

  private publishUpdates(documentName: string): void {
    const updates = this.pendingUpdates.get(documentName);
    this.pendingUpdates.delete(documentName);
    if (!updates || this.closing || this.status() === 'down') return;
    const merged = updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates);
    const message = new OutgoingMessage(documentName).createSyncMessage().writeUpdate(merged);
    void this.pub
      .publish(
        `${this.configuration.prefix}:${documentName}`,
        Buffer.concat([this.messagePrefix, message.toUint8Array()]),
      )
      .catch((error: Error) => this.settings.onError(`redis: ${error.message}`));
  }

  /** extension-redis's state vector publish, at most once a second per document, trailing. */
  private scheduleStateVector(payload: onChangePayload): void {
    const { documentName } = payload;
    if (this.stateVectorTimers.has(documentName)) return;
    const since = Date.now() - (this.stateVectorAt.get(documentName) ?? 0);
    const publish = () => {
      this.stateVectorTimers.delete(documentName);
      this.stateVectorAt.set(documentName, Date.now());
      if (this.closing || this.status() === 'down') return;
      void super
        .onChange(payload)
        .catch((error: Error) => this.settings.onError(`redis: ${error.message}`));
    };
    if (since >= STATE_VECTOR_EVERY_MS) {
      publish();
      return;
    }
    const timer = setTimeout(publish, STATE_VECTOR_EVERY_MS - since);
    timer.unref();
    this.stateVectorTimers.set(documentName, timer);
  }

  override async onAwarenessUpdate(payload: onAwarenessUpdatePayload): Promise<void> {
    if (this.status() === 'down') return;
    // Came from Redis: its instance published it to every other one already (extension-redis
    // would publish it again from each).
    const origin = payload.transactionOrigin;
    if (isTransactionOrigin(origin) && origin.source === 'redis') return;
    // Every instance times out silent clients itself; one that timed out another instance's
    // client and said so could remove it there just as it spoke again.
    if (origin === 'timeout') return;
    const { document, documentName, awareness, removed } = payload;
    if (document.connections.size > 0) return super.onAwarenessUpdate(payload);
    // The last client left: extension-redis publishes nothing for a document without
    // connections (#1027), so the others would keep showing it until it timed out (30 s).
    if (removed.length === 0) return;
    const message = new OutgoingMessage(documentName).createAwarenessUpdateMessage(
      awareness,
      removed,
    );
    void this.pub
      .publish(
        `${this.configuration.prefix}:${documentName}`,
        Buffer.concat([this.messagePrefix, message.toUint8Array()]),
      )
      .catch((error: Error) => this.settings.onError(`redis: ${error.message}`));
  }

  /** Resolves with the number of instances that received it (0 while Redis is down). */
  override async beforeBroadcastStateless(
    payload: beforeBroadcastStatelessPayload,
  ): Promise<number> {
    if (this.status() === 'down') return 0;
    return super.beforeBroadcastStateless(payload);
  }

  /** No store lock (see the class comment): every store hook runs, on every instance. */
  override async onStoreDocument(_payload: onStoreDocumentPayload): Promise<void> {}

  /** No lock to release; and no direct connections here whose last sync a store must wait for. */
  override async afterStoreDocument(_payload: afterStoreDocumentPayload): Promise<void> {}

  /**
   * Subscribes to a document's channel and announces its state vector (extension-redis's load
   * hook), for a document still loaded here. Failures are logged: the next time Redis becomes
   * ready it is announced again.
   */
  private async announce(documentName: string, document: Document): Promise<void> {
    if (this.loaded.get(documentName) !== document) return;
    try {
      await super.afterLoadDocument({ documentName, document } as afterLoadDocumentPayload);
    } catch (error) {
      this.settings.onError(`redis: ${documentName} not announced: ${(error as Error).message}`);
    }
    // Unloaded while it was being announced: drop the subscription it made.
    if (this.loaded.get(documentName) !== document && !this.instance.documents.has(documentName))
      await super.afterUnloadDocument({
        instance: this.instance,
        documentName,
      } as afterUnloadDocumentPayload);
  }

  /**
   * Applies the removals an awareness message from another instance carries (clients that left
   * it). Hocuspocus reads relayed awareness through a scratch Awareness, which cannot hold a
   * removal: without this a kiosk gone from one instance stayed on the others' dashboards until
   * it timed out (30 s). The states it carries go through the hooks as usual.
   */
  private applyRemovals(data: Buffer): void {
    try {
      const length = data[0] ?? 0;
      if (data.toString('utf-8', 1, length + 1) === this.configuration.identifier) return;
      const message = decoding.createDecoder(data.subarray(length + 1));
      const document = this.loaded.get(decoding.readVarString(message));
      if (!document || decoding.readVarUint(message) !== MessageType.Awareness) return;
      const update = decoding.createDecoder(decoding.readVarUint8Array(message));
      const gone: [client: number, clock: number][] = [];
      for (let count = decoding.readVarUint(update); count > 0; count--) {
        const client = decoding.readVarUint(update);
        const clock = decoding.readVarUint(update);
        if (decoding.readVarString(update) === 'null') gone.push([client, clock]);
      }
      if (gone.length === 0) return;
      const removals = encoding.createEncoder();
      encoding.writeVarUint(removals, gone.length);
      for (const [client, clock] of gone) {
        encoding.writeVarUint(removals, client);
        encoding.writeVarUint(removals, clock);
        encoding.writeVarString(removals, 'null');
      }
      applyAwarenessUpdate(
        document.awareness,
        encoding.toUint8Array(removals),
        this.redisTransactionOrigin,
      );
    } catch {
      // Not an awareness message it can read: the handler logs what it cannot handle.
    }
  }

  private followStatus(): void {
    const now = this.status();
    if (now === this.current) return;
    this.current = now;
    if (this.closing) return;
    this.settings.onStatus(now);
    // Back: what was changed on either side meanwhile is exchanged (and awareness asked for).
    if (now === 'ready')
      for (const [documentName, document] of this.loaded)
        void this.announce(documentName, document);
  }
}
