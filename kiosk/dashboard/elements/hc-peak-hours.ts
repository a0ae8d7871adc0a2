import { css, html, LitElement, type PropertyValues } from 'lit';
import { cssProperties } from './cssProperties';
import { figureStyles, tableToggle } from './figureToggle';

const DAYS = 7;
const HOURS = 24;
/**
 * Shades above zero. Five steps of one hue are told apart at a glance in small cells; more
 * would look continuous and the legend could no longer name them.
 */
const LEVELS = 5;

interface PeakModel {
  /** 7 × 24 averages, Monday first; anything that is not a non-negative number is 0. */
  readonly cells: readonly (readonly number[])[];
  /** The hours shown, in order. */
  readonly shown: readonly number[];
  readonly max: number;
  readonly busiest: { readonly day: number; readonly hour: number } | null;
}

function model(input: unknown): PeakModel {
  const rows = Array.isArray(input) ? input : [];
  // Extra rows or columns are ignored and missing ones are 0: a heatmap of the wrong shape is
  // still worth showing, and presentation never throws on data.
  const cells = Array.from({ length: DAYS }, (_, day) => {
    const row: unknown = rows[day];
    return Array.from({ length: HOURS }, (_, hour) => {
      const value: unknown = Array.isArray(row) ? row[hour] : undefined;
      return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
    });
  });
  let max = 0;
  let busiest: PeakModel['busiest'] = null;
  const open = new Set<number>();
  cells.forEach((row, day) => {
    row.forEach((value, hour) => {
      if (value > 0) open.add(hour);
      if (value > max) {
        max = value;
        busiest = { day, hour };
      }
    });
  });
  // Leading and trailing hours that are empty on every day (the gym is closed) are left out, so
  // the open hours get the width a phone has; hours inside the day stay even when empty, so the
  // columns keep their spacing. A week with no visits at all shows the whole day.
  const first = open.size > 0 ? Math.min(...open) : 0;
  const last = open.size > 0 ? Math.max(...open) : HOURS - 1;
  const shown = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  return { cells, shown, max, busiest };
}

/** 0 for an empty cell, else 1–LEVELS in equal steps up to the week's highest value. */
function level(value: number, max: number): number {
  return value <= 0 || max <= 0 ? 0 : Math.min(LEVELS, Math.ceil((value / max) * LEVELS));
}

const pad = (n: number): string => String(n).padStart(2, '0');

// Built once per page: Intl formatters are slow to create. Default locale, as staff read it.
let weekdayNames: { readonly short: string[]; readonly long: string[] } | undefined;
let numberFormat: Intl.NumberFormat | undefined;

function weekdays(): { readonly short: string[]; readonly long: string[] } {
  const names = (weekday: 'short' | 'long') => {
    const format = new Intl.DateTimeFormat(undefined, { weekday, timeZone: 'UTC' });
    // 1 January 2024 was a Monday.
    return Array.from({ length: DAYS }, (_, day) => format.format(Date.UTC(2024, 0, 1 + day)));
  };
  weekdayNames ??= { short: names('short'), long: names('long') };
  return weekdayNames;
}

function formatValue(value: number): string {
  numberFormat ??= new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  // A shaded cell must not read "0": averages are kept to 2 decimals, one is shown.
  if (value > 0 && value < 0.05) return `<${numberFormat.format(0.1)}`;
  return numberFormat.format(value);
}

/**
 * When the gym is busy, by weekday and hour: a grid of cells shaded from light to dark teal by
 * the average number of people present, Monday to Sunday down, hours across, with a legend.
 * Each cell's value is in its tooltip, and a toggle swaps the grid for a table of the numbers
 * (hours down, days across, so it fits a phone).
 */
export class HcPeakHours extends LitElement {
  static override properties = {
    hours: { attribute: false },
    label: { type: String },
    showTable: { state: true },
  };

