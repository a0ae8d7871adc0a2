import { css, html, LitElement, nothing } from 'lit';
import type { PairingCodeAnswer } from '../../../shared/apiProtocol';
import { errorOf } from '../../apiRequest';
import { formatBacklog, formatClock } from '../../formatting';
import type { DeviceInfo } from '../DashboardController';
import type { DashboardPort } from '../DashboardPort';
import { dashboardStyles } from './dashboardStyles';
import './hc-qr-code';

/** How often the kiosk list is fetched again while it is on screen, ms. */
const REFRESH_EVERY_MS = 10_000;

/**
 * "Kiosks": pair a new tablet (a one-time code, as text and as a QR code), and the site's
 * kiosks with when they were last seen and their app version, to rename or revoke. Changes go
 * through the server's API, so they need a network; the list stays readable offline.
 */
export class HcDevicesView extends LitElement {
  static override properties = {
    controller: { attribute: false },
    revision: { type: Number },
    pairing: { state: true },
    message: { state: true },
    renaming: { state: true },
    revoking: { state: true },
    busy: { state: true },
  };

  static override styles = [
    dashboardStyles,
    css`
      .code {
        font: 700 2rem/1.2 ui-monospace, monospace;
        letter-spacing: 0.15em;
      }
      .pairing {
        display: grid;
        gap: 0.5rem;
        justify-items: start;
        background: #fff;
        border: 2px solid #0f3d3e;
        border-radius: 0.75rem;
        padding: 0.75rem;
      }
      form {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: end;
      }
      form label {
        flex: 1 1 10rem;
      }
      summary {
        /* A list item keeps the disclosure triangle, which says it opens. */
        padding: 0.7rem 0;
        cursor: pointer;
        font-weight: 600;
      }
      .actions {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
      }
    `,
  ];

