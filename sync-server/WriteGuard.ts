import {
  type beforeSyncPayload,
  type Extension,
  isTransactionOrigin,
  type onChangePayload,
} from '@hocuspocus/server';
import type * as Y from 'yjs';
import { MAX_CLOCK_CORRECTIONS_PER_DAY } from '../shared/ClockCorrections';
import { parseDocName } from '../shared/docName';
import { type EntryContext, parseEntry, unknownExtraKeys } from '../shared/entryCodec';
import { dayWindow } from '../shared/localTime';
import type { UpdateRefusal } from '../shared/refusals';
import { CLOSE_UNAVAILABLE } from '../shared/refusals';
import { parseWriterName } from '../shared/writer';
import type { ConnectionContext } from './AccessControl';
import { DocumentWriters } from './DocumentWriters';
import { Refusal } from './refusals';
import { encodedSize, shapeOfUpdate, UnreadableUpdate, type UpdateShape } from './updateShape';

export interface WriteGuardConfiguration {
  /**
   * Largest check-in entry accepted, bytes as stored. Default 2 KiB: a check-in is ~30 B, the
   * largest valid entry (a void with a 500-character reason) under 1.6 KiB.
   */
  maxEntryBytes: number;
  /**
   * Entries one writer may hold in one day's document. Default 25 000: a door with 5 000 visits
   * a day writes about 10 000 (check-in, check-out, some repeats and denials).
   */
  maxEntriesPerWriterDay: number;
  /** Bytes of entries one writer may hold in one day's document. Default 2 MiB (about 5× a busy door). */
  maxBytesPerWriterDay: number;
  /**
   * Clock corrections one writer may hold in one day's document ([T5]). Default
   * MAX_CLOCK_CORRECTIONS_PER_DAY (200), which devices respect on their side too.
   */
  maxClockEntriesPerWriterDay: number;
  /** Largest roster or settings value accepted, bytes as stored. Default 16 KiB. */
  maxSiteValueBytes: number;
  /** Called whenever an update is refused (metrics, logs). */
  onRefused: (refused: RefusedUpdate) => void;
  /**
   * Whether a site takes writes now ([C2]). Checked on every update, not only when a connection
   * opens: a site archived elsewhere (the CLI, another instance) stops taking them at once.
   */
  siteOpen: (siteId: string) => boolean;
}

export type WriteLimits = Pick<
  WriteGuardConfiguration,
  | 'maxEntryBytes'
  | 'maxEntriesPerWriterDay'
  | 'maxBytesPerWriterDay'
  | 'maxClockEntriesPerWriterDay'
  | 'maxSiteValueBytes'
>;

export interface RefusedUpdate {
  readonly documentName: string;
  readonly reason: UpdateRefusal;
  readonly problem: string;
  readonly context: ConnectionContext;
}

class Refused extends Error {
  constructor(
    readonly reason: UpdateRefusal,
    readonly problem: string,
  ) {
    super('');
  }
}

/**
 * Admits an update only if everything new in it belongs to the connection ([W1]–[W4] in
 * shared/SPEC.md), before it is applied, stored or relayed:
 *
 * - check-ins documents take only new entries appended to the connection's own writer array,
 *   written by Yjs clients bound to that writer (`foreign-writer` otherwise);
 * - each new entry must read as an event with the same codec every device derives with, and
 *   be at most `maxEntryBytes` (`invalid-entry`);
 * - a writer's entries in one day stay within the quotas (`quota-exceeded`);
 * - no deletions, nested types, map entries or other top-level types (`invalid-update`);
 * - site documents take only values in the `settings` map (members are in rosters, [D7]);
 * - roster documents take nothing from clients.
 *
 * Refusing closes that document's connection with the reason; the client keeps the refused
 * structs, and a kiosk or dashboard starts that day again from the server's copy (README,
 * "Refused updates and recovery").
 */
export class WriteGuard implements Extension {
  extensionName = 'WriteGuard';
  private readonly configuration: WriteGuardConfiguration;
  private readonly writers = new DocumentWriters();
  // dayWindow goes through Intl: worth computing once per document, not per update.
  private readonly contexts = new WeakMap<Y.Doc, Map<string, EntryContext>>();

