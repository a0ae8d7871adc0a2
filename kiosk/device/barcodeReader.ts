/**
 * Reads card barcodes and QR codes from camera frames. Uses the browser's `BarcodeDetector` where
 * it exists (Chrome on Android); elsewhere the `barcode-detector` ponyfill (ZXing compiled to
 * wasm). Loaded only when the camera is first used. The wasm file (~1.1 MB) is served from our
 * own origin and precached by the service worker: no CDN, so scanning works offline (the
 * ponyfill would otherwise fetch it from a CDN).
 */
export interface BarcodeReader {
  /** The codes found in one frame (often none). */
  detect(source: ImageBitmapSource): Promise<string[]>;
}

/** Card barcodes and QR codes members carry. */
const FORMATS = ['qr_code', 'code_128', 'code_39', 'ean_13', 'ean_8', 'upc_a', 'itf'] as const;

interface DetectorLike {
  detect(source: ImageBitmapSource): Promise<{ rawValue: string }[]>;
}

export async function createBarcodeReader(
  options: { preferNative?: boolean } = {},
): Promise<BarcodeReader> {
  const native = (
    globalThis as { BarcodeDetector?: new (o: { formats: readonly string[] }) => DetectorLike }
  ).BarcodeDetector;
  let detector: DetectorLike;
  if (native && options.preferNative !== false) {
    detector = new native({ formats: FORMATS });
  } else {
    const [{ BarcodeDetector, prepareZXingModule }, { default: wasmUrl }] = await Promise.all([
      import('barcode-detector/ponyfill'),
      import('zxing-wasm/reader/zxing_reader.wasm?url'),
    ]);
    prepareZXingModule({
      overrides: {
        locateFile: (path: string, prefix: string) =>
          path.endsWith('.wasm') ? wasmUrl : prefix + path,
      },
    });
    detector = new BarcodeDetector({ formats: [...FORMATS] });
  }
  return {
    async detect(source) {
      return (await detector.detect(source)).map((code) => code.rawValue);
    },
  };
}
