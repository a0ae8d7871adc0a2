import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { createBarcodeReader } from '../../device/barcodeReader';
import { cleanUpAfterEach, rasterizeSvg } from '../testing/dashboards';
import './hc-qr-code';

cleanUpAfterEach();

/** Modules of quiet zone the element draws around the code. */
const BORDER = 2;

async function mount(value: string, label?: string) {
  const qr = document.createElement('hc-qr-code');
  qr.value = value;
  if (label) qr.label = label;
  document.body.append(qr);
  await qr.updateComplete;
  return { qr, svg: qr.shadowRoot?.querySelector('svg') ?? null };
}

/** The dark modules the path draws, as "x,y" (each is one `M x y h1v1h-1z` square). */
function darkModules(svg: SVGSVGElement): Set<string> {
  const d = svg.querySelector('path')?.getAttribute('d') ?? '';
  const squares = [...d.matchAll(/M(\d+) (\d+)h1v1h-1z/g)];
  // Nothing else in the path: every command is one of those squares.
  expect(squares.map((m) => m[0]).join('')).toBe(d);
  return new Set(squares.map(([, x, y]) => `${x},${y}`));
}

describe('hc-qr-code', () => {
  it('draws a QR code that a scanner reads back as the pairing code', async () => {
    const { svg } = await mount('K7QM-2XWP');
    expect(svg).not.toBeNull();
    const reader = await createBarcodeReader({ preferNative: false });
    const image = await rasterizeSvg(svg as SVGSVGElement, 300, { smoothing: false });
    expect(await reader.detect(image)).toEqual(['K7QM-2XWP']);
  });

  it('draws a square grid of whole modules with a blank quiet zone around it', async () => {
    const { svg } = await mount('K7QM-2XWP');
    const grid = svg as SVGSVGElement;
    const { width, height } = grid.viewBox.baseVal;
    // A short code fits QR version 1: 21 modules, plus the quiet zone on both sides.
    expect([width, height]).toEqual([21 + 2 * BORDER, 21 + 2 * BORDER]);
    const dark = darkModules(grid);
    for (const key of dark) {
      const [x = -1, y = -1] = key.split(',').map(Number);
      expect(Math.min(x, y)).toBeGreaterThanOrEqual(BORDER);
      expect(Math.max(x, y)).toBeLessThan(width - BORDER);
    }
    // The top-left finder pattern: a dark 7×7 ring around a light ring around a dark 3×3 core.
    const at = (x: number, y: number) => dark.has(`${BORDER + x},${BORDER + y}`);
    expect([at(0, 0), at(6, 0), at(0, 6), at(6, 6), at(1, 1), at(5, 5), at(3, 3)]).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      true,
    ]);
    expect(grid.querySelector('rect')?.getAttribute('fill')).toBe('#fff');
  });

  it('grows the grid for a longer value and draws it again when the value changes', async () => {
    const { qr, svg } = await mount('K7QM-2XWP');
    const before = darkModules(svg as SVGSVGElement);
    qr.value = 'https://gym.example/kiosk?pair=K7QM-2XWP';
    await qr.updateComplete;
    const after = qr.shadowRoot?.querySelector('svg') as SVGSVGElement;
    expect(after.viewBox.baseVal.width).toBeGreaterThan(21 + 2 * BORDER);
    expect(darkModules(after)).not.toEqual(before);
    const reader = await createBarcodeReader({ preferNative: false });
    const image = await rasterizeSvg(after, 400, { smoothing: false });
    expect(await reader.detect(image)).toEqual([qr.value]);
  });

  it('is an image named by its label', async () => {
    await mount('K7QM-2XWP', 'Pairing code as a QR code');
    await expect.element(page.getByRole('img')).toHaveAccessibleName('Pairing code as a QR code');
  });

  it('draws nothing without a value', async () => {
    const { qr, svg } = await mount('');
    expect(svg).toBeNull();
    qr.value = 'A';
    await qr.updateComplete;
    expect(qr.shadowRoot?.querySelector('svg')).not.toBeNull();
    qr.value = '';
    await qr.updateComplete;
    expect(qr.shadowRoot?.querySelector('svg')).toBeNull();
  });
});
