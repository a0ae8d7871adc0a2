import { describe, expect, it } from 'vitest';
import { CreateSiteBody } from '../../shared/apiProtocol';
import { isSiteId, SITE_ID_PATTERN, siteSlug } from './siteSlug';

describe('siteSlug', () => {
  it('checks ids with the same pattern as the server', () => {
    expect(SITE_ID_PATTERN).toBe((CreateSiteBody.properties.id as { pattern?: string }).pattern);
  });

  it('turns a name into lower-case words joined by hyphens', () => {
    expect(siteSlug('Hilltop Gym')).toBe('hilltop-gym');
    expect(siteSlug('  North  &  South  ')).toBe('north-south');
    expect(siteSlug('Gym 24/7')).toBe('gym-24-7');
  });

  it('drops accents rather than the letters that carry them', () => {
    expect(siteSlug('Zürich Côte–d’Azur')).toBe('zurich-cote-d-azur');
    expect(siteSlug('Straße')).toBe('strasse');
  });

  it('gives an empty id for a name with no Latin letters or digits, for the admin to type', () => {
    expect(siteSlug('東京')).toBe('');
    expect(siteSlug('---')).toBe('');
  });

  it('cuts a long name to 63 characters without a hyphen at the end', () => {
    const slug = siteSlug(`${'a'.repeat(62)} b`);
    expect(slug).toBe('a'.repeat(62));
    expect(siteSlug('x'.repeat(100))).toHaveLength(63);
  });

  it('makes only ids the server takes, from any name', () => {
    for (const name of ['Riverside', 'A', '9 Elms', 'Ünïcödé Gym', `${'long '.repeat(20)}`]) {
      expect(isSiteId(siteSlug(name)), name).toBe(true);
    }
  });

  it('refuses ids the server refuses', () => {
    for (const id of ['', '-gym', 'Gym', 'gym_1', 'gym 1', 'a'.repeat(64)])
      expect(isSiteId(id), id).toBe(false);
    for (const id of ['gym', 'gym-', '0', 'a'.repeat(63)]) expect(isSiteId(id), id).toBe(true);
  });
});
