import { css, html, LitElement, nothing } from 'lit';
import type { Method } from '../../shared/events';
import { type ChimeKind, playChime } from '../device/chime';
import { PairingError } from '../device/DeviceAuth';
import { WedgeDetector } from '../device/WedgeDetector';
import { formatBacklog, formatClock, formatStay } from '../formatting';
import type { KioskController, ScanResult } from '../KioskController';
import type { CodeScannedEvent } from './CodeScannedEvent';
import './hc-camera-scan';
import type { HcKeypad } from './hc-keypad';
import './hc-keypad';
import type { KeypadSubmitEvent } from './KeypadSubmitEvent';

/** How long a result stays on screen, ms (the issue asks 3–5 s). */
const RESULT_MS = 4000;

/** What the app needs from its controller (the element tests pass a small stand-in). */
export type KioskPort = Pick<
  KioskController,
  | 'status'
  | 'deviceName'
  | 'timeZone'
  | 'scan'
  | 'pair'
  | 'search'
  | 'canSwitch'
  | 'switchLast'
  | 'addEventListener'
  | 'removeEventListener'
>;

/**
 * The kiosk: a pairing screen until the tablet is paired, then the check-in screen with the
 * keypad, the result of each scan, and a status strip (online or offline, check-ins waiting to
 * sync). Everything is recorded locally first; the result shows without waiting for the network.
 * While its site is archived it says so instead of taking check-ins, and still counts what it
 * has to deliver.
 */
export class HcKioskApp extends LitElement {
  static override properties = {
    controller: { attribute: false },
    idleMs: { type: Number, attribute: 'idle-ms' },
    warningMs: { type: Number, attribute: 'warning-ms' },
    warningUntil: { state: true },
    searching: { state: true },
    scanning: { state: true },
    query: { state: true },
    result: { state: true },
    pairingError: { state: true },
    pairing: { state: true },
  };

  static override styles = css`
    :host {
      display: grid;
      grid-template-rows: 1fr auto;
      min-height: 100vh;
      font: 1.25rem/1.5 system-ui, sans-serif;
      background: #0f3d3e;
      color: #f4f1de;
    }
    main {
      display: grid;
      place-items: center;
      padding: 24px;
    }
    form {
      display: grid;
      gap: 16px;
      width: min(420px, 100%);
    }
    input {
      min-height: 64px;
      font: 600 1.75rem system-ui, sans-serif;
      text-align: center;
      letter-spacing: 0.15em;
      text-transform: uppercase;
      border-radius: 12px;
      border: 2px solid #f4f1de;
    }
    button.primary {
      min-height: 64px;
      border: 0;
      border-radius: 12px;
      font: 600 1.25rem system-ui, sans-serif;
      background: #f4f1de;
      color: #0f3d3e;
    }
    .result {
      display: grid;
      gap: 8px;
      text-align: center;
      font-size: 2rem;
      font-weight: 700;
      padding: 32px;
      border-radius: 16px;
      background: #f4f1de;
      color: #0f3d3e;
    }
    .result.warn {
      background: #fff1c2;
      color: #5c4400;
    }
    .result small {
      font-size: 1.25rem;
      font-weight: 600;
    }
    .result.deny {
      background: #fde2e0;
      color: #7a1d12;
    }
    .error {
      color: #ffd7cf;
    }
    .done {
      display: grid;
      gap: 16px;
      width: min(560px, 100%);
    }
    .warning {
      position: fixed;
      inset: auto 24px 96px 24px;
      display: grid;
      gap: 12px;
      padding: 24px;
      border-radius: 16px;
      background: #fff1c2;
      color: #5c4400;
      text-align: center;
      z-index: 1;
    }
    .warning h2 {
      margin: 0;
    }
    .home,
    .search {
      display: grid;
      gap: 16px;
      width: min(420px, 100%);
    }
    .prompt {
      margin: 0;
      font-size: 1.5rem;
      text-align: center;
    }
    .search ul {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: 12px;
    }
    button.secondary,
    button.hit {
      min-height: 64px;
      border-radius: 12px;
      font: 600 1.25rem system-ui, sans-serif;
    }
    button.secondary {
      border: 2px solid #f4f1de;
      background: transparent;
      color: #f4f1de;
    }
    button.hit {
      width: 100%;
      border: 0;
      background: #f4f1de;
      color: #0f3d3e;
    }
    .corner {
      position: fixed;
      top: 12px;
      right: 12px;
      min-width: 48px;
      min-height: 48px;
      padding: 0 16px;
      border-radius: 12px;
      border: 2px solid #f4f1de;
      background: transparent;
      color: #f4f1de;
      font: inherit;
      font-size: 1rem;
    }
    .archived {
      display: grid;
      gap: 16px;
      width: min(640px, 100%);
      text-align: center;
    }
    .archived h1 {
      margin: 0;
      font-size: 2rem;
      line-height: 1.3;
    }
    .archived p {
      margin: 0;
    }
    footer {
      display: flex;
      gap: 24px;
      justify-content: space-between;
      padding: 12px 24px;
      background: #0a2b2c;
      font-size: 1rem;
    }
  `;

