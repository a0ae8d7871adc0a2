import type { Extension, onStoreDocumentPayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import { readEntries } from '../shared/checkinsDoc';
import { DayLedger } from '../shared/DayLedger';
import { dayConfigFor } from '../shared/deriveDay';
import { checkinsDocName, parseDocName, siteDocName } from '../shared/docName';
import { addDays, type LocalDay } from '../shared/localTime';
import { readSettings, type SiteSettings } from '../shared/siteDoc';
import { writerName } from '../shared/writer';
import type { DocumentStore } from './DocumentStore';
import type { Db } from './database';

export interface RecordKeeperConfiguration {
  db: Db;
  documents: DocumentStore;
  /** Called after a day was recorded, with how long it took (metrics). */
  onRecorded: (seconds: number) => void;
}

/**
 * Keeps the server's own record of validated check-ins in SQL, rebuilt from a check-ins
 * document whenever Hocuspocus stores it. The Yjs documents are the sync inbox and untrusted:
 * only entries that parse become rows in `events`; the rest are counted in `day_problems`.
 * Visits are derived with the same rules as every device (shared/SPEC.md), from the day and the
 * one before it, and the visits of both days are rewritten (a check-out after midnight closes a
 * visit of the day before).
 */
export class RecordKeeper implements Extension {
  extensionName = 'RecordKeeper';
  // After Database (priority 100 by default) has stored the state.
  priority = 50;
  private readonly configuration: RecordKeeperConfiguration;

  constructor(configuration: RecordKeeperConfiguration) {
    this.configuration = configuration;
  }

  async onStoreDocument({ documentName, document }: onStoreDocumentPayload): Promise<void> {
    const name = parseDocName(documentName);
    if (name?.kind !== 'checkins') return;
    const started = performance.now();
    this.record(name.siteId, name.day, document);
    this.configuration.onRecorded((performance.now() - started) / 1000);
  }

  /** Rebuilds the record of `day` (and the visits of the day before) from the day's document. */
  record(siteId: string, day: LocalDay, doc: Y.Doc, now = Date.now()): void {
    const settings = this.settingsOf(siteId);
    const previousDay = addDays(day, -1);
    const previous = this.configuration.documents.load(checkinsDocName(siteId, previousDay));
    const ledger = new DayLedger(dayConfigFor(settings, day));
    ledger.add(readEntries(doc, day));
    if (previous) ledger.add(readEntries(previous, previousDay));
    const { db } = this.configuration;
    const stats = ledger.stats(now, { feedSize: 0 });
    const flags = Object.values(stats.flagCounts).reduce((a, b) => a + b, 0);
    db.transaction(() => {
      const insert = db.prepare(
        `insert or replace into events (id, site_id, day, kind, member_id, at, writer, method, clock_trusted, detail)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const event of ledger.events()) {
        if (event.docDay !== day) continue;
        const { id, kind, at, method, clockTrusted, writer } = event;
        const memberId = 'memberId' in event ? event.memberId : '';
        const detail = JSON.stringify({
          ...('reason' in event ? { reason: event.reason } : {}),
          ...('targetId' in event ? { targetId: event.targetId } : {}),
          ...('targetWriter' in event && event.targetWriter
            ? { targetWriter: writerName(event.targetWriter) }
            : {}),
          ...(event.location ? { location: event.location } : {}),
          ...(at !== event.recordedAt ? { recordedAt: event.recordedAt } : {}),
        });
        insert.run(
          id,
          siteId,
          day,
          kind,
          memberId,
          at,
          writerName(writer),
          method,
          clockTrusted ? 1 : 0,
          detail,
        );
      }
      db.prepare('delete from visits where site_id = ? and day in (?, ?)').run(
        siteId,
        day,
        previousDay,
      );
      // A visit is named by its check-in's writer and id ([E2]). `or replace`: a writer that put
      // one id in the documents of two days must not make storing a document fail.
      const insertVisit = db.prepare(
        `insert or replace into visits (id, writer, site_id, day, member_id, start, end, closed_by, auto_close_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const visit of ledger.visits()) {
        const end = visit.end ?? (visit.autoCloseAt <= now ? visit.autoCloseAt : null);
        const closedBy = visit.closedBy ?? (end === null ? null : 'auto');
        insertVisit.run(
          visit.id,
          writerName(visit.startEvent.writer),
          siteId,
          visit.startEvent.docDay,
          visit.memberId,
          visit.start,
          end,
          closedBy,
          visit.autoCloseAt,
        );
      }
      db.prepare(
        `insert or replace into day_problems (site_id, day, problems, flags, updated_at) values (?, ?, ?, ?, ?)`,
      ).run(siteId, day, stats.problemCount, flags, now);
    })();
  }

  private settingsOf(siteId: string): SiteSettings {
    const site = this.configuration.documents.load(siteDocName(siteId));
    const settings = site ? readSettings(site).settings : null;
    if (settings) return settings;
    const row = this.configuration.db
      .prepare('select time_zone from sites where id = ?')
      .get(siteId) as { time_zone: string } | undefined;
    return { ...readSettings(new Y.Doc()).settings, timeZone: row?.time_zone ?? 'UTC' };
  }
}
