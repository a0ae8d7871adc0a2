import { css, html, LitElement, nothing } from 'lit';
import type { FeedItem } from '../../../shared/DayLedger';
import { ANNOUNCE_GAP_MS, ArrivalNotices, TOAST_GAP_MS } from '../ArrivalNotices';
import { visuallyHidden } from './dashboardStyles';

/** How long a toast stays, ms. */
const TOAST_MS = 4_000;

/**
 * Toasts for new arrivals and the matching screen-reader announcements, both throttled, with a
 * control to pause them (WCAG 2.2.2: information that updates by itself can be paused).
 */
export class HcArrivalNotices extends LitElement {
  static override properties = {
    feed: { attribute: false },
    paused: { type: Boolean, reflect: true },
    toast: { state: true },
    announcement: { state: true },
  };

  static override styles = [
    visuallyHidden,
    css`
    :host {
      display: block;
    }
    .toast {
      position: fixed;
      left: 1rem;
      right: 1rem;
      bottom: 5rem;
      width: fit-content;
      max-width: 32rem;
      margin: 0 auto;
      background: #0b4d1e;
      color: #fff;
      padding: 0.6rem 1rem;
      border-radius: 0.75rem;
      box-shadow: 0 4px 12px #0004;
      font-weight: 600;
      z-index: 10;
      /* Taps go through to what is under it: a notice must never block a button. */
      pointer-events: none;
    }
    button {
      font: inherit;
      font-size: 0.9rem;
      min-height: 44px;
      background: #fff;
      color: #0f3d3e;
      border: 2px solid #0f3d3e;
      border-radius: 0.5rem;
      padding: 0 0.75rem;
    }
  `,
  ];

  declare feed: readonly FeedItem[];
  declare paused: boolean;
  declare toast: string | null;
  declare announcement: string;
  private readonly toasts = new ArrivalNotices(TOAST_GAP_MS);
  private readonly announcements = new ArrivalNotices(ANNOUNCE_GAP_MS);
  private timers: ReturnType<typeof setTimeout>[] = [];

  constructor() {
    super();
    this.feed = [];
    this.paused = false;
    this.toast = null;
    this.announcement = '';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('feed')) {
      this.toasts.observe(this.feed);
      this.announcements.observe(this.feed);
      if (this.paused) {
        this.toasts.drop();
        this.announcements.drop();
      }
      this.pump();
    }
    if (changed.has('paused') && this.paused) this.toast = null;
  }

  override render() {
    return html`
      <button type="button" aria-pressed=${this.paused ? 'true' : 'false'} @click=${this.togglePause}>
        ${this.paused ? 'Resume arrival notices' : 'Pause arrival notices'}
      </button>
      ${this.toast ? html`<div class="toast" aria-hidden="true">${this.toast}</div>` : nothing}
      <div class="visually-hidden" aria-live="polite">${this.announcement}</div>
    `;
  }

  private togglePause(): void {
    this.paused = !this.paused;
    this.dispatchEvent(new Event('pause-change'));
  }

  /** Shows what is due now, and comes back when the next queued summary is due. */
  private pump(): void {
    const now = Date.now();
    const toast = this.toasts.next(now);
    if (toast) {
      this.toast = toast;
      this.later(() => {
        this.toast = null;
      }, TOAST_MS);
    }
    const spoken = this.announcements.next(now);
    if (spoken) this.announcement = spoken;
    const due = [this.toasts.dueAt(), this.announcements.dueAt()].filter((t) => t !== null);
    if (due.length > 0) this.later(() => this.pump(), Math.max(0, Math.min(...due) - now));
  }

  private later(run: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers = this.timers.filter((t) => t !== timer);
      run();
    }, ms);
    this.timers.push(timer);
  }
}

customElements.define('hc-arrival-notices', HcArrivalNotices);

declare global {
  interface HTMLElementTagNameMap {
    'hc-arrival-notices': HcArrivalNotices;
  }
}
