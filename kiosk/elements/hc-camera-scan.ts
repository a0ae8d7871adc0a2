import { css, html, LitElement, nothing } from 'lit';
import { type BarcodeReader, createBarcodeReader } from '../device/barcodeReader';
import { CodeScannedEvent } from './CodeScannedEvent';

/** How often a frame is looked at, ms: fast enough to feel instant, light on a tablet. */
const FRAME_EVERY_MS = 200;

/**
 * The camera view for card barcodes and QR codes: starts the front camera when shown, reads
 * frames until a code is found, and stops the camera when removed (nothing keeps recording).
 *
 * @fires code-scanned - `CodeScannedEvent` with the code read.
 */
export class HcCameraScan extends LitElement {
  static override properties = {
    problem: { state: true },
  };

  static override styles = css`
    :host {
      display: grid;
      gap: 12px;
      justify-items: center;
    }
    video {
      width: min(480px, 90vw);
      border-radius: 16px;
      background: #000;
    }
    p {
      margin: 0;
    }
  `;

  declare private problem: string | null;
  private stream: MediaStream | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor() {
    super();
    this.problem = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.stopped = false;
    void this.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stop();
  }

  /** True while the camera is on. */
  get active(): boolean {
    return this.stream?.getVideoTracks().some((track) => track.readyState === 'live') ?? false;
  }

  override render() {
    return html`
      <video muted playsinline aria-label="Camera view: hold your card or QR code up to it"></video>
      ${this.problem ? html`<p role="alert">${this.problem}</p>` : nothing}
    `;
  }

  private async start(): Promise<void> {
    let reader: BarcodeReader;
    try {
      const [stream, loaded] = await Promise.all([
        navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user' }, audio: false }),
        createBarcodeReader(),
      ]);
      this.stream = stream;
      reader = loaded;
      if (this.stopped) return this.stop();
      await this.updateComplete;
      const video = this.renderRoot.querySelector('video') as HTMLVideoElement;
      video.srcObject = stream;
      await video.play();
      this.scanLoop(video, reader);
    } catch {
      this.problem = 'The camera is not available. Please use the keypad or ask at the desk.';
      this.stop();
    }
  }

  private scanLoop(video: HTMLVideoElement, reader: BarcodeReader): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        const [code] = video.readyState >= 2 ? await reader.detect(video) : [];
        if (code && !this.stopped) {
          this.dispatchEvent(new CodeScannedEvent(code));
          return;
        }
      } catch {
        // A frame that cannot be read is skipped; the next one may be fine.
      }
      this.timer = setTimeout(tick, FRAME_EVERY_MS);
    };
    void tick();
  }

  private stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const track of this.stream?.getTracks() ?? []) track.stop();
  }
}

customElements.define('hc-camera-scan', HcCameraScan);

declare global {
  interface HTMLElementTagNameMap {
    'hc-camera-scan': HcCameraScan;
  }
}
