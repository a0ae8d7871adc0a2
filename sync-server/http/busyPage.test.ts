import { describe, expect, it } from 'vitest';
import type { PublicOccupancyAnswer } from '../../shared/apiProtocol';
import { BUSY_PAGE_CSP, busyPageHtml, escapeHtml, noBusyPageHtml } from './busyPage';

const ANSWER: PublicOccupancyAnswer = {
  siteId: 'riverside',
  name: 'Riverside',
  timeZone: 'Europe/Amsterdam',
  band: 'busy',
  count: 42,
  capacity: 50,
  typical: { weekday: 0, hour: 18, band: 'quiet', count: 31 },
  live: false,
  asOf: Date.UTC(2026, 11, 28, 13, 5),
  ageSeconds: 720,
};

describe('busyPage', () => {
  it('[P1] says the band in words with a symbol, the count when shown, the usual level and the age', () => {
    const html = busyPageHtml(ANSWER);
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<h1>How busy is Riverside?</h1>');
    expect(html).toContain('<section class="now busy" aria-label="Now">');
    expect(html).toContain('<span aria-hidden="true">⚠</span> Busy');
    expect(html).toContain('42 people in now (room for 50).');
    expect(html).toContain('Usually at 18:00 on Mondays: quiet, about 31 people.');
    expect(html).toContain(
      "As of 14:05 (12 minutes ago): the club's check-in tablets have not reached the server since.",
    );
  });

  it('[P1] leaves the count out when the site shows only the band', () => {
    const html = busyPageHtml({
      ...ANSWER,
      count: null,
      capacity: null,
      typical: { ...ANSWER.typical, count: null } as PublicOccupancyAnswer['typical'],
    });
    expect(html).not.toMatch(/people|\d+ in now|room for/);
    expect(html).toContain('Usually at 18:00 on Mondays: quiet.');
  });

  it("[P1] escapes the site's name, so a name cannot add markup", () => {
    const html = busyPageHtml({ ...ANSWER, name: '<script>alert("x")</script> & Co' });
    expect(html).not.toContain('<script>alert');
    expect(html).toContain(
      'How busy is &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co?',
    );
    expect(escapeHtml(`'"<>&`)).toBe('&#39;&quot;&lt;&gt;&amp;');
  });

  it('[P1] allows only its own inline style and script, by hash, and framing anywhere', () => {
    expect(BUSY_PAGE_CSP).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; script-src 'sha256-[A-Za-z0-9+/]+=*'; connect-src 'self';/,
    );
    expect(BUSY_PAGE_CSP).toContain('frame-ancestors *');
    const html = busyPageHtml(ANSWER);
    expect(html.match(/<script>/g)).toHaveLength(1);
    // No meta refresh (WCAG 2.2.1): the numbers update in place, and can be paused (2.2.2).
    expect(html).not.toContain('http-equiv');
    expect(html).toContain('<button type="button" id="pause" aria-pressed="false" hidden>');
    expect(noBusyPageHtml()).not.toContain('<script');
  });
});
