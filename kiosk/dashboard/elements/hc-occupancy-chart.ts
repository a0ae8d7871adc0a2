import { css, html, LitElement, nothing, type PropertyValues, svg } from 'lit';
import type { OccupancyBucket } from '../../../shared/DayLedger';
import { cssProperties } from './cssProperties';
import { figureStyles, tableToggle } from './figureToggle';

/** Length of a bucket, ms: the ledger's 15 minutes ([S5]); only the last bucket needs it. */
const BUCKET_MS = 15 * 60_000;
/** Most y-axis intervals: four keep the labels apart on the 12rem-tall phone chart. */
const Y_INTERVALS = 4;

interface Clock {
  readonly hour: number;
  readonly text: string;
}

interface HourRow {
  readonly hour: number;
  readonly text: string;
  max: number | null;
}

interface ChartModel {
  /** Per bucket: the occupancy, or null for a bucket that has not begun (or bad data). */
  readonly values: readonly (number | null)[];
  /** Per bucket: its local start time, or null when `start` is not an instant. */
  readonly clocks: readonly (Clock | null)[];
  /** Buckets that start on a local hour divisible by 3, for the x axis. */
  readonly ticks: readonly { readonly index: number; readonly clock: Clock }[];
  readonly hours: readonly HourRow[];
  readonly peak: number;
  readonly peakIndex: number;
  readonly latest: number;
}

// Intl formatters take microseconds to build; one per zone lives as long as the page.
const clockFormatters = new Map<string, Intl.DateTimeFormat>();

function clockFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = clockFormatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        hour: '2-digit',
        minute: '2-digit',
      });
    } catch {
      // A zone this browser does not know must not blank the dashboard: UTC labels are wrong in
      // a visible way, while a thrown RangeError would leave staff with nothing.
      formatter = clockFormatter('UTC');
    }
    clockFormatters.set(timeZone, formatter);
  }
  return formatter;
}

const pad = (n: number): string => String(n).padStart(2, '0');

function localClock(instant: number, timeZone: string): Clock & { minute: number } {
  const parts = clockFormatter(timeZone).formatToParts(instant);
  const field = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((part) => part.type === type)?.value);
  const hour = field('hour');
  const minute = field('minute');
  return { hour, minute, text: `${pad(hour)}:${pad(minute)}` };
}

function isInstant(value: unknown): value is number {
  return typeof value === 'number' && !Number.isNaN(new Date(value).getTime());
}

function model(buckets: readonly OccupancyBucket[], timeZone: string): ChartModel {
  const list = Array.isArray(buckets) ? buckets : [];
  const values: (number | null)[] = [];
  const clocks: (Clock | null)[] = [];
  const ticks: { index: number; clock: Clock }[] = [];
  const hours: HourRow[] = [];
  let peak = 0;
  let peakIndex = -1;
  let latest = 0;
  list.forEach((bucket, index) => {
    const max = bucket?.max;
    const value = typeof max === 'number' && Number.isFinite(max) && max >= 0 ? max : null;
    values.push(value);
    if (value !== null) {
      latest = value;
      if (value > peak) {
        peak = value;
        peakIndex = index;
      }
    }
    const start = bucket?.start;
    const clock = isInstant(start) ? localClock(start, timeZone) : null;
    clocks.push(clock);
    if (!clock) return;
    if (clock.minute === 0 && clock.hour % 3 === 0) ticks.push({ index, clock });
    // Consecutive buckets of one local hour make a table row; on the day clocks fall back the
    // repeated hour gets a row of its own, as it is a different hour.
    const row = hours.at(-1);
    if (row && row.hour === clock.hour) {
      if (value !== null) row.max = Math.max(row.max ?? 0, value);
    } else {
      hours.push({ hour: clock.hour, text: `${pad(clock.hour)}:00`, max: value });
    }
  });
  return { values, clocks, ticks, hours, peak, peakIndex, latest };
}