  declare controller: DashboardPort | undefined;
  declare revision: number;
  declare pairing: { code: string; expiresAt: number; name: string } | null;
  declare message: string | null;
  declare renaming: string | null;
  declare revoking: string | null;
  declare busy: boolean;
  private poll: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.revision = 0;
    this.pairing = null;
    this.message = null;
    this.renaming = null;
    this.revoking = null;
    this.busy = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.refresh();
    // Connected, last seen and app version change on the server: keep the list current while
    // it is on screen (a tablet just paired shows as connected within seconds).
    this.poll = setInterval(() => void this.refresh(), REFRESH_EVERY_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.poll);
  }

  override render() {
    const controller = this.controller;
    if (!controller) return nothing;
    const zone = controller.settings.timeZone;
    const devices = controller.devices.filter((d) => d.revokedAt === null);
    const revoked = controller.devices.filter((d) => d.revokedAt !== null);
    return html`
      <h2>Kiosks</h2>
      ${controller.canEdit ? this.renderPairing() : nothing}
      ${this.message ? html`<p class="error" role="alert">${this.message}</p>` : nothing}
      <section aria-labelledby="list-title">
        <h3 id="list-title">Paired kiosks (${devices.length})</h3>
        ${
          devices.length === 0
            ? html`<p>${revoked.length === 0 ? 'No kiosks yet.' : 'No kiosk is paired now.'}</p>`
            : html`<ul class="rows">
              ${devices.map((d) => this.renderDevice(controller, d, zone))}
            </ul>`
        }
        ${
          revoked.length === 0
            ? nothing
            : html`<details>
              <summary>Revoked kiosks (${revoked.length})</summary>
              <ul class="rows">
                ${revoked.map(
                  (d) =>
                    html`<li><span><strong>${d.name}</strong>
                      <span class="muted">· revoked ${formatSeen(d.revokedAt as number, zone)}</span></span></li>`,
                )}
              </ul>
            </details>`
        }
      </section>
    `;
  }

  private renderPairing() {
    const pairing = this.pairing;
    if (pairing)
      return html`<section class="pairing" aria-labelledby="pair-title">
        <h3 id="pair-title">Pairing code for “${pairing.name}”</h3>
        <p>On the tablet, open <strong>/kiosk</strong> and enter this code, or scan the QR code with it:</p>
        <p class="code" aria-hidden="true">${pairing.code}</p>
        <p class="visually-hidden">Pairing code ${pairing.code.split('').join(' ')}</p>
        <hc-qr-code .value=${pairing.code} label="Pairing code as a QR code"></hc-qr-code>
        <p class="muted">Works once, until ${formatClock(pairing.expiresAt)}.</p>
        <button type="button" class="secondary" @click=${() => this.donePairing()}>Done</button>
      </section>`;
    return html`<section aria-labelledby="new-title">
      <h3 id="new-title">Pair a new kiosk</h3>
      <form @submit=${this.onPair}>
        <label>Kiosk name <input name="name" maxlength="60" value="Front door" required /></label>
        <button ?disabled=${this.busy}>Get a pairing code</button>
      </form>
    </section>`;
  }

  private renderDevice(controller: DashboardPort, device: DeviceInfo, zone: string) {
    const seen = device.lastSeen === null ? 'never' : formatSeen(device.lastSeen, zone);
    const presence = controller.kioskPending().get(device.id);
    const sync =
      presence !== undefined
        ? presence.pending === 0
          ? 'all synced'
          : formatBacklog(
              {
                pending: presence.pending,
                oldestAt: presence.oldestPendingAt ?? null,
                tooOld: presence.tooOld ?? 0,
              },
              Date.now(),
              zone,
            )
        : device.lastSync === null
          ? 'never synced'
          : `last synced ${formatSeen(device.lastSync, zone)}`;
    return html`<li>
      <span>
        <strong>${device.name}</strong>
        <span class="muted">
          · ${device.online ? '● connected' : '○ not connected'} · ${sync} · last seen ${seen}
          ${device.appVersion ? ` · app ${device.appVersion}` : ''}
        </span>
        ${
          presence?.storage === 'best-effort'
            ? html`<span class="warning">
                ⚠ Its browser may clear unsynced check-ins when space runs low. Install the
                kiosk to the tablet's home screen (see README, "Storage that lasts").
              </span>`
            : nothing
        }
      </span>
      ${
        controller.canEdit
          ? this.renaming === device.id
            ? html`<form @submit=${(e: SubmitEvent) => this.onRename(e, device)}>
              <label>New name <input name="name" maxlength="60" .value=${device.name} required /></label>
              <button ?disabled=${this.busy}>Save</button>
              <button type="button" class="secondary" @click=${() => (this.renaming = null)}>
                Cancel
              </button>
            </form>`
            : this.revoking === device.id
              ? html`<div class="confirm" role="group" aria-label=${`Confirm revoking ${device.name}`}>
                <p>Revoke “${device.name}”? It stops at once and must be paired again.</p>
                <button type="button" class="danger" @click=${() => this.revoke(device)}>
                  Revoke
                </button>
                <button type="button" class="secondary" @click=${() => (this.revoking = null)}>
                  Cancel
                </button>
              </div>`
              : html`<span class="actions">
                <button
                  type="button"
                  class="secondary"
                  aria-label=${`Rename ${device.name}`}
                  @click=${() => (this.renaming = device.id)}
                >
                  Rename
                </button>
                <button
                  type="button"
                  class="secondary"
                  aria-label=${`Revoke ${device.name}`}
                  @click=${() => (this.revoking = device.id)}
                >
                  Revoke…
                </button>
              </span>`
          : nothing
      }
    </li>`;
  }

  private async refresh(): Promise<void> {
    try {
      await this.controller?.refreshDevices();
    } catch {
      this.message = 'Offline: showing the kiosks as last seen. Changes need a network.';
    }
  }

  private async onPair(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const name = String(new FormData(event.target as HTMLFormElement).get('name') ?? '').trim();
    await this.call(async (controller) => {
      const answer = await controller.api('POST', '/api/pairing-codes', { name });
      if (answer.status !== 200) return errorOf(answer).message;
      const { code, expiresAt } = answer.body as PairingCodeAnswer;
      this.pairing = { code, expiresAt, name };
      return null;
    });
  }

  private donePairing(): void {
    this.pairing = null;
    void this.refresh();
  }

  private async onRename(event: SubmitEvent, device: DeviceInfo): Promise<void> {
    event.preventDefault();
    const name = String(new FormData(event.target as HTMLFormElement).get('name') ?? '').trim();
    await this.call(async (controller) => {
      const answer = await controller.api('PATCH', `/api/devices/${device.id}`, { name });
      if (answer.status !== 200) return errorOf(answer).message;
      this.renaming = null;
      await controller.refreshDevices();
      return null;
    });
  }

  private async revoke(device: DeviceInfo): Promise<void> {
    await this.call(async (controller) => {
      const answer = await controller.api('DELETE', `/api/devices/${device.id}`);
      if (answer.status !== 200) return errorOf(answer).message;
      this.revoking = null;
      await controller.refreshDevices();
      return null;
    });
  }

  /** Runs one API action; its error (or the network's absence) becomes the screen's message. */
  private async call(action: (controller: DashboardPort) => Promise<string | null>): Promise<void> {
    const controller = this.controller;
    if (!controller) return;
    this.busy = true;
    this.message = null;
    try {
      this.message = await action(controller);
    } catch {
      this.message = 'The server cannot be reached: this needs a network.';
    } finally {
      this.busy = false;
    }
  }
}

/** "14:05" today, else the date and time. */
function formatSeen(at: number, zone: string): string {
  const sameDay = new Date(at).toDateString() === new Date().toDateString();
  return sameDay
    ? formatClock(at, zone)
    : new Date(at).toLocaleString([], {
        timeZone: zone,
        dateStyle: 'medium',
        timeStyle: 'short',
      });
}

customElements.define('hc-devices-view', HcDevicesView);

declare global {
  interface HTMLElementTagNameMap {
    'hc-devices-view': HcDevicesView;
  }
}
