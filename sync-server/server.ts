import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Server as TlsServer } from 'node:tls';
import { Hocuspocus, type WebSocketLike } from '@hocuspocus/server';
import crossws from 'crossws/adapters/node';
import pino, { type Logger } from 'pino';
import * as Y from 'yjs';
import { parseDocName, siteDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import { CLOSE_UNAVAILABLE } from '../shared/refusals';
import { rosterDocsOf } from '../shared/rosterDoc';
import { writeSettings } from '../shared/siteDoc';
import { AccessControl } from './AccessControl';
import { AccountAdmin } from './AccountAdmin';
import { AwarenessGuard } from './AwarenessGuard';
import {
  type ClusterSignal,
  type ClusterSignals,
  LocalSignals,
  MAX_SIGNAL_NAMES,
  notifyCluster,
  PostgresSignals,
} from './ClusterSignals';
import type { Config } from './config';
import { LogSampler, routeConsoleToLog } from './consoleToLog';
import { DeviceRegistry } from './DeviceRegistry';
import { DocumentStore } from './DocumentStore';
import { DurableDocuments, STORE_CADENCE } from './DurableDocuments';
import { type Database, openDatabase, PostgresDatabase, SqliteDatabase } from './database';
import { createHttpApp, originCheck } from './http';
import { AcceptedOrigins } from './http/AcceptedOrigins';
import { addressOf, trustFunction, trustProxiesOn } from './http/clientAddress';
import type { HttpLimits } from './http/HttpContext';
import { listenForMetrics } from './http/metricsListener';
import { ApiKeys } from './integrations/ApiKeys';
import type { WebhookSenderPolicy } from './integrations/WebhookSender';
import { Webhooks } from './integrations/Webhooks';
import { moveLegacyRosters } from './members/legacyRosters';
import { MemberDirectory } from './members/MemberDirectory';
import type { RosterChange } from './members/planMembers';
import { RosterDocuments } from './members/RosterDocuments';
import { Metrics } from './metrics';
import { RecordKeeper } from './RecordKeeper';
import { PostgresRecordWriter, type RecordWriter, SOLE_WRITER } from './RecordWriter';
import { RedisRelay, relayPrefix } from './RedisRelay';
import { RetentionJob } from './RetentionJob';
import { SiteRegistry } from './SiteRegistry';
import { SocketGate, type SocketGateConfiguration } from './SocketGate';
import { StaffAccounts, sameAccount } from './StaffAccounts';
import { clearSetupCode, createSetupCode } from './setupCode';
import { siteViewOf } from './siteView';
import { CertificateReloader, readTlsFiles } from './tlsFiles';
import { TokenIssuer } from './tokens';
import { WalCheckpoints } from './WalCheckpoints';
import { WriteGuard, type WriteLimits } from './WriteGuard';

/**
 * How often the sites table is read again and open connections' accounts and devices are asked
 * whether they are still active, ms. Default 30 s: what a change from the CLI, or a cluster
 * signal lost in a disconnection, waits for at most.
 */
const SWEEP_MS = 30_000;

/**
 * How long a start with REDIS_URL waits for Redis, ms. Default 3 s: long enough for a Redis on
 * the network to answer; past that the server starts anyway (Redis down: it serves and stores its
 * own clients, relays nothing, and /readyz says so until Redis is back).
 */
const REDIS_START_WAIT_MS = 3_000;

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly hocuspocus: Hocuspocus;
  readonly db: Database;
  readonly tokens: TokenIssuer;
  readonly devices: DeviceRegistry;
  readonly staff: StaffAccounts;
  readonly access: AccessControl;
  readonly records: RecordKeeper;
  /** Stored document states and the update log. */
  readonly documents: DocumentStore;
  /** The chain's sites ([C1]–[C2]). */
  readonly sites: SiteRegistry;
  /** The chain's members ([M4]); after writing, `membersChanged` brings the rosters in line. */
  readonly members: MemberDirectory;
  readonly membersChanged: (changes: readonly RosterChange[]) => Promise<void>;
  /** Printed at start while no admin exists; null once one does. */
  readonly setupCode: string | null;
  /** True on the start that created the site and the signing key. */
  readonly firstStart: boolean;
  /** Origins whose pages may write and open websockets (printed at start). */
  readonly acceptedOrigins: readonly string[];
  /** With TLS_CERT and TLS_KEY: the certificate in use, and `reload()` for SIGHUP. */
  readonly certificate: CertificateReloader | null;
  /** Closes sockets, flushes pending stores, closes the database. */
  close(): Promise<void>;
}

