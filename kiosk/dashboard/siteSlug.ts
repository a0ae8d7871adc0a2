/**
 * What a site's id may be: a lower-case slug of 1–63 letters, digits and hyphens, starting with a
 * letter or digit. The same pattern as `CreateSiteBody.id` in shared/apiProtocol.ts (the bundle
 * may not import that module's schemas; `siteSlug.test.ts` checks the two agree).
 */
export const SITE_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const SITE_ID = new RegExp(SITE_ID_PATTERN);
/** Longest site id, characters (the pattern's 1 + 62). */
const MAX_LENGTH = 63;

/** True when the server takes `id` as a new site's id. */
export function isSiteId(id: string): boolean {
  return SITE_ID.test(id);
}

/**
 * The id a site called `name` gets unless the admin types another: "Hilltop Gym – Zürich" becomes
 * "hilltop-gym-zurich". Accents are dropped, every other run of characters becomes one hyphen;
 * '' when nothing of the name is left (a name in another script: the admin types the id).
 */
export function siteSlug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, MAX_LENGTH)
    .replace(/-+$/, '');
}
