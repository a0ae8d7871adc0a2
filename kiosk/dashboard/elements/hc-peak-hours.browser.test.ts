import axe from 'axe-core';
import { afterEach, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import './hc-peak-hours';

afterEach(() => {
  document.body.replaceChildren();
});

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** A gym open 06:00–22:59: evenings busiest, Wednesday 18:00 the busiest of all (24.5). */
function week(): number[][] {
  return Array.from({ length: 7 }, (_, day) =>
    Array.from({ length: 24 }, (_, hour) => {
      if (hour < 6 || hour > 22) return 0;
      if (day === 2 && hour === 18) return 24.5;
      return hour >= 17 && hour <= 20 ? 12 + day : 3;
    }),
  );
}

async function mount(hours: unknown = week()) {
  const heatmap = document.createElement('hc-peak-hours');
  heatmap.hours = hours as number[][];
  document.body.append(heatmap);
  await heatmap.updateComplete;
  return { heatmap, root: heatmap.shadowRoot as ShadowRoot };
}

/** Relative luminance of a computed `rgb(…)` colour (WCAG 2 formula). */
function luminance(color: string): number {
  const [r = 0, g = 0, b = 0] = (color.match(/[\d.]+/g) ?? []).map((c) => {
    const v = Number(c) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

describe('hc-peak-hours', () => {
  it('has seven rows labelled Monday to Sunday, with the open hours across', async () => {
    const { root } = await mount();
    expect(Array.from(root.querySelectorAll('.day'), (d) => d.textContent)).toEqual(WEEKDAYS);
    // 06:00 to 22:00: the hours before and after, empty every day, are left out.
    expect(root.querySelectorAll('.cell')).toHaveLength(7 * 17);
    const labels = Array.from(root.querySelectorAll('.hour'), (h) => h.textContent).filter(Boolean);
    expect(labels).toEqual(['06', '09', '12', '15', '18', '21']);
  });

  it('shades the busiest cell darkest and gives each cell its value in a tooltip', async () => {
    const { root } = await mount();
    const cells = Array.from(root.querySelectorAll<HTMLElement>('.cell'));
    const shade = (cell: HTMLElement) => luminance(getComputedStyle(cell).backgroundColor);
    const busiest = cells.find((c) => c.title === 'Wednesday 18:00: 24.5');
    expect(busiest).toBeDefined();
    const others = cells.filter((c) => c !== busiest).map(shade);
    expect(shade(busiest as HTMLElement)).toBeLessThan(Math.min(...others));
    // Quiet hours are lighter than busy ones.
    const quiet = cells.find((c) => c.title === 'Monday 07:00: 3') as HTMLElement;
    const busy = cells.find((c) => c.title === 'Sunday 19:00: 18') as HTMLElement;
    expect(shade(quiet)).toBeGreaterThan(shade(busy));
  });

  it('names the busiest hour in the accessible label', async () => {
    await mount();
    await expect
      .element(page.getByRole('img'))
      .toHaveAccessibleName(
        'Average people present by weekday and hour. Busiest: Wednesday 18:00, 24.5 on average.',
      );
  });

  it('renders bad input as zeros instead of throwing', async () => {
    const ragged = [[Number.NaN, -4, 'x', null, 5], null, [Infinity, 1], 'nope'];
    const { heatmap, root } = await mount(ragged);
    expect(root.querySelectorAll('.day')).toHaveLength(7);
    const titles = Array.from(root.querySelectorAll<HTMLElement>('.cell'), (c) => c.title);
    expect(titles).toHaveLength(7 * 4);
    expect(titles).toContain('Monday 01:00: 0');
    expect(titles).toContain('Monday 02:00: 0');
    expect(titles).toContain('Monday 04:00: 5');
    expect(titles).toContain('Wednesday 01:00: 1');
    for (const bad of [undefined, null, 42, [], [[]]]) {
      heatmap.hours = bad as unknown as number[][];
      await heatmap.updateComplete;
      // A week with nobody in shows all 24 hours, all empty.
      expect(root.querySelectorAll('.cell.l0')).toHaveLength(7 * 24);
    }
    await expect.element(page.getByRole('img')).toHaveAccessibleName(/No one was present/);
  });

  it('swaps the grid for a table of the values, hours down and days across', async () => {
    const { root } = await mount();
    const toggle = page.getByRole('button', { name: 'Show as table' });
    await expect.element(toggle).toHaveAttribute('aria-expanded', 'false');
    await toggle.click();
    const back = page.getByRole('button', { name: 'Show as chart' });
    await expect.element(back).toHaveAttribute('aria-expanded', 'true');
    await expect.element(page.getByRole('img')).not.toBeInTheDocument();

    const table = root.querySelector('table') as HTMLTableElement;
    expect(back.element().getAttribute('aria-controls')).toBe(table.parentElement?.id);
    const head = Array.from(table.tHead?.rows[0]?.cells ?? [], (c) => c.textContent);
    expect(head).toEqual(['Hour', ...WEEKDAYS]);
    const rows = Array.from(table.tBodies[0]?.rows ?? [], (row) =>
      Array.from(row.cells, (cell) => cell.textContent?.trim()),
    );
    expect(rows).toHaveLength(17);
    expect(rows[0]).toEqual(['06:00', '3', '3', '3', '3', '3', '3', '3']);
    expect(rows[12]).toEqual(['18:00', '12', '13', '24.5', '15', '16', '17', '18']);

    await back.click();
    await expect.element(page.getByRole('img')).toBeVisible();
  });

  it('fits a 360-pixel-wide phone as a grid and as a table', async () => {
    // Open all day, and every value with a decimal and two digits: the widest table there is.
    const { heatmap, root } = await mount(week().map((row) => row.map((v) => v + 10.35)));
    heatmap.style.width = '360px';
    await heatmap.updateComplete;
    expect(root.querySelectorAll('.cell')).toHaveLength(7 * 24);
    expect(heatmap.scrollWidth).toBeLessThanOrEqual(heatmap.clientWidth);
    await page.getByRole('button', { name: 'Show as table' }).click();
    const wrapper = root.getElementById('table') as HTMLElement;
    // Not even the table's own scroller is needed.
    expect(wrapper.scrollWidth).toBeLessThanOrEqual(wrapper.clientWidth);
    expect(heatmap.scrollWidth).toBeLessThanOrEqual(heatmap.clientWidth);
  });

  it('has no serious accessibility violations in either view', async () => {
    const { heatmap } = await mount();
    const run = async () => {
      const { violations } = await axe.run(heatmap, {
        runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'],
      });
      return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    };
    expect(await run()).toEqual([]);
    await page.getByRole('button', { name: 'Show as table' }).click();
    expect(await run()).toEqual([]);
  });
});