  constructor(configuration: Partial<WriteGuardConfiguration> = {}) {
    this.configuration = {
      maxEntryBytes: 2048,
      maxEntriesPerWriterDay: 25_000,
      maxBytesPerWriterDay: 2 * 1024 * 1024,
      maxClockEntriesPerWriterDay: MAX_CLOCK_CORRECTIONS_PER_DAY,
      maxSiteValueBytes: 16 * 1024,
      onRefused: () => {},
      siteOpen: () => true,
      ...configuration,
    };
  }

  async beforeSync({
    type,
    payload,
    document,
    documentName,
    context,
    connection,
  }: beforeSyncPayload<ConnectionContext>): Promise<void> {
    // SyncStep1 carries only a state vector; read-only connections' writes are dropped by Hocuspocus.
    if (type === 0 || connection.readOnly) return;
    if (payload.length > 2 && !this.configuration.siteOpen(context.access.siteId)) {
      // The whole socket, like an archive from the dashboard: it comes back to the refusal.
      connection.webSocket.close(CLOSE_UNAVAILABLE, 'site-archived');
      throw new Refusal('site-archived');
    }
    try {
      const shape = readShape(document, payload);
      if (context.access.kind === 'checkins') {
        const writer = context.access.writer;
        if (writer === null) throw new Refused('foreign-writer', 'this connection writes no array');
        this.admitCheckins(document, documentName, writer, shape);
      } else if (context.access.kind === 'site') {
        this.admitSite(shape);
      } else {
        // Read-only connections never get here; kept so a mistake in access.ts fails closed.
        throw new Refused('invalid-update', 'roster documents are written by the server');
      }
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      this.configuration.onRefused({
        documentName,
        reason: error.reason,
        problem: error.problem,
        context,
      });
      throw new Refusal(error.reason, error.problem);
    }
  }

  /**
   * Changes that did not come through `beforeSync` here (another instance's clients, relayed
   * over Redis) are not in this instance's counts: their writers are counted again when they
   * next write here.
   */
  async onChange({ transactionOrigin, document, update }: onChangePayload): Promise<void> {
    if (isTransactionOrigin(transactionOrigin) && transactionOrigin.source === 'connection') return;
    this.writers.forgetUsageFrom(document, update);
  }