  static override styles = [
    figureStyles,
    css`
    .grid {
      display: grid;
      grid-template-columns: auto repeat(var(--hours), minmax(0, 1fr));
      gap: 2px;
      align-items: center;
    }
    .hour {
      font-size: 0.75rem;
      color: #3d5152;
      white-space: nowrap;
      font-variant-numeric: tabular-nums;
    }
    /* The last column's label would stick out past the grid; it ends at the edge instead. */
    .hour.end {
      justify-self: end;
    }
    /* Under ~480 px, labels every 3 h crowd 12-px columns; every 6 h can be read. */
    @container (max-width: 480px) {
      .hour.minor {
        visibility: hidden;
      }
    }
    .day {
      padding-right: 6px;
    }
    .cell {
      height: clamp(1rem, 4cqi, 2rem);
      border-radius: 2px;
    }
    .l0 {
      background: #eef2f2;
    }
    .l1 {
      background: #cfe3e1;
    }
    .l2 {
      background: #9dc7c4;
    }
    .l3 {
      background: #62a29e;
    }
    .l4 {
      background: #2c7470;
    }
    .l5 {
      background: #0f3d3e;
    }
    .legend {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 4px;
      margin-top: 12px;
      color: #3d5152;
    }
    .swatch {
      width: 16px;
      height: 16px;
      border-radius: 2px;
    }
    .table {
      overflow-x: auto;
    }
    /* Eight columns must fit 360 px with one-decimal values: tight padding, a smaller font. */
    table {
      border-collapse: collapse;
      font-size: 0.8125rem;
      font-variant-numeric: tabular-nums;
    }
    th,
    td {
      padding: 4px;
      border-bottom: 1px solid #dde4e4;
      text-align: right;
    }
    th[scope='row'],
    caption {
      text-align: left;
    }
    caption {
      font-weight: 600;
      padding-bottom: 4px;
    }
  `,
  ];

  /** Average people present, 7 rows (Monday → Sunday) × 24 columns (local hours 0–23). */
  declare hours: readonly (readonly number[])[];
  /** What the numbers are: the accessible name of the grid and the table's caption. */
  declare label: string;
  declare private showTable: boolean;
  private model: PeakModel = model([]);

  constructor() {
    super();
    this.hours = [];
    this.label = 'Average people present by weekday and hour';
    this.showTable = false;
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('hours')) this.model = model(this.hours);
  }

  override render() {
    const { cells, shown, max, busiest } = this.model;
    const { short, long } = weekdays();
    const lastHour = shown.at(-1);
    const summary = busiest
      ? `${this.label}. Busiest: ${long[busiest.day]} ${pad(busiest.hour)}:00, ` +
        `${formatValue(max)} on average.`
      : `${this.label}. No one was present.`;

    return html`
      ${tableToggle(this.showTable, () => this._onToggle())}
      <div ?hidden=${this.showTable}>
        <div
          class="grid"
          role="img"
          aria-label=${summary}
          style=${cssProperties({ '--hours': String(shown.length) })}
        >
          <span></span>
          ${shown.map(
            (hour) => html`<span
              class="hour ${hour % 6 === 0 ? '' : 'minor'} ${hour === lastHour ? 'end' : ''}"
            >${hour % 3 === 0 ? pad(hour) : ''}</span>`,
          )}
          ${cells.map(
            (row, day) => html`
              <span class="day">${short[day]}</span>
              ${shown.map((hour) => {
                const value = row[hour] ?? 0;
                return html`<span
                  class="cell l${level(value, max)}"
                  title="${long[day]} ${pad(hour)}:00: ${formatValue(value)}"
                ></span>`;
              })}
            `,
          )}
        </div>
        <div class="legend" aria-hidden="true">
          <span>Average present: 0</span>
          ${Array.from({ length: LEVELS + 1 }, (_, i) => html`<span class="swatch l${i}"></span>`)}
          <span>${formatValue(max)}</span>
        </div>
      </div>
      <div id="table" class="table" ?hidden=${!this.showTable}>
        <table>
          <caption>${this.label}</caption>
          <thead>
            <tr>
              <th scope="col">Hour</th>
              ${long.map((name, day) => html`<th scope="col" title=${name}>${short[day]}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${shown.map(
              (hour) => html`<tr>
                <th scope="row">${pad(hour)}:00</th>
                ${cells.map((row) => html`<td>${formatValue(row[hour] ?? 0)}</td>`)}
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
    `;
  }

  private _onToggle(): void {
    this.showTable = !this.showTable;
  }
}

customElements.define('hc-peak-hours', HcPeakHours);

declare global {
  interface HTMLElementTagNameMap {
    'hc-peak-hours': HcPeakHours;
  }
}
