import { createHash } from 'node:crypto';
import type { PublicOccupancyAnswer } from '../../shared/apiProtocol';
import type { OccupancyBand } from '../../shared/occupancyBand';

/**
 * The public "how busy" page ([P1]): plain HTML made on the server from the same answer as the
 * JSON, no framework. Every text from the site (its name) is escaped. It reads on a phone: one
 * column, large text, the band in words and a symbol beside its colour (WCAG 1.4.1), dark text
 * on light backgrounds above 4.5:1 (1.4.3). Its numbers update every minute without reloading
 * the page, and can be paused (2.2.2; a meta refresh would be a 2.2.1 failure): one small
 * script, allowed by its hash, fetches the page again and swaps in its numbers. Without
 * scripts the page is the same, as of when it was opened.
 */

/** How often the page updates its numbers, seconds: people glance at it; answers live 5 s. */
export const BUSY_PAGE_REFRESH_S = 60;

const STYLE = `
body{margin:0;font-family:system-ui,sans-serif;background:#f6f5f0;color:#1c2526;line-height:1.45}
main{max-width:32rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:0 0 .75rem}
.now{background:#fff;border:3px solid #5d6b6c;border-radius:.75rem;padding:1rem;margin:0 0 1rem}
.now.quiet{border-color:#1d6b34}.now.busy{border-color:#b07a00}.now.very-busy{border-color:#8a1c1c}
.band{font-size:2rem;font-weight:800;margin:0}
.quiet .band{color:#1d5a2b}.busy .band{color:#6b4500}.very-busy .band{color:#8a1c1c}
.count{font-size:1.2rem;margin:.25rem 0 0}
p{margin:0 0 .75rem}
.small{font-size:.95rem;color:#3d4b4c}
button{font:inherit;min-height:2.75rem;padding:.4rem 1rem;border:2px solid #1c2526;border-radius:.5rem;background:#fff;color:#1c2526}
button:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
`.replace(/\n/g, '');

/**
 * Every BUSY_PAGE_REFRESH_S, while the page is visible and not paused, the page again from the
 * server, and its `#live` part in place of this one's.
 */
const SCRIPT = `
(() => {
  const button = document.getElementById('pause');
  if (!button) return;
  let paused = false;
  button.hidden = false;
  button.addEventListener('click', () => {
    paused = !paused;
    button.setAttribute('aria-pressed', String(paused));
    button.textContent = paused ? 'Resume updates' : 'Pause updates';
  });
  setInterval(async () => {
    if (paused || document.hidden) return;
    try {
      const response = await fetch(location.href);
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
      const next = fresh.getElementById('live');
      const now = document.getElementById('live');
      if (next && now) now.replaceWith(document.importNode(next, true));
    } catch {
      // Offline for a moment: the next minute tries again; the page says as of when it is.
    }
  }, ${BUSY_PAGE_REFRESH_S * 1000});
})();
`;

const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The page's whole CSP: its one inline style (by hash), nothing else, framable anywhere. */
export const BUSY_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${hashOf(STYLE)}`,
  `script-src ${hashOf(SCRIPT)}`,
  // The script fetches this same page again.
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  // Embedded in the gym's own website ([P1]): this page only; every other page keeps 'none'.
  'frame-ancestors *',
].join('; ');

const BAND_WORDS: Record<OccupancyBand, { symbol: string; words: string; detail: string }> = {
  quiet: { symbol: '✓', words: 'Quiet', detail: 'There is plenty of room.' },
  busy: { symbol: '⚠', words: 'Busy', detail: 'It is getting full.' },
  'very-busy': { symbol: '⛔', words: 'Very busy', detail: 'It is nearly full.' },
};

const WEEKDAYS = [
  'Mondays',
  'Tuesdays',
  'Wednesdays',
  'Thursdays',
  'Fridays',
  'Saturdays',
  'Sundays',
];

/** Text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

function page(title: string, body: string, updating: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
${updating ? `<script>${SCRIPT}</script>\n` : ''}</body>
</html>
`;
}

function people(count: number): string {
  return count === 1 ? '1 person' : `${count} people`;
}

/** "14:05" in the site's zone. */
function clock(instant: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' }).format(
    instant,
  );
}

function age(seconds: number): string {
  if (seconds < 90) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} minutes ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} hours ago`;
  return `${Math.round(hours / 24)} days ago`;
}

function nowPart(a: PublicOccupancyAnswer): string {
  const name = escapeHtml(a.name);
  if (a.band === null) {
    const count = a.count === null ? '' : `<p class="count">${people(a.count)} in now.</p>`;
    return `<section class="now" aria-label="Now">
<p>${name} has not set a capacity, so this page cannot say how busy it is.</p>
${count}</section>`;
  }
  const band = BAND_WORDS[a.band];
  const count =
    a.count === null
      ? ''
      : `<p class="count">${people(a.count)} in now${a.capacity === null ? '' : ` (room for ${a.capacity})`}.</p>`;
  return `<section class="now ${a.band}" aria-label="Now">
<p class="band"><span aria-hidden="true">${band.symbol}</span> ${band.words}</p>
<p>${band.detail}</p>
${count}</section>`;
}

function typicalPart(a: PublicOccupancyAnswer): string {
  const t = a.typical;
  if (t === null)
    return '<p>There is not enough history yet to say how busy it usually is now.</p>';
  const when = `${String(t.hour).padStart(2, '0')}:00 on ${WEEKDAYS[t.weekday] ?? 'this day'}`;
  const count = t.count === null ? '' : `about ${people(t.count)}`;
  const band = t.band === null ? '' : BAND_WORDS[t.band].words.toLowerCase();
  const said = [band, count].filter((part) => part !== '').join(', ');
  if (said === '') return '';
  return `<p>Usually at ${when}: ${said}.</p>`;
}

function asOfPart(a: PublicOccupancyAnswer): string {
  if (a.asOf === null) return '<p class="small">No check-ins have reached the server yet.</p>';
  const at = clock(a.asOf, a.timeZone);
  if (a.live) return `<p class="small">Live: up to date at ${at}.</p>`;
  return `<p class="small">As of ${at} (${age(a.ageSeconds ?? 0)}): the club's check-in tablets have not reached the server since.</p>`;
}

/** The page for a site whose page is on. */
export function busyPageHtml(a: PublicOccupancyAnswer): string {
  const body = `<h1>How busy is ${escapeHtml(a.name)}?</h1>
<div id="live">
${nowPart(a)}
${typicalPart(a)}
${asOfPart(a)}
</div>
<p class="small">This page updates itself every minute. It shows no names.</p>
<button type="button" id="pause" aria-pressed="false" hidden>Pause updates</button>`;
  return page(`How busy is ${a.name}?`, body, true);
}

/** The same page for every site without one: unknown, archived or off ([P1]). */
export function noBusyPageHtml(): string {
  return page('Not found', '<h1>Not found</h1>\n<p>There is no page here.</p>', false);
}
