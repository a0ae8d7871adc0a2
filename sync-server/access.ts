import { parseDocName } from '../shared/docName';
import type { LocalDay } from '../shared/localTime';
import { kioskWindow } from '../shared/writableDays';
import { Refusal } from './refusals';
import type { Principal } from './tokens';

/**
 * What a principal may do with a document. Permission boundaries are document boundaries: a
 * connection is read-write or read-only for a whole document, decided here once, and enforced by
 * Hocuspocus (`connectionConfig.readOnly`), never trusted to the client.
 *
 * | role   | its site's check-ins documents | its site document | other sites |
 * | ------ | ------------------------------ | ----------------- | ----------- |
 * | kiosk  | read-write (a week back to tomorrow) | read-only   | refused     |
 * | staff  | read-write                     | read-write        | refused     |
 * | viewer | read-only                      | read-only         | refused     |
 * | admin  | read-write                     | read-write        | read-write  |
 *
 * Roster documents ([D7]) are read-only for everyone (the server writes them): a site's rosters
 * like its site document (its own devices and admins), the chain's rosters for any device or
 * account of a site. A chain roster counts as the principal's own site, so archiving that site
 * closes it too.
 */
export interface Access {
  readonly readOnly: boolean;
  /** The array this connection writes check-ins into ([D4]); null when it may not write them. */
  readonly writer: string | null;
  readonly siteId: string;
  readonly kind: 'site' | 'checkins' | 'roster' | 'chain-roster';
}

export function accessTo(principal: Principal, documentName: string, today: LocalDay): Access {
  const doc = parseDocName(documentName);
  if (!doc) throw new Refusal('unknown-document');
  if (doc.kind === 'chain-roster') {
    // Every account and device belongs to a site, admins to the one their dashboard shows.
    if (principal.siteId === null) throw new Refusal('wrong-site');
    return { siteId: principal.siteId, kind: doc.kind, readOnly: true, writer: null };
  }
  if (principal.role !== 'admin' && doc.siteId !== principal.siteId)
    throw new Refusal('wrong-site');
  if (doc.kind === 'roster')
    return { siteId: doc.siteId, kind: doc.kind, readOnly: true, writer: null };
  const base = { siteId: doc.siteId, kind: doc.kind };
  switch (principal.role) {
    case 'kiosk':
      if (doc.kind === 'site') return { ...base, readOnly: true, writer: null };
      // A kiosk just past midnight may be a moment ahead; a kiosk that was offline for days must
      // still deliver its old days ([W3]).
      switch (kioskWindow(doc.day, today)) {
        case 'future':
          throw new Refusal('future-day');
        case 'past':
          throw new Refusal('past-day');
        case 'open':
          break;
      }
      return { ...base, readOnly: false, writer: `kiosk:${principal.subject}` };
    case 'viewer':
      return { ...base, readOnly: true, writer: null };
    case 'staff':
    case 'admin':
      return { ...base, readOnly: false, writer: `staff:${principal.subject}` };
  }
}