  declare controller: KioskPort | undefined;
  /** Inactivity before a half-typed number raises "Still there?", ms. */
  declare idleMs: number;
  /** How long "Still there?" waits before clearing, ms (WCAG 2.2.1 asks at least 20 s). */
  declare warningMs: number;
  declare private warningUntil: number | null;
  declare private searching: boolean;
  declare private scanning: boolean;
  declare private query: string;
  declare private result: ScanResult | null;
  declare private pairingError: string | null;
  declare private pairing: boolean;
  private resultTimer: ReturnType<typeof setTimeout> | undefined;
  private lastInput = Date.now();
  private idleTimer: ReturnType<typeof setInterval> | undefined;
  private readonly wedge = new WedgeDetector();
  /** Keys typed anywhere: a wedge scanner's burst, or a person on a hardware keyboard. */
  private readonly onWindowKey = (event: KeyboardEvent) => {
    const target = event.composedPath()[0];
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) return;
    const status = this.controller?.status;
    if (!status?.paired || status.elsewhere || status.archived) return;
    // Enter and Space still activate a focused button, unless they end a scanner's burst.
    const burst = this.wedge.inBurst(event.timeStamp);
    const typed = this.wedge.key(event.key, event.timeStamp);
    if (burst || (event.key.length === 1 && event.key !== ' ')) event.preventDefault();
    if (typed) this.identify(typed.code, typed.scanner ? 'wedge' : 'keypad');
  };
  private readonly onInput = () => {
    this.lastInput = Date.now();
  };
  private readonly onChange = () => this.requestUpdate();

  constructor() {
    super();
    this.result = null;
    this.pairingError = null;
    this.pairing = false;
    this.idleMs = 30_000;
    this.warningMs = 20_000;
    this.warningUntil = null;
    this.searching = false;
    this.scanning = false;
    this.query = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.controller?.addEventListener('change', this.onChange);
    this.addEventListener('pointerdown', this.onInput);
    this.addEventListener('keydown', this.onInput);
    window.addEventListener('keydown', this.onWindowKey, { capture: true });
    this.idleTimer = setInterval(() => this.checkIdle(), 250);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.controller?.removeEventListener('change', this.onChange);
    window.removeEventListener('keydown', this.onWindowKey, { capture: true });
    clearTimeout(this.resultTimer);
    clearInterval(this.idleTimer);
  }

  /** True when nobody has used the kiosk for a minute and it shows its home screen. */
  get idle(): boolean {
    return this.result === null && Date.now() - this.lastInput > 60_000;
  }

  override render() {
    const status = this.controller?.status;
    if (status?.elsewhere) {
      return html`<main><p role="alert">This kiosk is already open in another tab or window. Use that one: two would record check-ins twice.</p></main>`;
    }
    if (!status?.paired) return this.renderPairing(status?.revoked ?? false);
    if (status.archived) return this.renderArchived(status);
    return html`
      ${this.warningUntil === null ? nothing : this.renderWarning(this.warningUntil)}
      <main>
        ${
          this.result
            ? html`<div class="done">${this.renderResult(this.result)}
                ${this.renderSwitch(this.result)}
                <button class="primary" type="button" @click=${this._onDone}>Done</button></div>`
            : this.scanning
              ? html`<div class="search">
                  <hc-camera-scan @code-scanned=${this._onCode}></hc-camera-scan>
                  <button class="secondary" type="button" @click=${this._onEndScan}>Back to the keypad</button>
                </div>`
              : this.searching
                ? this.renderSearch()
                : html`<div class="home">
                  <h1 class="prompt">Type your member number</h1>
                  <hc-keypad @keypad-submit=${this._onKeypad}></hc-keypad>
                  <button class="secondary" type="button" @click=${this._onStartScan}>Scan card or QR code</button>
                  <button class="secondary" type="button" @click=${this._onStartSearch}>Search by name</button>
                </div>`
        }
      </main>
      ${this.renderFooter(status, connectionText(status))}
      ${
        document.fullscreenEnabled && !document.fullscreenElement
          ? html`<button class="corner" type="button" @click=${this._onFullscreen}>Full screen</button>`
          : nothing
      }
    `;
  }

  /**
   * The site is archived: a calm notice instead of the keypad (nothing to tap, nothing that
   * records), and the status strip still counting what waits on the tablet for a restore.
   */
  private renderArchived(status: KioskPort['status']) {
    return html`
      <main>
        <section class="archived" role="status" aria-labelledby="archived-title">
          <h1 id="archived-title">This club is archived in Headcount — check-ins are not taken here</h1>
          <p>Please ask at the desk.</p>
        </section>
      </main>
      ${this.renderFooter(status, 'Archived: what this tablet holds stays on it until the club is restored')}
    `;
  }

  private renderFooter(status: KioskPort['status'], connection: string) {
    return html`<footer role="status" aria-live="polite" aria-label="Connection">
      <span>${this.controller?.deviceName}</span>
      <span>${connection}</span>
      <span>${formatBacklog({ pending: status.pending, oldestAt: status.oldestPendingAt, tooOld: status.tooOld }, Date.now(), this.controller?.timeZone)}</span>
      <span>${status.lastSyncedAt === null ? 'Not synced yet' : `Last synced ${formatClock(status.lastSyncedAt, this.controller?.timeZone)}`}</span>
    </footer>`;
  }

  /** Lets the member correct the kiosk's guess between arriving and leaving ([K5]). */
  private renderSwitch({ decision }: ScanResult) {
    if (!this.controller?.canSwitch) return nothing;
    if (decision.action === 'check-in') {
      return html`<button class="secondary" type="button" @click=${this._onSwitch}>Leaving? Check out instead</button>`;
    }
    if (decision.action === 'check-out') {
      return html`<button class="secondary" type="button" @click=${this._onSwitch}>Arriving? Check in instead</button>`;
    }
    return nothing;
  }

  private renderSearch() {
    const hits = this.controller?.search(this.query) ?? [];
    return html`<div class="search">
      <label for="name">Your name (3 letters or more)</label>
      <input id="name" type="search" autocomplete="off" spellcheck="false" .value=${this.query} @input=${this._onQuery} />
      <ul aria-label="Members found">
        ${hits.map((hit) => html`<li><button type="button" class="hit" @click=${() => this._onPick(hit.id)}>${hit.label}</button></li>`)}
      </ul>
      ${this.query.trim().length >= 3 && hits.length === 0 ? html`<p role="status">Nobody found. Please ask at the desk.</p>` : nothing}
      <button class="secondary" type="button" @click=${this._onEndSearch}>Back to the keypad</button>
    </div>`;
  }

  private renderWarning(until: number) {
    const seconds = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    return html`<div class="warning" role="alertdialog" aria-labelledby="still" aria-describedby="clearing">
      <h2 id="still">Still there?</h2>
      <p id="clearing">The number you typed will be cleared in ${seconds} s.</p>
      <button class="primary" type="button" @click=${this._onStillHere}>I'm still here</button>
    </div>`;
  }

  private renderPairing(revoked: boolean) {
    if (this.scanning)
      return html`<main>
        <div class="search">
          <h1>Hold the pairing QR code up to the camera</h1>
          <hc-camera-scan @code-scanned=${this._onPairingCode}></hc-camera-scan>
          <button class="secondary" type="button" @click=${this._onEndScan}>Type the code instead</button>
        </div>
      </main>`;
    return html`
      <main>
        <form @submit=${this._onPair}>
          <h1>Set up this tablet</h1>
          ${revoked ? html`<p role="alert">This tablet was removed by staff. Pair it again to use it.</p>` : nothing}
          <label for="code">Pairing code from the staff dashboard</label>
          <input id="code" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" required />
          <button class="primary" type="submit" ?disabled=${this.pairing}>Pair this tablet</button>
          <button class="secondary" type="button" @click=${this._onStartScan}>Scan the QR code instead</button>
          ${this.pairingError ? html`<p class="error" role="alert">${this.pairingError}</p>` : nothing}
        </form>
      </main>
    `;
  }

  private renderResult({ decision, firstName }: ScanResult) {
    const name = firstName ?? '';
    switch (decision.action) {
      case 'check-in':
        return decision.alerts.length === 0
          ? html`<div class="result" role="status"><span aria-hidden="true">✓</span>Welcome, ${name}</div>`
          : html`<div class="result warn" role="status">
              <span aria-hidden="true">⚠</span>Welcome, ${name}
              ${decision.alerts.map((alert) => html`<small>${warningText(alert.kind)}</small>`)}
            </div>`;
      case 'check-out':
        return html`<div class="result" role="status"><span aria-hidden="true">👋</span>See you, ${name}${decision.stayMs >= 60_000 ? ` — ${formatStay(decision.stayMs)}` : ''}</div>`;
      case 'already-in':
        return html`<div class="result" role="status"><span aria-hidden="true">✓</span>${name}, you are already checked in</div>`;
      case 'already-out':
        return html`<div class="result" role="status"><span aria-hidden="true">✓</span>${name}, you are already checked out</div>`;
      case 'roster-loading':
        return html`<div class="result warn" role="status">
          <span aria-hidden="true">⏳</span>This tablet is still getting the member list
          <small>Please try again in a moment, or ask at the desk.</small>
        </div>`;
      case 'deny':
        return decision.reason === 'unknown'
          ? this.renderUnknown()
          : html`<div class="result deny" role="alert"><span aria-hidden="true">⛔</span>${denialText(decision.reason, name)}</div>`;
    }
  }

  /**
   * A code this kiosk does not know ([K4]): a typo, or a member of another club of the chain who
   * is not admitted here ([M5]), whom this kiosk cannot tell from a stranger, by design. The
   * words say "here", not "unknown", and send them to the desk, where staff can find them in
   * the chain.
   */
  private renderUnknown() {
    return html`<div class="result deny" role="alert">
      <span aria-hidden="true">⛔</span>This card or number is not recognised here
      <small>Please ask at the desk: staff can also look up members of our other clubs.</small>
    </div>`;
  }

  private _onSwitch(): void {
    const switched = this.controller?.switchLast();
    if (!switched) return;
    this.lastInput = Date.now();
    this.result = switched;
    this.chime(chimeFor(switched));
    clearTimeout(this.resultTimer);
    this.resultTimer = setTimeout(() => {
      this.result = null;
    }, RESULT_MS);
  }

  private _onStartScan(): void {
    this.lastInput = Date.now();
    this.scanning = true;
  }

  private _onCode(event: CodeScannedEvent): void {
    this.scanning = false;
    this.identify(event.code, 'qr');
  }

  private _onEndScan(): void {
    this.scanning = false;
  }

  private _onStartSearch(): void {
    this.searching = true;
    this.query = '';
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLInputElement>('#name')?.focus(),
    );
  }

  private _onQuery(event: InputEvent): void {
    this.lastInput = Date.now();
    this.query = (event.target as HTMLInputElement).value;
  }

  private _onPick(memberId: string): void {
    this._onEndSearch();
    this.identify(memberId, 'search');
  }

  private _onEndSearch(): void {
    this.searching = false;
    this.query = '';
  }

  private _onKeypad(event: KeypadSubmitEvent): void {
    this.identify(event.value, 'keypad');
  }

  /** Decides, records and shows the result for one identification, however it was made. */
  private identify(input: string, method: Method): void {
    if (!this.controller || this.controller.status.archived) return;
    this.lastInput = Date.now();
    this.result = this.controller.scan(input, method);
    this.chime(chimeFor(this.result));
    clearTimeout(this.resultTimer);
    this.resultTimer = setTimeout(() => {
      this.result = null;
    }, RESULT_MS);
  }

  private audio: AudioContext | null = null;

  /** Plays the outcome's sound; the audio context starts on the first tap (browsers require it). */
  private chime(kind: ChimeKind): void {
    try {
      this.audio ??= new AudioContext();
      playChime(this.audio, kind);
    } catch {
      // No audio on this device: text, icon and colour still say it all.
    }
  }

  /**
   * A member who walks away mid-number must not leave it on screen for the next one: after
   * `idleMs` a warning asks "Still there?" for `warningMs`, one tap keeps the number, and then
   * the screen returns home with nothing about the member left on it.
   */
  private checkIdle(): void {
    const keypad = this.renderRoot.querySelector<HcKeypad>('hc-keypad');
    const now = Date.now();
    if (this.warningUntil !== null) {
      if (now < this.warningUntil) {
        // Re-render the countdown.
        this.requestUpdate();
        return;
      }
      keypad?.clear();
      this.warningUntil = null;
      return;
    }
    if (keypad?.hasInput && now - this.lastInput > this.idleMs)
      this.warningUntil = now + this.warningMs;
  }

  private _onStillHere(): void {
    this.lastInput = Date.now();
    this.warningUntil = null;
  }

  private _onFullscreen(): void {
    void document.documentElement.requestFullscreen?.().catch(() => {});
  }

  /** The next member need not wait for the result to time out. */
  private _onDone(): void {
    clearTimeout(this.resultTimer);
    this.result = null;
  }

  private async _onPair(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem(
      'code',
    ) as HTMLInputElement;
    await this.pairWith(input.value);
  }

  /** The dashboard shows the pairing code as a QR code too: scanning it is typing it. */
  private _onPairingCode(event: CodeScannedEvent): void {
    this.scanning = false;
    void this.pairWith(event.code);
  }

  private async pairWith(code: string): Promise<void> {
    this.pairing = true;
    this.pairingError = null;
    try {
      await this.controller?.pair(code);
    } catch (error) {
      this.pairingError =
        error instanceof PairingError
          ? error.message
          : 'The server could not be reached. Check the network and try again.';
    } finally {
      this.pairing = false;
    }
  }
}