export async function startServer(
  config: Config,
  options: {
    log?: Logger;
    distDir?: string;
    /** Quotas and sizes for the write guard (tests use small ones); documented defaults otherwise. */
    writeLimits?: Partial<WriteLimits>;
    /** Route console.error/warn (Hocuspocus's) into the JSON log, sampled: the server process. */
    routeConsole?: boolean;
    /** Sign-in, pairing and websocket limits (tests use short ones); documented defaults otherwise. */
    limits?: HttpLimits & {
      sockets?: Partial<SocketGateConfiguration>;
      sweepMs?: number;
      /** How often an instance that does not write the record tries to, ms (default 5 s). */
      recordWriterRetryMs?: number;
      /** How long a start waits for Redis, ms (REDIS_START_WAIT_MS). */
      redisStartWaitMs?: number;
      /** Webhook retries and timeouts (WEBHOOK_SENDER_POLICY). */
      webhooks?: Partial<WebhookSenderPolicy>;
    };
  } = {},
): Promise<RunningServer> {
  const log =
    options.log ??
    pino({
      level: config.logLevel,
      // Belt and braces: nothing logs credentials, and these paths are cut if something tries.
      redact: [
        'token',
        '*.token',
        'password',
        '*.password',
        'refreshToken',
        '*.refreshToken',
        'deviceSecret',
        '*.deviceSecret',
        'req.headers.authorization',
      ],
    });
  const sampler = new LogSampler();
  const db = await openDatabase(config, {
    // An idle pooled connection dropped (PostgreSQL restarting): the next query reconnects.
    onError: (error) => {
      if (sampler.allow('database connection lost'))
        log.warn({ err: error.message }, 'database connection lost');
    },
  });
  const tokens = await TokenIssuer.load({
    pem: config.signingKey,
    dataDir: config.dataDir,
    ttlSeconds: config.accessTokenTtl,
  });
  const devices = new DeviceRegistry(db);
  const staff = new StaffAccounts(db);
  const documents = new DocumentStore(db);
  let hocuspocus: Hocuspocus | null = null;
  const sites = new SiteRegistry({
    db,
    open: (name) => hocuspocus?.documents.get(name),
    onArchived: (siteId) => access.closeSite(siteId, 'site-archived'),
  });
  // The configured site exists from the first start on (more come from admins, [C1]).
  const firstStart = (
    await sites.create({ id: config.siteId, name: config.siteId, timeZone: config.siteTimeZone })
  ).created;
  await sites.load();
  const setupCode = (await staff.count()) === 0 ? await createSetupCode(db) : null;
  if (setupCode === null) await clearSetupCode(db);
  // The site document starts with the configured time zone, so every device derives the same
  // local days from the first scan on (an empty document would mean UTC).
  if ((await documents.fetch(siteDocName(config.siteId))) === null) {
    const site = new Y.Doc();
    writeSettings(site, { name: config.siteId, timeZone: config.siteTimeZone });
    await documents.store(siteDocName(config.siteId), Y.encodeStateAsUpdate(site));
  }

  const timeZoneOf = (siteId: string): string => sites.zone(siteId);
  const members = new MemberDirectory(db);
  // Before roster documents, members were in site documents: moved once per site ([D7]).
  const moved = await moveLegacyRosters({
    db,
    documents,
    members,
    sites: sites.list().map((site) => site.id),
    onClash: (clash) =>
      log.warn(
        clash,
        clash.code === undefined
          ? 'members: a member number of this site is already in the chain; this site kept the other'
          : 'members: a card code of this site is already in the chain; left off this member',
      ),
  });
  if (moved > 0) log.info({ members: moved }, 'members: moved from the site documents');

  const metrics: Metrics = new Metrics({
    connections: () => hocuspocus?.getConnectionsCount() ?? 0,
    documents: () => hocuspocus?.getDocumentsCount() ?? 0,
  });
  if (options.routeConsole) routeConsoleToLog(log, () => metrics.logLinesHeldBack.inc());
  // Instances on one database relay each other's live updates and awareness (REDIS_URL).
  const relay = config.redisUrl
    ? new RedisRelay({
        url: config.redisUrl,
        prefix: await relayPrefix(db, config.databaseSchema),
        onStatus: (status) => {
          if (status === 'ready') log.info('redis: relaying between instances');
          else
            log.warn(
              "redis: down; serving and storing this instance's clients, relaying nothing until it is back",
            );
        },
        onError: (message) => {
          // A reconnect fails every 2 s while Redis is down: sampled.
          if (sampler.allow('redis error')) log.warn({ err: message.slice(0, 200) }, 'redis error');
          else metrics.logLinesHeldBack.inc();
        },
      })
    : null;
  const access = new AccessControl({
    tokens,
    isActive: async (principal) =>
      principal.role === 'kiosk'
        ? devices.isActive(principal.subject)
        : sameAccount(await staff.get(principal.subject), principal),
    today: (siteId) => localDayOf(Date.now(), timeZoneOf(siteId)),
    siteState: (siteId) => sites.state(siteId),
    onRefused: (reason) => {
      metrics.refusals.inc({ reason });
      // A flood of bad tokens is counted in full, logged sampled.
      if (sampler.allow(`refused ${reason}`)) log.info({ reason }, 'refused');
      else metrics.logLinesHeldBack.inc();
    },
    onUnavailable: (context) => gate.closeSocketOf(context, CLOSE_UNAVAILABLE, 'unavailable'),
    onConnected: (principal) => {
      if (principal.role === 'kiosk') devices.touch(principal.subject, { seen: Date.now() });
    },
  });
  // Checkpoints off the event loop ([R3]); an in-memory database has no log to checkpoint.
  const checkpoints =
    !(db instanceof SqliteDatabase) || db.raw.memory
      ? null
      : new WalCheckpoints(db, {
          onCheckpoint: (frames, done) => metrics.walFramesBehind.set(frames - done),
          onError: (message) => log.warn({ err: message }, 'WAL checkpoint failed'),
        });
  // One instance of those on a PostgreSQL writes the SQL record and runs retention ([R1]); it
  // follows what the others store from the database, told by their signals and its sweep.
  const clustered = db instanceof PostgresDatabase && config.databaseUrl !== undefined;
  const writer: RecordWriter =
    db instanceof PostgresDatabase && config.databaseUrl
      ? new PostgresRecordWriter(db, {
          url: config.databaseUrl,
          tryEveryMs: options.limits?.recordWriterRetryMs,
          onChange: (writing) => {
            if (!writing) {
              records.stoppedWriting();
              log.warn('record: another instance writes the record now');
              return;
            }
            log.info('record: this instance writes the record');
            catchUp();
            void retention.run();
          },
          onError: (message) => log.warn(message),
        })
      : SOLE_WRITER;
  // Webhooks are filled and sent by the record's writer ([I3]).
  const webhooks = new Webhooks({
    db,
    log,
    ...(options.limits?.webhooks ? { policy: options.limits.webhooks } : {}),
    runsHere: () => writer.writing,
  });
  const records = new RecordKeeper({
    db,
    documents,
    writer,
    outbox: webhooks,
    fromDatabase: clustered,
    tellWriter: (name) => signals.send({ kind: 'stored', names: [name] }),
    onRecorded: (seconds) => metrics.recordSeconds.observe(seconds),
    onError: (error, what) => log.error({ err: error }, `record: ${what} failed`),
  });
  // Days whose record is behind their documents (a crash, an upgrade, another writer's end):
  // rebuilt in slices while the server already serves; reports show the old rows until then.
  const catchUp = () =>
    void records.catchUp().then(
      (days) => {
        if (days === null)
          log.info('record: catching up stopped by the shutdown; the next start goes on');
        else if (days > 0) log.info({ days }, 'record: caught up');
      },
      (error) => log.error({ err: error }, 'record: catching up failed'),
    );
  // A crash left accepted updates in the log: fold them into their documents before anyone
  // connects ([W5]). Their days' record follows in the background (`catchUp` below).
  for (const name of await documents.namesWithUpdates()) await documents.fold(name);
  // Websocket upgrades (Origin, per-address ceiling, unauthenticated sockets capped and timed
  // out) and, once authenticated, sockets per device or account. Its handshake and Origin check
  // are set up with the HTTP app below.
  const gate: SocketGate = new SocketGate({
    maxPerAddress: config.maxConnectionsPerIp,
    ...options.limits?.sockets,
    originAllowed: (request) => originAllowed(request),
    addressOf,
    accept: (request, socket, head, webRequest) =>
      void ws.handleUpgrade(request, socket, head, webRequest),
    onRefused: ({ reason }) => metrics.refusals.inc({ reason }),
    onLog: (refusal) => {
      if (sampler.allow('websocket refused')) log.info(refusal, 'websocket refused');
      else metrics.logLinesHeldBack.inc();
    },
  });
  const durable = new DurableDocuments({
    documents,
    onStored: (seconds) => metrics.storeSeconds.observe(seconds),
  });
  const rosters = new RosterDocuments({
    membersOf: (name) => members.forRoster(name),
    fingerprints: () => members.fingerprints(),
    apply: (name, document, update) => durable.applyServerUpdate(name, document, update),
    onError: (error, name) =>
      log.warn(
        { err: (error as Error).message, documentName: name },
        'roster: not brought in line',
      ),
  });
  await rosters.start();
  const membersChanged = async (changes: readonly RosterChange[]): Promise<void> => {
    const names = [
      ...new Set(
        changes.flatMap(({ before, after }) => [
          ...(before ? rosterDocsOf(before) : []),
          ...(after ? rosterDocsOf(after) : []),
        ]),
      ),
    ];
    await rosters.refresh(hocuspocus as Hocuspocus, names);
    // Other instances on the database hold rosters of their own: they follow at once (a long
    // list, or a lost signal, waits for their sweep).
    if (db.engine === 'postgres' && names.length <= MAX_SIGNAL_NAMES)
      notifyCluster(db, { kind: 'rosters', names }).catch((error) =>
        log.warn({ err: (error as Error).message }, 'cluster signal not sent'),
      );
  };
  hocuspocus = new Hocuspocus({
    quiet: true,
    ...STORE_CADENCE,
    // Before a socket has authenticated it may queue at most this much (GHSA-xwhh-v746-pj9m):
    // an honest client sends its token, a state vector and its presence per document before
    // the token is checked (its changes follow the server's reply, after). 256 KiB, so the
    // unauthenticated sockets SocketGate allows (512) hold at most 128 MiB between them.
    maxUnauthenticatedQueueSize: Math.min(4 * config.maxMessageBytes, 256 * 1024),
    maxUnauthenticatedQueueMessages: 200,
    // A device opens its site document, yesterday and today, days it still has to deliver
    // ([D6]) and 32 roster documents ([D7]) at once.
    maxPendingDocuments: 64,
    extensions: [
      access,
      gate,
      new WriteGuard({
        ...options.writeLimits,
        siteOpen: (siteId) => sites.state(siteId) === 'open',
        onRefused: ({ documentName, reason, problem, context }) => {
          metrics.invalidUpdates.inc();
          metrics.refusals.inc({ reason });
          log.warn(
            {
              documentName,
              reason,
              problem,
              role: context.principal.role,
              subject: context.principal.subject,
            },
            'update refused',
          );
        },
      }),
      new AwarenessGuard({
        onDropped: (reason) => metrics.awarenessDropped.inc({ reason }),
      }),
      durable,
      rosters,
      records,
      // Last by priority (10; see RedisRelay): it passes on only what the guards admitted and
      // DurableDocuments logged, and never skips their store hooks.
      ...(relay ? [relay] : []),
      {
        async onChange({ context }) {
          metrics.updates.inc();
          const principal = (context as { principal?: { role: string; subject: string } })
            .principal;
          if (principal?.role === 'kiosk') devices.touch(principal.subject, { synced: Date.now() });
        },
        // The sites table follows each site document's name and time zone ([C1]).
        async onStoreDocument({ documentName, document }) {
          const parsed = parseDocName(documentName);
          if (parsed?.kind === 'site') await sites.noteSettings(parsed.siteId, document);
        },
      },
    ],
  });

  // Browsers always send Origin; other clients (Node, scanners' tools) do not and rely on tokens.
  const acceptedOrigins = new AcceptedOrigins(config.publicUrls, config.allowedOrigins);
  const originAllowed = originCheck(acceptedOrigins);
  const trustProxy = trustFunction(config.trustProxy);
  const tls = config.tls ? readTlsFiles(config.tls) : null;
  // Between instances on one database: revocations and site changes reach every instance's
  // sockets at once (SQLite has one instance: applied here only; PostgreSQL: below).
  const applySignal = (signal: ClusterSignal) => {
    if (signal.kind === 'subject') access.closeSubject(signal.subject, signal.reason);
    else if (signal.kind === 'rosters')
      void rosters.refresh(hocuspocus as Hocuspocus, signal.names);
    else if (signal.kind === 'stored') records.followStored(signal.names);
    else sites.load().catch(() => {});
  };
  let signals: ClusterSignals = new LocalSignals(applySignal);
  const apiKeys = new ApiKeys(db);
  const app = await createHttpApp({
    db,
    relay,
    signal: (signal) => signals.send(signal),
    devices,
    staff,
    accounts: new AccountAdmin(db),
    members,
    membersChanged,
    sites,
    tokens,
    apiKeys,
    webhooks: webhooks.endpoints,
    access,
    metrics,
    log,
    defaultSiteId: config.siteId,
    allowedOrigins: config.allowedOrigins,
    acceptedOrigins,
    trustProxy,
    tls: tls && { cert: tls.cert, key: tls.key },
    // The live document when a client has it open: its latest settings may not be stored yet.
    siteView: async (siteId) => {
      const name = siteDocName(siteId);
      const live = (hocuspocus as Hocuspocus).documents.get(name);
      return siteViewOf(live ?? (await documents.load(name)), () => timeZoneOf(siteId));
    },
    distDir: options.distDir ?? join(process.cwd(), 'dist'),
    metricsToken: config.metricsToken,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const http = app.server;
  trustProxiesOn(http, trustProxy);
  // Renewed certificates are applied without a restart; open websockets keep theirs.
  const certificate =
    config.tls && tls
      ? new CertificateReloader({
          files: config.tls,
          server: http as unknown as TlsServer,
          initial: tls,
          log,
        })
      : null;

  const ws = crossws({
    serverOptions: { maxPayload: config.maxMessageBytes },
    hooks: {
      open(peer) {
        const client = (hocuspocus as Hocuspocus).handleConnection(
          peer.websocket as unknown as WebSocketLike,
          peer.request as Request,
          gate.open(peer),
        );
        (peer as unknown as { hocuspocus: typeof client }).hocuspocus = client;
      },
      message(peer, message) {
        (
          peer as unknown as { hocuspocus?: { handleMessage(data: Uint8Array): void } }
        ).hocuspocus?.handleMessage(message.uint8Array());
      },
      close(peer, event) {
        (
          peer as unknown as {
            hocuspocus?: { handleClose(e: { code?: number; reason?: string }): void };
          }
        ).hocuspocus?.handleClose({
          code: event.code ?? 1000,
          reason: event.reason ?? '',
        });
      },
      error(peer, error) {
        // A client's malformed frames: one line per connection at most, sampled under flood.
        if (sampler.allow('websocket error'))
          log.warn({ peer: peer.id, err: error.message.slice(0, 200) }, 'websocket error');
        else metrics.logLinesHeldBack.inc();
      },
    },
  });
  http.on('upgrade', gate.upgrade);

  const retention = new RetentionJob({
    db,
    documents,
    log,
    isLoaded: (name) => (hocuspocus as Hocuspocus).documents.has(name),
    exclusive: (run) => records.exclusive(run),
    runsHere: () => writer.writing,
  });
  retention.start();
  // Changes made elsewhere (the CLI; another instance whose signal was lost) are followed
  // within one sweep.
  const sweep = () => {
    sites
      .load()
      .catch((error) => log.warn({ err: (error as Error).message }, 'sites: reload failed'));
    void access.sweep();
    // A member change no signal brought (another instance, the CLI), or a roster that could not
    // be written, arrives here.
    rosters
      .sweep(hocuspocus as Hocuspocus)
      .catch((error) => log.warn({ err: (error as Error).message }, 'rosters: sweep failed'));
    // The record's writer follows what other instances stored and no signal brought.
    if (clustered)
      records
        .sweep()
        .catch((error) => log.warn({ err: (error as Error).message }, 'record: sweep failed'));
  };
  const sweeper = setInterval(sweep, options.limits?.sweepMs ?? SWEEP_MS);
  sweeper.unref();
  if (db instanceof PostgresDatabase && config.databaseUrl) {
    const listening = new PostgresSignals(
      db,
      { url: config.databaseUrl },
      applySignal,
      sweep,
      (message) => log.warn(message),
    );
    await listening.start();
    signals = listening;
  }

  if (relay && !(await relay.whenReady(options.limits?.redisStartWaitMs ?? REDIS_START_WAIT_MS)))
    log.warn(
      "redis: not reachable at start; serving this instance's clients, relaying nothing until it is",
    );
  await app.listen({ port: config.port, host: config.host });
  const port = (http.address() as AddressInfo).port;
  acceptedOrigins.listening({ scheme: tls ? 'https' : 'http', port, host: config.host });
  certificate?.start();
  await webhooks.start();
  if (writer instanceof PostgresRecordWriter) await writer.start();
  else catchUp();
  const metricsServer = config.metricsAddress
    ? await listenForMetrics(config.metricsAddress, metrics)
    : null;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;

  let closing: Promise<void> | null = null;
  return {
    url: `${tls ? 'https' : 'http'}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    acceptedOrigins: acceptedOrigins.list,
    certificate,
    hocuspocus,
    db,
    tokens,
    devices,
    staff,
    access,
    records,
    documents,
    sites,
    members,
    membersChanged,
    setupCode,
    firstStart,
    close() {
      closing ??= (async () => {
        retention.stop();
        await webhooks.stop();
        clearInterval(sweeper);
        await signals.close();
        gate.stop();
        certificate?.stop();
        metricsServer?.close();
        // Stops accepting at once; settles when the last HTTP answer is sent.
        const closed = app.close();
        const hp = hocuspocus as Hocuspocus;
        hp.closeConnections();
        hp.flushPendingStores();
        // Stores run as promises after flush; wait until every document has unloaded.
        const deadline = Date.now() + 5000;
        while (hp.getDocumentsCount() > 0 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        // After the unloads, which let other instances fetch the last changes first.
        await relay?.close();
        ws.closeAll(1001, 'server shutting down', true);
        http.closeAllConnections();
        await closed;
        await records.stop();
        // After the record's last writes: the next writer takes over from there.
        await writer.close();
        await devices.stop();
        await checkpoints?.stop();
        await db.close();
      })();
      return closing;
    },
  };
}
