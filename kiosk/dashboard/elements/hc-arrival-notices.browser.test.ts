import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import type { FeedItem } from '../../../shared/DayLedger';
import { cleanUpAfterEach } from '../testing/dashboards';
import './hc-arrival-notices';

cleanUpAfterEach();

let serial = 0;
/** A feed item as the dashboard derives it: a kiosk check-in that started a visit. */
function arrival(name: string, changes: Partial<FeedItem> = {}): FeedItem {
  serial += 1;
  return {
    id: `event-${serial}`,
    ref: `kiosk:front-door/event-${serial}`,
    kind: 'checkIn',
    at: Date.now(),
    memberId: `m-${serial}`,
    name,
    writer: { role: 'kiosk', id: 'front-door' },
    outcome: 'visit-start',
    voided: false,
    ...changes,
  };
}

/** Mounted with the feed it first sees: what was already there is not news. */
async function mount(feed: readonly FeedItem[] = []) {
  const notices = document.createElement('hc-arrival-notices');
  notices.feed = feed;
  document.body.append(notices);
  await notices.updateComplete;
  const root = notices.shadowRoot as ShadowRoot;
  return {
    notices,
    /** Newest first, as the feed is. */
    async show(next: readonly FeedItem[]) {
      notices.feed = next;
      await notices.updateComplete;
    },
    toast: () => root.querySelector('.toast')?.textContent?.trim() ?? null,
    spoken: () => root.querySelector('[aria-live="polite"]')?.textContent?.trim() ?? '',
  };
}

describe('hc-arrival-notices', () => {
  it('shows a toast and announces a member who arrives after the dashboard opened', async () => {
    const earlier = arrival('Bea Early', { at: Date.now() - 60_000 });
    const { notices, show, toast, spoken } = await mount([earlier]);
    expect(toast()).toBeNull();
    expect(spoken()).toBe('');

    await show([arrival('Ana Lima'), earlier]);

    expect(toast()).toBe('Ana Lima checked in');
    expect(spoken()).toBe('Ana Lima checked in');
    // Screen readers hear the live region only, not the same words twice.
    expect(notices.shadowRoot?.querySelector('.toast')?.getAttribute('aria-hidden')).toBe('true');
  });

  it('announces nothing for check-outs, repeat scans, denials or voided check-ins', async () => {
    const { show, toast, spoken } = await mount();
    await show([
      arrival('Cem Kaya', { kind: 'checkOut', outcome: 'visit-end', stayMs: 60_000 }),
      arrival('Dee Park', { outcome: 'repeat-check-in' }),
      arrival('Eli Moss', { outcome: 'denied', reason: 'expired' }),
      arrival('Fay Ruiz', { voided: true }),
    ]);
    expect(toast()).toBeNull();
    expect(spoken()).toBe('');
  });

  it('sums up arrivals that come together in one toast', async () => {
    const { show, toast, spoken } = await mount();
    await show([arrival('Cem Kaya'), arrival('Bob Stone'), arrival('Ana Lima')]);
    // Oldest first, as they came through the door.
    expect(toast()).toBe('Ana Lima, Bob Stone and 1 other checked in');
    expect(spoken()).toBe('Ana Lima, Bob Stone and 1 other checked in');
  });

  it('takes the toast away by itself after a few seconds', async () => {
    const { show, toast } = await mount();
    await show([arrival('Ana Lima')]);
    expect(toast()).toBe('Ana Lima checked in');
    await expect.poll(toast, { timeout: 6_000 }).toBeNull();
  });

  it('stops toasts and announcements while paused, and does not save them up for later', async () => {
    const { notices, show, toast, spoken } = await mount();
    const button = page.getByRole('button', { name: 'Pause arrival notices' });
    await expect.element(button).toHaveAttribute('aria-pressed', 'false');
    let changes = 0;
    notices.addEventListener('pause-change', () => changes++);

    await button.click();

    const resume = page.getByRole('button', { name: 'Resume arrival notices' });
    await expect.element(resume).toHaveAttribute('aria-pressed', 'true');
    expect(notices.paused).toBe(true);
    expect(changes).toBe(1);
    const whilePaused = arrival('Ana Lima');
    await show([whilePaused]);
    expect(toast()).toBeNull();
    expect(spoken()).toBe('');

    await resume.click();
    await expect
      .element(page.getByRole('button', { name: 'Pause arrival notices' }))
      .toHaveAttribute('aria-pressed', 'false');
    expect(changes).toBe(2);
    // Only who arrives after resuming: Ana, who came while paused, is not announced late.
    await show([arrival('Bob Stone'), whilePaused]);
    expect(toast()).toBe('Bob Stone checked in');
    expect(spoken()).toBe('Bob Stone checked in');
  });

  it('hides a toast that is showing when notices are paused', async () => {
    const { show, toast } = await mount();
    await show([arrival('Ana Lima')]);
    expect(toast()).toBe('Ana Lima checked in');
    await page.getByRole('button', { name: 'Pause arrival notices' }).click();
    expect(toast()).toBeNull();
  });
});