  private admitCheckins(doc: Y.Doc, documentName: string, writer: string, shape: UpdateShape) {
    if (shape.deletes) throw new Refused('invalid-update', 'check-ins documents are append-only');
    const binds = new Map<number, string>();
    const owner = (client: number) => binds.get(client) ?? this.writers.ownerOf(doc, client);
    const claim = (client: number, what: string) => {
      const held = owner(client);
      if (held !== undefined && held !== writer) {
        throw new Refused('foreign-writer', `${what} ${client} writes for ${held ?? 'nothing'}`);
      }
      binds.set(client, writer);
    };
    let entries = 0;
    let bytes = 0;
    /** The clock corrections in this update: segment and the correction's id ([T5]). */
    const corrections = new Map<string, string>();
    let context: EntryContext | undefined;
    for (const item of shape.items) {
      if (item.content === 'deleted') {
        throw new Refused('invalid-update', 'check-ins documents are append-only');
      }
      claim(item.client, 'Yjs client');
      if (item.container === undefined) {
        // Lands next to an origin not seen yet: that origin's client must write for us too.
        claim(item.pendingOn as number, 'origin of a pending item: Yjs client');
      } else if (item.container === null) {
        throw new Refused('invalid-update', 'content inside a nested type');
      } else if (item.container !== writer) {
        if (parseWriterName(item.container) !== null) {
          throw new Refused('foreign-writer', `entries for ${item.container}`);
        }
        throw new Refused('invalid-update', `top-level type "${item.container.slice(0, 40)}"`);
      }
      if (item.mapKey !== null) throw new Refused('invalid-update', 'map entry on a writer array');
      if (item.content !== 'any')
        throw new Refused('invalid-update', 'content that is not an entry');
      context ??= this.contextOf(doc, documentName, writer);
      for (const value of item.values) {
        const size = encodedSize(value);
        if (size > this.configuration.maxEntryBytes) {
          throw new Refused('invalid-entry', `entry of ${size} bytes`);
        }
        const parsed = parseEntry(value, context);
        if (!parsed.ok) throw new Refused('invalid-entry', `${parsed.code}: ${parsed.detail}`);
        const unknown = unknownExtraKeys(value);
        if (unknown.length > 0) {
          throw new Refused(
            'invalid-entry',
            `unknown field ${JSON.stringify(unknown[0]?.slice(0, 20))}`,
          );
        }
        if (parsed.event.kind === 'clock') {
          const { segment, id } = parsed.event;
          if ((corrections.get(segment) ?? id) !== id) {
            throw new Refused('invalid-entry', 'two clock corrections for one clock segment');
          }
          corrections.set(segment, id);
        }
        entries++;
        bytes += size;
      }
    }
    const usage = this.writers.usageOf(doc, writer);
    // The same correction again (held pending, then re-sent with its origin; or re-appended by
    // refusal recovery) is the same event ([E1]); another one for a segment is not.
    let newSegments = 0;
    for (const [segment, id] of corrections) {
      const held = usage.clockSegments.get(segment);
      if (held === undefined) newSegments++;
      else if (held !== id) {
        throw new Refused('invalid-entry', 'a second clock correction for one clock segment');
      }
    }
    const { maxClockEntriesPerWriterDay } = this.configuration;
    if (usage.clockSegments.size + newSegments > maxClockEntriesPerWriterDay) {
      throw new Refused(
        'quota-exceeded',
        `more than ${maxClockEntriesPerWriterDay} clock corrections in a day`,
      );
    }
    const { maxEntriesPerWriterDay, maxBytesPerWriterDay } = this.configuration;
    if (usage.entries + entries > maxEntriesPerWriterDay) {
      throw new Refused('quota-exceeded', `more than ${maxEntriesPerWriterDay} entries in a day`);
    }
    if (usage.bytes + bytes > maxBytesPerWriterDay) {
      throw new Refused('quota-exceeded', `more than ${maxBytesPerWriterDay} bytes in a day`);
    }
    // Admitted: the update is applied right after this hook.
    for (const [client, bound] of binds) this.writers.bind(doc, client, bound);
    usage.entries += entries;
    usage.bytes += bytes;
    for (const [segment, id] of corrections) usage.clockSegments.set(segment, id);
  }

  /** The codec's context for a writer's entries in this document, made once per document. */
  private contextOf(doc: Y.Doc, documentName: string, writer: string): EntryContext {
    let byWriter = this.contexts.get(doc);
    if (!byWriter) {
      byWriter = new Map();
      this.contexts.set(doc, byWriter);
    }
    let context = byWriter.get(writer);
    if (!context) {
      context = contextOf(documentName, writer);
      byWriter.set(writer, context);
    }
    return context;
  }

  private admitSite(shape: UpdateShape): void {
    for (const item of shape.items) {
      // Overwritten map values arrive as deleted content: that is how maps change.
      if (item.content === 'deleted') continue;
      if (item.container === undefined) continue;
      // Members were here before roster documents ([D7]); nobody writes them here now.
      if (item.container !== 'settings') {
        throw new Refused(
          'invalid-update',
          `top-level type "${String(item.container).slice(0, 40)}"`,
        );
      }
      if (item.mapKey === null) {
        throw new Refused('invalid-update', 'site documents hold map values only');
      }
      if (item.content !== 'any') {
        throw new Refused('invalid-update', 'content that is not a plain value');
      }
      for (const value of item.values) {
        if (encodedSize(value) > this.configuration.maxSiteValueBytes) {
          throw new Refused('invalid-update', 'oversized value');
        }
      }
    }
  }
}

function readShape(doc: Y.Doc, payload: Uint8Array): UpdateShape {
  try {
    return shapeOfUpdate(doc, payload);
  } catch (error) {
    if (error instanceof UnreadableUpdate) throw new Refused('invalid-update', error.message);
    throw error;
  }
}

/** The codec's context for this document's entries (validity does not depend on the zone). */
function contextOf(documentName: string, writer: string): EntryContext {
  const parsedWriter = parseWriterName(writer);
  const name = parseDocName(documentName);
  if (!parsedWriter || name?.kind !== 'checkins') {
    throw new Refused('invalid-update', 'not a check-ins document');
  }
  return { writer: parsedWriter, window: dayWindow(name.day, 'UTC') };
}
