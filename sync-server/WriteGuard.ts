import type { beforeSyncPayload, Extension } from '@hocuspocus/server';
import { parseWriterName } from '../shared/writer';
import type { ConnectionContext } from './AccessControl';
import { Refusal } from './refusals';
import { shapeOfUpdate, UnreadableUpdate, type UpdateShape } from './updateShape';

export interface WriteGuardConfiguration {
  /** Largest check-in entry accepted, bytes (estimated). Default 2 KiB: a v1 entry is ~40 B. */
  maxEntryBytes: number;
  /** Largest roster or settings value accepted, bytes (estimated). Default 16 KiB. */
  maxSiteValueBytes: number;
  /** Called with the reason whenever an update is refused (metrics, logs). */
  onRefused: (documentName: string, problem: string) => void;
}

/**
 * Refuses updates whose shape does not fit the document kind, before they are applied:
 * check-ins documents take only new entries in writer arrays ([D4], [D5]: no deletions, no
 * nested or map content, no oversized entries); site documents take only values in the
 * `settings` and `members` maps.
 *
 * Refusing closes that document's connection, and the client keeps the refused structs (see the
 * README's security section for how a kiosk recovers). Which writer array a client appends to is
 * not checked here: on reconnect a client's sync message legitimately carries other writers'
 * entries the server lacks (after a crash, any device can bring them back).
 */
export class WriteGuard implements Extension {
  extensionName = 'WriteGuard';
  private readonly configuration: WriteGuardConfiguration;

  constructor(configuration: Partial<WriteGuardConfiguration> = {}) {
    this.configuration = {
      maxEntryBytes: 2048,
      maxSiteValueBytes: 16 * 1024,
      onRefused: () => {},
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
    let shape: UpdateShape;
    try {
      shape = shapeOfUpdate(document, payload);
    } catch (error) {
      if (!(error instanceof UnreadableUpdate)) throw error;
      this.refuse(documentName, error.message);
    }
    const problem =
      context.access.kind === 'checkins' ? this.checkCheckins(shape) : this.checkSite(shape);
    if (problem) this.refuse(documentName, problem);
  }

  private refuse(documentName: string, problem: string): never {
    this.configuration.onRefused(documentName, problem);
    throw new Refusal('invalid-update', problem);
  }

  private checkCheckins(shape: UpdateShape): string | null {
    if (shape.deletes) return 'check-ins documents are append-only';
    for (const item of shape.items) {
      if (item.container === null) return 'content inside a nested type';
      if (item.container !== undefined && parseWriterName(item.container) === null) {
        return `top-level type "${item.container.slice(0, 40)}"`;
      }
      if (item.mapKey !== null) return 'map entry on a writer array';
      if (item.content !== 'any') return 'content that is not an entry';
      if (item.largestElement > this.configuration.maxEntryBytes) return 'oversized entry';
    }
    return null;
  }

  private checkSite(shape: UpdateShape): string | null {
    for (const item of shape.items) {
      // Overwritten map values arrive as deleted content: that is how maps change.
      if (item.content === 'deleted') continue;
      if (item.container === undefined) continue;
      if (item.container !== 'settings' && item.container !== 'members') {
        return `top-level type "${String(item.container).slice(0, 40)}"`;
      }
      if (item.mapKey === null) return 'site documents hold map values only';
      if (item.content !== 'any') return 'content that is not a plain value';
      if (item.largestElement > this.configuration.maxSiteValueBytes) return 'oversized value';
    }
    return null;
  }
}
