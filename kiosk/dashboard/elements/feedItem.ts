import { css, html, nothing, type TemplateResult } from 'lit';
import type { FeedItem } from '../../../shared/DayLedger';
import { formatClock, formatStay } from '../../formatting';
import { type WriterNames, writerLabel } from '../writerLabel';

/**
 * One event of the feed ([S6]) as the Now and Activity screens list it: an icon, what happened,
 * and when and where. Never colour alone: the icon and the words say it too.
 */

/** Icon, words and tone (a class) of a feed item. */
export function describeFeedItem(item: FeedItem): { icon: string; text: string; tone: string } {
  switch (item.outcome) {
    case 'visit-start':
      return { icon: '✓', text: `${item.name} checked in`, tone: 'in' };
    case 'repeat-check-in':
      return { icon: '✓', text: `${item.name} scanned again (same visit)`, tone: 'in' };
    case 'visit-end':
      return {
        icon: '→',
        text: `${item.name} checked out, stayed ${formatStay(item.stayMs ?? 0)}`,
        tone: 'out',
      };
    case 'repeat-check-out':
      return { icon: '→', text: `${item.name} checked out again`, tone: 'out' };
    case 'unmatched':
      return { icon: '?', text: `${item.name} checked out without a check-in`, tone: 'out' };
    case 'denied':
      return {
        icon: '⛔',
        text: `${item.memberId ? item.name : 'Unknown card'} denied: ${item.reason ?? ''}`,
        tone: 'denied',
      };
    case 'void':
      return {
        icon: '✎',
        text: `Staff voided an entry: “${item.reason ?? ''}”`,
        tone: 'correction',
      };
    case 'check-out-all':
      return { icon: '✎', text: 'Staff checked everyone out', tone: 'correction' };
    case 'corrected':
      return {
        icon: '↺',
        text: `${item.name} ${item.kind === 'checkIn' ? 'check-in' : 'check-out'} switched at the kiosk`,
        tone: 'out',
      };
    case 'voided':
      return {
        icon: '✎',
        text: `${item.name} ${item.kind === 'checkIn' ? 'checked in' : 'checked out'}`,
        tone: 'correction',
      };
  }
}

/** The classes of a feed item's row: its tone, and `voided`. */
export function feedItemClass(item: FeedItem): string {
  return `${describeFeedItem(item).tone}${item.voided ? ' voided' : ''}`;
}

/** What a feed item's row says: icon, words, "(voided)", then time, writer and location. */
export function feedItemLine(item: FeedItem, names: WriterNames, timeZone: string): TemplateResult {
  const { icon, text } = describeFeedItem(item);
  return html`<span>
    <span class="icon" aria-hidden="true">${icon}</span>
    <span class="what">${text}</span>
    ${item.voided ? html`<strong> (voided)</strong>` : nothing}
    <span class="muted"
      >· ${formatClock(item.at, timeZone)} · ${writerLabel(names, item.writer)}${
        item.location ? ` · ${item.location}` : ''
      }</span
    >
  </span>`;
}

/** Styles of feed rows (inside `.rows`): the icon's colour by tone, voided words struck out. */
export const feedItemStyles = css`
  .icon {
    display: inline-block;
    width: 1.5rem;
    text-align: center;
    font-weight: 800;
  }
  .in .icon {
    color: #0b6b2b;
  }
  .out .icon {
    color: #0f3d3e;
  }
  .denied .icon,
  .correction .icon {
    color: #8a1c1c;
  }
  .voided .what {
    text-decoration: line-through;
  }
`;
