import axe from 'axe-core';
import { afterEach, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import type { OccupancyBucket } from '../../../shared/DayLedger';
import './hc-occupancy-chart';

afterEach(() => {
  document.body.replaceChildren();
});

const QUARTER_MS = 15 * 60_000;
/** Midnight of 10 March 2025 in Asia/Kolkata (UTC+05:30). */
const KOLKATA_MIDNIGHT = Date.UTC(2025, 2, 9, 18, 30);
/** 20:50 Kolkata time: buckets from 20:45 on have not begun. */
const NOW = KOLKATA_MIDNIGHT + (20 * 60 + 50) * 60_000;
/** The bucket of 18:15, where the day peaks. */
const PEAK_INDEX = 73;

/** A day that builds up to 42 people at 18:15 and has 17 in the latest quarter hour. */
function day(): OccupancyBucket[] {
  return Array.from({ length: 96 }, (_, i) => {
    const start = KOLKATA_MIDNIGHT + i * QUARTER_MS;
    if (start > NOW) return { start, max: null };
    if (i === PEAK_INDEX) return { start, max: 42 };
    if (i === 83) return { start, max: 17 };
    return { start, max: i < 24 ? 0 : Math.min(30, i - 24) };
  });
}

async function mount(props: Partial<HTMLElementTagNameMap['hc-occupancy-chart']> = {}) {
  const chart = document.createElement('hc-occupancy-chart');
  Object.assign(chart, { buckets: day(), timeZone: 'Asia/Kolkata', now: NOW }, props);
  document.body.append(chart);
  await chart.updateComplete;
  const root = chart.shadowRoot as ShadowRoot;
  return { chart, root, svg: root.querySelector('svg') as SVGSVGElement };
}

function points(line: SVGPolylineElement): { x: number; y: number }[] {
  return Array.from(line.points, ({ x, y }) => ({ x, y }));
}

describe('hc-occupancy-chart', () => {
  it('draws the peak bucket as the highest point of the line', async () => {
    const { svg } = await mount();
    const top = svg.viewBox.baseVal.height;
    const all = Array.from(svg.querySelectorAll('polyline'), points).flat();
    const highest = Math.min(...all.map((p) => p.y));
    expect(highest).toBe(top - 42);
    const xs = all.filter((p) => p.y === highest).map((p) => p.x);
    expect(new Set(xs)).toEqual(new Set([PEAK_INDEX, PEAK_INDEX + 1]));
    // The line stops at now, 20:50, a third into the bucket of 20:45.
    expect(Math.max(...all.map((p) => p.x))).toBeCloseTo(83 + 1 / 3, 5);
  });

  it('draws a capacity line only when the site has a capacity', async () => {
    const { chart, svg } = await mount();
    expect(svg.querySelector('.capacity')).toBeNull();
    chart.capacity = 60;
    await chart.updateComplete;
    const line = svg.querySelector('.capacity') as SVGLineElement;
    expect(svg.viewBox.baseVal.height - line.y1.baseVal.value).toBe(60);
    await expect.element(page.getByText('Capacity 60')).toBeVisible();
  });

  it("labels the hours on the site's wall clock, not UTC's", async () => {
    const { root } = await mount();
    const labels = Array.from(root.querySelectorAll('.x-axis span'), (s) => s.textContent);
    expect(labels).toEqual([
      '00:00',
      '03:00',
      '06:00',
      '09:00',
      '12:00',
      '15:00',
      '18:00',
      '21:00',
    ]);
  });

  it('names the peak, its time and the latest quarter hour in the accessible label', async () => {
    await mount();
    await expect
      .element(page.getByRole('img'))
      .toHaveAccessibleName('Occupancy today: peak 42 at 18:15, 17 in the latest quarter hour');
  });

  it('swaps the chart for a table of the highest occupancy per hour and back', async () => {
    const { root } = await mount();
    const toggle = page.getByRole('button', { name: 'Show as table' });
    await expect.element(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect.element(page.getByRole('table')).not.toBeInTheDocument();
    await toggle.click();

    const back = page.getByRole('button', { name: 'Show as chart' });
    await expect.element(back).toHaveAttribute('aria-expanded', 'true');
    const table = root.querySelector('table') as HTMLTableElement;
    expect(root.getElementById(back.element().getAttribute('aria-controls') ?? '')).toContain(
      table,
    );
    const rows = Array.from(table.tBodies[0]?.rows ?? [], (row) =>
      Array.from(row.cells, (cell) => cell.textContent?.trim()),
    );
    // 00:00 to 20:00: the hours that have begun by 20:50.
    expect(rows).toHaveLength(21);
    expect(rows[0]).toEqual(['00:00', '0']);
    expect(rows[18]).toEqual(['18:00', '42']);
    expect(rows[20]).toEqual(['20:00', '30']);
    await expect.element(page.getByRole('img')).not.toBeInTheDocument();

    await back.click();
    await expect.element(page.getByRole('button', { name: 'Show as table' })).toBeVisible();
    await expect.element(page.getByRole('img')).toBeVisible();
  });

  it('says no one has checked in when no bucket has anyone, or the buckets are not buckets', async () => {
    const empty = day().map(({ start }, i) => ({ start, max: i < 10 ? 0 : null }));
    const { chart } = await mount({ buckets: empty });
    await expect.element(page.getByText('No one has checked in yet today')).toBeVisible();
    for (const bad of [[], null, [null, { start: Number.NaN, max: -1 }]]) {
      chart.buckets = bad as unknown as OccupancyBucket[];
      await chart.updateComplete;
      await expect.element(page.getByText('No one has checked in yet today')).toBeVisible();
    }
    expect(chart.shadowRoot?.querySelector('svg')).toBeNull();
  });

  it('fits a 360-pixel-wide phone as a chart and as a table', async () => {
    const { chart } = await mount({ capacity: 60 });
    chart.style.width = '360px';
    await chart.updateComplete;
    expect(chart.scrollWidth).toBeLessThanOrEqual(chart.clientWidth);
    await page.getByRole('button', { name: 'Show as table' }).click();
    expect(chart.scrollWidth).toBeLessThanOrEqual(chart.clientWidth);
  });

  it('has no serious accessibility violations in either view', async () => {
    const { chart } = await mount({ capacity: 60 });
    const run = async () => {
      const { violations } = await axe.run(chart, {
        runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'],
      });
      return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    };
    expect(await run()).toEqual([]);
    await page.getByRole('button', { name: 'Show as table' }).click();
    expect(await run()).toEqual([]);
  });
});