function chimeFor({ decision }: ScanResult): ChimeKind {
  switch (decision.action) {
    case 'check-in':
      return decision.alerts.length > 0 ? 'warning' : 'welcome';
    case 'check-out':
      return 'goodbye';
    case 'deny':
      return 'denied';
    default:
      return 'warning';
  }
}

/** The connection part of the status strip. */
function connectionText(status: KioskPort['status']): string {
  if (status.online) return 'Online';
  if (!status.rosterComplete) return 'Getting the member list…';
  return 'Offline: check-ins are kept on this tablet';
}

function warningText(kind: string): string {
  switch (kind) {
    case 'expired':
      return 'Your membership has expired: please see the desk.';
    case 'frozen':
      return 'Your membership is on hold: please see the desk.';
    case 'capacity':
      return 'The gym is at capacity right now.';
    default:
      return 'Please see the desk.';
  }
}

function denialText(reason: string, name: string): string {
  switch (reason) {
    case 'expired':
      return `${name}, your membership has expired. Please ask at the desk.`;
    case 'frozen':
      return `${name}, your membership is on hold. Please ask at the desk.`;
    case 'capacity':
      return 'The gym is full right now. Please ask at the desk.';
    default:
      return 'Please ask at the desk.';
  }
}

customElements.define('hc-kiosk-app', HcKioskApp);

declare global {
  interface HTMLElementTagNameMap {
    'hc-kiosk-app': HcKioskApp;
  }
}
