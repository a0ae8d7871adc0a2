import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Everything `/metrics` exposes, in Prometheus text format. One registry per server instance. */
export class Metrics {
  readonly registry = new Registry();
  readonly connections: Gauge;
  readonly documents: Gauge;
  readonly updates: Counter;
  readonly refusals: Counter<'reason'>;
  readonly invalidUpdates: Counter;
  readonly awarenessDropped: Counter<'reason'>;
  readonly logLinesHeldBack: Counter;
  readonly storeSeconds: Histogram;
  readonly recordSeconds: Histogram;
  readonly walFramesBehind: Gauge;
  readonly httpRequests: Counter<'route' | 'status'>;
  readonly publicComputations: Counter;

  constructor(sources: { connections: () => number; documents: () => number }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'headcount_process_' });
    this.connections = new Gauge({
      name: 'headcount_connections',
      help: 'Open websocket connections',
      registers,
      collect() {
        this.set(sources.connections());
      },
    });
    this.documents = new Gauge({
      name: 'headcount_documents_loaded',
      help: 'Documents held in memory',
      registers,
      collect() {
        this.set(sources.documents());
      },
    });
    this.updates = new Counter({
      name: 'headcount_document_updates_total',
      help: 'Document updates applied (rate() gives updates per second)',
      registers,
    });
    this.refusals = new Counter({
      name: 'headcount_auth_refusals_total',
      help: 'Connections, documents or requests refused, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.invalidUpdates = new Counter({
      name: 'headcount_invalid_updates_total',
      help: 'Updates refused by the write guard (by reason: headcount_auth_refusals_total)',
      registers,
    });
    this.logLinesHeldBack = new Counter({
      name: 'headcount_log_lines_held_back_total',
      help: 'Log lines not written because one source wrote too many in a minute',
      registers,
    });
    this.awarenessDropped = new Counter({
      name: 'headcount_awareness_dropped_total',
      help: 'Awareness states dropped by the awareness guard, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.storeSeconds = new Histogram({
      name: 'headcount_store_duration_seconds',
      help: 'Time to store a document state',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    });
    this.recordSeconds = new Histogram({
      name: 'headcount_record_duration_seconds',
      help: 'Time for the SQL record to follow one store of a day (yields to the event loop included)',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    });
    this.walFramesBehind = new Gauge({
      name: 'headcount_wal_frames_behind',
      help: 'SQLite WAL frames not yet copied into the database file at the last checkpoint',
      registers,
    });
    this.httpRequests = new Counter({
      name: 'headcount_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers,
    });
    this.publicComputations = new Counter({
      name: 'headcount_public_occupancy_computations_total',
      help: 'Public "how busy" answers computed from the record (at most one per site per 5 s)',
      registers,
    });
  }
}
