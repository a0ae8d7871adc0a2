import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { Hocuspocus, type WebSocketLike } from '@hocuspocus/server';
import crossws from 'crossws/adapters/node';
import pino, { type Logger } from 'pino';
import * as Y from 'yjs';
import { parseDocName, siteDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import { readSettings, writeSettings } from '../shared/siteDoc';
import { AccessControl } from './AccessControl';
import { AwarenessGuard } from './AwarenessGuard';
import type { Config } from './config';
import { LogSampler, routeConsoleToLog } from './consoleToLog';
import { DeviceRegistry } from './DeviceRegistry';
import { DocumentStore } from './DocumentStore';
import { DurableDocuments } from './DurableDocuments';
import { type Db, openDatabase } from './database';
import { createHttpApp, originCheck } from './http';
import { listenForMetrics } from './http/metricsListener';
import { Metrics } from './metrics';
import { RecordKeeper } from './RecordKeeper';
import { RetentionJob } from './RetentionJob';
import { StaffAccounts } from './StaffAccounts';
import { clearSetupCode, createSetupCode } from './setupCode';
import { ensureSite } from './sites';
import { siteViewOf } from './siteView';
import { TokenIssuer } from './tokens';
import { WriteGuard, type WriteLimits } from './WriteGuard';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly hocuspocus: Hocuspocus;
  readonly db: Db;
  readonly tokens: TokenIssuer;
  readonly devices: DeviceRegistry;
  readonly staff: StaffAccounts;
  readonly access: AccessControl;
  readonly records: RecordKeeper;
  /** Stored document states and the update log. */
  readonly documents: DocumentStore;
  /** Printed at start while no admin exists; null once one does. */
  readonly setupCode: string | null;
  /** True on the start that created the site and the signing key. */
  readonly firstStart: boolean;
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
  const db = openDatabase(config.dataDir);
  const sampler = new LogSampler();
  const firstStart = ensureSite(db, config.siteId, config.siteTimeZone);
  const tokens = await TokenIssuer.load({
    pem: config.signingKey,
    dataDir: config.dataDir,
    ttlSeconds: config.accessTokenTtl,
  });
  const devices = new DeviceRegistry(db);
  const staff = new StaffAccounts(db);
  const documents = new DocumentStore(db);
  const setupCode = staff.count() === 0 ? createSetupCode(db) : null;
  if (setupCode === null) clearSetupCode(db);
  // The site document starts with the configured time zone, so every device derives the same
  // local days from the first scan on (an empty document would mean UTC).
  if (documents.fetch(siteDocName(config.siteId)) === null) {
    const site = new Y.Doc();
    writeSettings(site, { name: config.siteId, timeZone: config.siteTimeZone });
    documents.store(siteDocName(config.siteId), Y.encodeStateAsUpdate(site));
  }

  const timeZoneOf = (siteId: string): string => {
    const site = documents.load(siteDocName(siteId));
    if (site) return readSettings(site).settings.timeZone;
    const row = db.prepare('select time_zone from sites where id = ?').get(siteId) as
      | { time_zone: string }
      | undefined;
    return row?.time_zone ?? 'UTC';
  };

  let hocuspocus: Hocuspocus | null = null;
  const metrics: Metrics = new Metrics({
    connections: () => hocuspocus?.getConnectionsCount() ?? 0,
    documents: () => hocuspocus?.getDocumentsCount() ?? 0,
  });
  if (options.routeConsole) routeConsoleToLog(log, () => metrics.logLinesHeldBack.inc());
  const access = new AccessControl({
    tokens,
    isActive: (principal) =>
      principal.role === 'kiosk'
        ? devices.isActive(principal.subject)
        : staff.get(principal.subject)?.role === principal.role,
    today: (siteId) => localDayOf(Date.now(), timeZoneOf(siteId)),
    onRefused: (reason) => {
      metrics.refusals.inc({ reason });
      log.info({ reason }, 'refused');
    },
    onConnected: (principal) => {
      if (principal.role === 'kiosk') devices.touch(principal.subject, { seen: Date.now() });
    },
  });
  const records = new RecordKeeper({
    db,
    documents,
    onRecorded: (seconds) => metrics.recordSeconds.observe(seconds),
  });
  // A crash left accepted updates in the log: fold them into their documents, and into the
  // record, before anyone connects ([W5]).
  for (const name of documents.namesWithUpdates()) {
    const doc = documents.fold(name);
    const parsed = parseDocName(name);
    if (doc && parsed?.kind === 'checkins') records.record(parsed.siteId, parsed.day, doc);
  }
  hocuspocus = new Hocuspocus({
    quiet: true,
    // Before a socket has authenticated it may queue at most this much (GHSA-xwhh-v746-pj9m):
    // an honest client sends one sync message per document before its token is checked.
    maxUnauthenticatedQueueSize: Math.min(4 * config.maxMessageBytes, 8 * 1024 * 1024),
    maxUnauthenticatedQueueMessages: 200,
    // A kiosk opens at most yesterday, today and the site document; staff a few more.
    maxPendingDocuments: 20,
    extensions: [
      access,
      new WriteGuard({
        ...options.writeLimits,
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
      new DurableDocuments({
        documents,
        onStored: (seconds) => metrics.storeSeconds.observe(seconds),
      }),
      records,
      {
        async onChange({ context }) {
          metrics.updates.inc();
          const principal = (context as { principal?: { role: string; subject: string } })
            .principal;
          if (principal?.role === 'kiosk') devices.touch(principal.subject, { synced: Date.now() });
        },
      },
    ],
  });

  // Browsers always send Origin; other clients (Node, scanners' tools) do not and rely on tokens.
  const originAllowed = originCheck(config.allowedOrigins);
  const app = await createHttpApp({
    db,
    devices,
    staff,
    tokens,
    access,
    metrics,
    log,
    defaultSiteId: config.siteId,
    allowedOrigins: config.allowedOrigins,
    // The live document when a client has it open: its latest roster may not be stored yet.
    siteView: (siteId) => {
      const name = siteDocName(siteId);
      const live = (hocuspocus as Hocuspocus).documents.get(name);
      return siteViewOf(live ?? documents.load(name), () => timeZoneOf(siteId));
    },
    distDir: options.distDir ?? join(process.cwd(), 'dist'),
    metricsToken: config.metricsToken,
  });
  const http = app.server;

  const ws = crossws({
    serverOptions: { maxPayload: config.maxMessageBytes },
    hooks: {
      open(peer) {
        const client = (hocuspocus as Hocuspocus).handleConnection(
          peer.websocket as unknown as WebSocketLike,
          peer.request as Request,
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
  const openPerAddress = new Map<string, number>();
  http.on('upgrade', (request, socket: Socket, head) => {
    const address = socket.remoteAddress ?? 'unknown';
    const refuse = (status: number, reason: string) => {
      metrics.refusals.inc({ reason });
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!originAllowed(request)) return refuse(403, 'bad-origin');
    const open = openPerAddress.get(address) ?? 0;
    if (open >= config.maxConnectionsPerIp) return refuse(429, 'too-many-connections');
    openPerAddress.set(address, open + 1);
    socket.once('close', () => {
      const left = (openPerAddress.get(address) ?? 1) - 1;
      if (left > 0) openPerAddress.set(address, left);
      else openPerAddress.delete(address);
    });
    ws.handleUpgrade(request, socket, head);
  });

  const retention = new RetentionJob({
    db,
    documents,
    log,
    isLoaded: (name) => (hocuspocus as Hocuspocus).documents.has(name),
  });
  retention.start();

  await app.listen({ port: config.port, host: config.host });
  const port = (http.address() as AddressInfo).port;
  const metricsServer = config.metricsAddress
    ? await listenForMetrics(config.metricsAddress, metrics)
    : null;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    hocuspocus,
    db,
    tokens,
    devices,
    staff,
    access,
    records,
    documents,
    setupCode,
    firstStart,
    close() {
      closing ??= (async () => {
        retention.stop();
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
        ws.closeAll(1001, 'server shutting down', true);
        http.closeAllConnections();
        await closed;
        db.close();
      })();
      return closing;
    },
  };
}
