import { describe, expect, it } from 'vitest';
import { checkinsDocName, parseDocName, siteDocName } from './docName';

describe('docName', () => {
  it('[D1][D3] builds and parses a check-ins document name for a site and local day', () => {
    const name = checkinsDocName('riverside', '2026-03-10');
    expect(name).toBe('checkins/riverside/2026-03-10');
    expect(parseDocName(name)).toEqual({
      kind: 'checkins',
      siteId: 'riverside',
      day: '2026-03-10',
    });
  });

  it('[D2][D3] builds and parses a site document name', () => {
    expect(parseDocName(siteDocName('riverside'))).toEqual({ kind: 'site', siteId: 'riverside' });
  });

  it('[D3] refuses every other name', () => {
    for (const name of [
      '',
      'site/',
      'site/Riverside',
      'site/a/b',
      'checkins/a/2026-02-30',
      'checkins/a',
      'x/a',
      '../site/a',
      'site/a ',
      42,
      null,
    ]) {
      expect(parseDocName(name), String(name)).toBeNull();
    }
    expect(() => checkinsDocName('a/b', '2026-03-10')).toThrow(RangeError);
  });
});
