import { randomInt } from 'node:crypto';
import type { Extension, Hocuspocus, onLoadDocumentPayload } from '@hocuspocus/server';
import type * as Y from 'yjs';
import { parseDocName } from '../../shared/docName';
import type { Member } from '../../shared/member';
import { rosterUpdate } from '../../shared/rosterDoc';

export interface RosterDocumentsConfiguration {
  /** The members a roster document should list now (`MemberDirectory.forRoster`). */
  membersOf: (documentName: string) => Promise<ReadonlyMap<string, Member>>;
  /** Per shard, what changes when a member of it is written (`MemberDirectory.fingerprints`). */
  fingerprints: () => Promise<Map<number, string>>;
  /** Logs `update` as the document's next update, then applies it (`DurableDocuments`). */
  apply: (documentName: string, document: Y.Doc, update: Uint8Array) => Promise<void>;
  onError: (error: unknown, documentName: string) => void;
}

/**
 * Keeps roster documents equal to the member table ([D7]). A roster document is brought in line
 * when it loads (after `DurableDocuments` replayed it), and when members change while it is open
 * (`refresh`); a closed one waits for its next load. Each change is logged before any client
 * sees it, so a device never holds a roster item the server could lose in a crash.
 *
 * The writer's Yjs client id is drawn per document in memory: its clock continues from that
 * document's state, which is safe because writes to one document run one at a time here. A
 * document unloaded and loaded again gets a new id, so a write still being logged for the old
 * one can never share a clock with a write to the new one. Devices only read rosters
 * (`access.ts`).
 */
export class RosterDocuments implements Extension {
  extensionName = 'RosterDocuments';
  // After DurableDocuments (60) has replayed the stored state and log.
  priority = 55;
  private readonly configuration: RosterDocumentsConfiguration;
  private readonly clientIDs = new WeakMap<Y.Doc, number>();
  /** Per document, the reconcile running or last run: one at a time per document. */
  private readonly running = new Map<string, Promise<void>>();
  /** Open documents whose last reconcile failed: the next sweep tries them again. */
  private readonly failed = new Set<string>();
  /** Per shard, the member table's fingerprint as of the last sweep (`sweep`). */
  private seen = new Map<number, string>();

  constructor(configuration: RosterDocumentsConfiguration) {
    this.configuration = configuration;
  }

  async onLoadDocument({ documentName, document }: onLoadDocumentPayload): Promise<void> {
    const kind = parseDocName(documentName)?.kind;
    if (kind === 'roster' || kind === 'chain-roster') await this.reconcile(documentName, document);
  }

  /**
   * Members changed: brings the named roster documents that are open, or loading, in line now.
   * Resolves when they are; a failure is reported and left for the document's next load.
   */
  async refresh(instance: Hocuspocus, names: Iterable<string>): Promise<void> {
    await Promise.all(
      [...new Set(names)].map(async (name) => {
        try {
          // A document still loading reconciles as it loads; this one runs after.
          const document =
            instance.documents.get(name) ?? (await instance.loadingDocuments.get(name));
          if (document) await this.reconcile(name, document);
          this.failed.delete(name);
        } catch (error) {
          this.failed.add(name);
          this.configuration.onError(error, name);
        }
      }),
    );
  }

  /**
   * Notes the member table as it is now, so the next `sweep` looks only at what changes after.
   * At start, before any roster loads (each one is brought in line as it loads).
   */
  async start(): Promise<void> {
    this.seen = await this.configuration.fingerprints();
  }

  /**
   * Catches up on what no signal brought: open rosters of the shards whose fingerprint changed
   * (another instance, the CLI, a lost signal), and those whose last reconcile failed. Cheap when
   * nothing changed: one grouped query.
   */
  async sweep(instance: Hocuspocus): Promise<void> {
    const now = await this.configuration.fingerprints();
    const changed = new Set<number>();
    for (const [shard, print] of now) if (this.seen.get(shard) !== print) changed.add(shard);
    for (const shard of this.seen.keys()) if (!now.has(shard)) changed.add(shard);
    const names = [...instance.documents.keys()].filter((name) => {
      const doc = parseDocName(name);
      if (doc?.kind !== 'roster' && doc?.kind !== 'chain-roster') return false;
      return changed.has(doc.shard) || this.failed.has(name);
    });
    await this.refresh(instance, names);
    this.seen = now;
  }

  private reconcile(documentName: string, document: Y.Doc): Promise<void> {
    const run = async (): Promise<void> => {
      const members = await this.configuration.membersOf(documentName);
      let clientID = this.clientIDs.get(document);
      if (clientID === undefined) {
        clientID = randomInt(1, 2 ** 31);
        this.clientIDs.set(document, clientID);
      }
      const update = rosterUpdate(document, members, clientID);
      if (update) await this.configuration.apply(documentName, document, update);
    };
    const previous = this.running.get(documentName) ?? Promise.resolve();
    const next = previous.then(run, run);
    this.running.set(documentName, next);
    void next
      .finally(() => {
        if (this.running.get(documentName) === next) this.running.delete(documentName);
      })
      .catch(() => {});
    return next;
  }
}
