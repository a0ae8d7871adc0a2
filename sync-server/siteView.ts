import * as Y from 'yjs';
import { readSettings, type SiteSettings } from '../shared/siteDoc';

/** What reports need from a site document: its settings ([D2]). Members are in SQL ([M4]). */
export interface SiteView {
  readonly settings: SiteSettings;
}

/**
 * A site's settings from its document, or the defaults with the site's configured time zone when
 * it has none yet. Bad values fall back, as on every device.
 */
export function siteViewOf(doc: Y.Doc | null, fallbackTimeZone: () => string): SiteView {
  if (!doc) {
    const { settings } = readSettings(new Y.Doc());
    return { settings: { ...settings, timeZone: fallbackTimeZone() } };
  }
  return { settings: readSettings(doc).settings };
}
