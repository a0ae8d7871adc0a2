import * as Y from 'yjs';
import { type Member, readRoster, readSettings, type SiteSettings } from '../shared/siteDoc';

/** What reports need from a site document: its settings and roster ([D2]). */
export interface SiteView {
  readonly settings: SiteSettings;
  readonly members: ReadonlyMap<string, Member>;
}

/**
 * A site's settings and roster from its document, or the defaults with the site's configured
 * time zone when it has none yet. Bad values fall back or are left out, as on every device.
 */
export function siteViewOf(doc: Y.Doc | null, fallbackTimeZone: () => string): SiteView {
  if (!doc) {
    const { settings } = readSettings(new Y.Doc());
    return { settings: { ...settings, timeZone: fallbackTimeZone() }, members: new Map() };
  }
  return { settings: readSettings(doc).settings, members: readRoster(doc).members };
}
