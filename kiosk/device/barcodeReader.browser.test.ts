import { describe, expect, it } from 'vitest';
import { prepareZXingModule, writeBarcode } from 'zxing-wasm/writer';
import writerWasm from 'zxing-wasm/writer/zxing_writer.wasm?url';
import { createBarcodeReader } from './barcodeReader';

describe('createBarcodeReader', () => {
  it('reads a QR code with the wasm reader served from our own origin', async () => {
    const requested: string[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) requested.push(entry.name);
    });
    observer.observe({ type: 'resource', buffered: true });
    // The test draws its QR code with ZXing's writer, also from local files.
    prepareZXingModule({
      overrides: {
        locateFile: (path: string, prefix: string) =>
          path.endsWith('.wasm') ? writerWasm : prefix + path,
      },
    });
    const { image } = await writeBarcode('0451042', { format: 'QRCode', scale: 4 });
    if (!image) throw new Error('no QR image');
    const bitmap = await createImageBitmap(image);
    const reader = await createBarcodeReader({ preferNative: false });
    expect(await reader.detect(bitmap)).toEqual(['0451042']);
    const wasm = requested.filter((url) => url.includes('zxing_reader'));
    expect(wasm.length).toBeGreaterThan(0);
    for (const url of wasm) expect(new URL(url).origin).toBe(location.origin);
    observer.disconnect();
  });
});