/** The smallest 1, 2 or 5 × 10ⁿ step that covers `top` in at most `Y_INTERVALS` intervals. */
function yStep(top: number): number {
  const raw = top / Y_INTERVALS;
  if (raw <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const multiple = [1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10;
  return multiple * magnitude;
}

/** Runs of consecutive buckets that have a value, as `[from, to)` index pairs. */
function runs(values: readonly (number | null)[]): [number, number][] {
  const found: [number, number][] = [];
  values.forEach((value, index) => {
    if (value === null) return;
    const last = found.at(-1);
    if (last && last[1] === index) last[1] = index + 1;
    else found.push([index, index + 1]);
  });
  return found;
}

/**
 * The step line over buckets `[from, to)`: flat across each bucket, vertical between them. The
 * bucket that holds `now` is cut at `now`, so the line does not run ahead of the clock.
 */
function stepPoints(
  values: readonly (number | null)[],
  [from, to]: [number, number],
  top: number,
  nowX: number | null,
): [number, number][] {
  const points: [number, number][] = [];
  for (let i = from; i < to; i++) {
    const y = top - (values[i] ?? 0);
    const end = nowX !== null && nowX > i && nowX < i + 1 ? nowX : i + 1;
    points.push([i, y], [end, y]);
  }
  return points;
}

/**
 * Occupancy over one local day ([S5]) as a step chart: each 15-minute bucket is drawn at its
 * highest occupancy, with hour labels in the site's time zone, a dashed capacity line when the
 * site has one, and a marker at `now`. A toggle swaps the chart for a table of the highest
 * occupancy per hour, for screen readers and for anyone who wants the numbers.
 *
 * The plot is one svg whose viewBox is in data units (x: bucket index, y: people, top = the y
 * axis maximum) stretched over the width with `preserveAspectRatio="none"`; strokes do not
 * scale, and the labels are HTML positioned in percent, so text keeps its size from a 360-px
 * phone to a desktop without measuring anything.
 */
export class HcOccupancyChart extends LitElement {
  static override properties = {
    buckets: { attribute: false },
    timeZone: { type: String, attribute: 'time-zone' },
    capacity: { type: Number },
    now: { type: Number },
    showTable: { state: true },
  };

  static override styles = [
    figureStyles,
    css`
    .chart {
      display: grid;
      grid-template-columns: 2.5em minmax(0, 1fr);
      grid-template-rows: 12rem 1.75em;
    }
    @container (min-width: 640px) {
      .chart {
        grid-template-rows: 16rem 1.75em;
      }
    }
    .y-axis,
    .x-axis {
      position: relative;
      font-size: 0.75rem;
      color: #3d5152;
      font-variant-numeric: tabular-nums;
      white-space: nowrap;
    }
    .y-axis span {
      position: absolute;
      right: 6px;
      transform: translateY(50%);
    }
    .x-axis {
      grid-column: 2;
    }
    .x-axis span {
      position: absolute;
      top: 4px;
      transform: translateX(-50%);
    }
    .x-axis span.start {
      transform: none;
    }
    /* Under ~420 px, labels every 3 h would touch; every 6 h leave room to read them. */
    @container (max-width: 420px) {
      .x-axis span.minor {
        display: none;
      }
    }
    svg {
      display: block;
      width: 100%;
      height: 100%;
      overflow: visible;
    }
    svg line,
    svg polyline {
      vector-effect: non-scaling-stroke;
    }
    .grid {
      stroke: #dde4e4;
      stroke-width: 1;
    }
    .area {
      fill: #0f3d3e;
      fill-opacity: 0.16;
    }
    .line {
      fill: none;
      stroke: #0f3d3e;
      stroke-width: 2;
      stroke-linejoin: round;
    }
    .capacity {
      stroke: #b3261e;
      stroke-width: 2;
      stroke-dasharray: 6 4;
    }
    .now {
      stroke: #3d5152;
      stroke-width: 1;
      stroke-dasharray: 2 3;
    }
    .key {
      display: flex;
      align-items: center;
      gap: 6px;
      margin: 8px 0 0;
      color: #b3261e;
    }
    .dash {
      width: 20px;
      border-top: 2px dashed #b3261e;
    }
    .empty {
      margin: 0;
      padding: 24px 0;
      color: #3d5152;
    }
    .table {
      overflow-x: auto;
    }
    table {
      border-collapse: collapse;
      font-variant-numeric: tabular-nums;
    }
    th,
    td {
      padding: 4px 12px;
      border-bottom: 1px solid #dde4e4;
      text-align: left;
    }
    td {
      text-align: right;
    }
    caption {
      text-align: left;
      font-weight: 600;
      padding-bottom: 4px;
    }
  `,
  ];

  /** Today's 15-minute buckets, oldest first (`DaySnapshot.occupancy`). */
  declare buckets: readonly OccupancyBucket[];
  /** The site's IANA time zone: hours are labelled on its wall clock. */
  declare timeZone: string;
  /** The site's capacity, drawn as a dashed line; null for none. */
  declare capacity: number | null;
  /** When the snapshot was taken, ms; marks "now" on the chart when it falls in the day. */
  declare now?: number;
  declare private showTable: boolean;
  private model: ChartModel = model([], 'UTC');

  constructor() {
    super();
    this.buckets = [];
    this.timeZone = 'UTC';
    this.capacity = null;
    this.showTable = false;
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('buckets') || changed.has('timeZone'))
      this.model = model(this.buckets, this.timeZone);
  }

  override render() {
    const { values, clocks, ticks, hours, peak, peakIndex, latest } = this.model;
    // All zero is the same day to staff as all null: no one has been in.
    if (peak <= 0) return html`<p class="empty">No one has checked in yet today</p>`;

    const capacity =
      typeof this.capacity === 'number' && Number.isFinite(this.capacity) && this.capacity > 0
        ? this.capacity
        : null;
    const step = yStep(Math.max(peak, capacity ?? 0));
    const top = Math.ceil(Math.max(peak, capacity ?? 0) / step) * step;
    const yTicks = Array.from({ length: top / step + 1 }, (_, i) => i * step);
    const count = values.length;
    const nowX = this.nowX();
    const peakAt = clocks[peakIndex]?.text;
    const label =
      `Occupancy today: peak ${peak}${peakAt ? ` at ${peakAt}` : ''}, ` +
      `${latest} in the latest quarter hour${capacity !== null ? `, capacity ${capacity}` : ''}`;

    return html`
      ${tableToggle(this.showTable, () => this._onToggle())}
      <div class="chart" ?hidden=${this.showTable}>
        <div class="y-axis" aria-hidden="true">
          ${yTicks.map((y) => html`<span style=${cssProperties({ bottom: `${(y / top) * 100}%` })}>${y}</span>`)}
        </div>
        <svg role="img" aria-label=${label} viewBox="0 0 ${count} ${top}" preserveAspectRatio="none">
          ${yTicks.map((y) => svg`<line class="grid" x1="0" x2=${count} y1=${top - y} y2=${top - y}></line>`)}
          ${ticks.map(({ index }) => svg`<line class="grid" x1=${index} x2=${index} y1="0" y2=${top}></line>`)}
          ${runs(values).map((run) => {
            const points = stepPoints(values, run, top, nowX);
            const line = points.map(([x, y]) => `${x},${y}`).join(' ');
            const end = points.at(-1)?.[0];
            return svg`
              <polygon class="area" points="${run[0]},${top} ${line} ${end},${top}"></polygon>
              <polyline class="line" points=${line}></polyline>`;
          })}
          ${
            capacity !== null
              ? svg`<line class="capacity" x1="0" x2=${count} y1=${top - capacity} y2=${top - capacity}></line>`
              : nothing
          }
          ${nowX !== null ? svg`<line class="now" x1=${nowX} x2=${nowX} y1="0" y2=${top}></line>` : nothing}
        </svg>
        <div class="x-axis" aria-hidden="true">
          ${ticks.map(
            ({ index, clock }) => html`<span
              class="${index === 0 ? 'start' : ''} ${clock.hour % 6 === 0 ? '' : 'minor'}"
              style=${cssProperties({ left: `${(index / count) * 100}%` })}
            >${clock.text}</span>`,
          )}
        </div>
      </div>
      ${capacity !== null && !this.showTable ? html`<p class="key" aria-hidden="true"><span class="dash"></span>Capacity ${capacity}</p>` : nothing}
      <div id="table" class="table" ?hidden=${!this.showTable}>
        <table>
          <caption>Highest occupancy per hour today</caption>
          <thead>
            <tr><th scope="col">Hour</th><th scope="col">Highest occupancy</th></tr>
          </thead>
          <tbody>
            ${hours
              .filter((row) => row.max !== null)
              .map((row) => html`<tr><th scope="row">${row.text}</th><td>${row.max}</td></tr>`)}
          </tbody>
        </table>
      </div>
    `;
  }

  /** Where `now` falls, in bucket units; null when it is not given or outside the day. */
  private nowX(): number | null {
    const now = this.now;
    if (typeof now !== 'number' || !Number.isFinite(now)) return null;
    const buckets = Array.isArray(this.buckets) ? this.buckets : [];
    for (let i = 0; i < buckets.length; i++) {
      const start = buckets[i]?.start;
      const end = buckets[i + 1]?.start ?? (typeof start === 'number' ? start + BUCKET_MS : null);
      if (typeof start !== 'number' || typeof end !== 'number' || end <= start) continue;
      if (start <= now && now < end) return i + (now - start) / (end - start);
    }
    return null;
  }

  private _onToggle(): void {
    this.showTable = !this.showTable;
  }
}

customElements.define('hc-occupancy-chart', HcOccupancyChart);

declare global {
  interface HTMLElementTagNameMap {
    'hc-occupancy-chart': HcOccupancyChart;
  }
}
