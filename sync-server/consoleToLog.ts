import type { Logger } from 'pino';
import { Refusal } from './refusals';

/**
 * Most lines one source may log in a minute before the rest are only counted. Default 60: a
 * client's malformed frames or a flood of refused sockets must not fill the disk or hide
 * everything else, while an operator still sees that it happens and how often.
 */
export const LINES_PER_MINUTE = 60;

/** Allows at most `perMinute` lines per key and minute; counts what it holds back. */
export class LogSampler {
  private readonly perMinute: number;
  private readonly windows = new Map<string, { start: number; lines: number; held: number }>();

  constructor(perMinute = LINES_PER_MINUTE) {
    this.perMinute = perMinute;
  }

  /**
   * True when a line for `key` may be written now. When a new minute starts for a key that had
   * lines held back, `heldBack` gets their number first (to be logged once).
   */
  allow(key: string, heldBack: (count: number) => void = () => {}, now = Date.now()): boolean {
    let window = this.windows.get(key);
    if (!window || now - window.start >= 60_000) {
      if (window && window.held > 0) heldBack(window.held);
      window = { start: now, lines: 0, held: 0 };
      this.windows.set(key, window);
      if (this.windows.size > 1_000) this.windows.clear();
    }
    if (window.lines < this.perMinute) {
      window.lines++;
      return true;
    }
    window.held++;
    return false;
  }
}

/**
 * Routes `console.error` and `console.warn` into the JSON log: Hocuspocus prints every error a
 * hook throws and every malformed frame with `console.error`, stack trace and all, as plain text
 * outside the log. Each becomes one line with the message and the error's name and message (a
 * client's mistake needs no stack), sampled per message. For the server process only (main.ts):
 * tests keep their console.
 */
export function routeConsoleToLog(log: Logger, onHeldBack: () => void): void {
  const sampler = new LogSampler();
  const write = (level: 'warn' | 'error', args: unknown[]) => {
    const message = args.find((arg) => typeof arg === 'string') as string | undefined;
    const error = args.find((arg) => arg instanceof Error) as Error | undefined;
    // A refusal was logged once already, by the extension that refused, with its reason.
    if (error instanceof Refusal) return;
    const msg = (message ?? error?.message ?? 'console output').slice(0, 200);
    // Sample by the message without ids (connection ids and names vary per line).
    const key = msg.replace(/[0-9a-f-]{8,}|\d+/gi, '#');
    const allowed = sampler.allow(key, (count) =>
      log.warn({ source: 'console', heldBack: count, msg: key }, 'log lines held back'),
    );
    if (!allowed) {
      onHeldBack();
      return;
    }
    const detail = error
      ? { err: { type: error.name, message: error.message.slice(0, 200), ...reasonOf(error) } }
      : {};
    log[level]({ source: 'console', ...detail }, msg);
  };
  console.error = (...args: unknown[]) => write('error', args);
  console.warn = (...args: unknown[]) => write('warn', args);
}

/** Refusals carry their reason on the error (see refusals.ts). */
function reasonOf(error: Error): { reason?: string } {
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === 'string' ? { reason } : {};
}
