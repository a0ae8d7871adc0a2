import { findAll } from './pageScripts';
import { describeTarget, type Target } from './Target';

/** How long an action waits for its element to be there and usable, ms: generous for busy CI. */
export const ACTION_TIMEOUT_MS = 20_000;

/**
 * One tab of one engine, as the shared scenarios drive it. Each engine supplies the primitives
 * (navigate, reload, close, evaluate an expression, click or type into the element an expression
 * finds); finding elements, reading text, retrying and waiting are written once, here, on top.
 */
export abstract class EnginePage {
  /** Uncaught errors of the page so far, as the engine's protocol reports them. */
  protected readonly errors: string[] = [];

  abstract goto(url: string): Promise<void>;
  abstract reload(): Promise<void>;
  /** Closes the tab (the browser stays). */
  abstract close(): Promise<void>;
  /** The value of JavaScript `expression` in the page; a promise is awaited. */
  protected abstract evaluateExpression<R>(expression: string): Promise<R>;
  /**
   * Real input events (a click, or typing `text`) on the element JavaScript `expression`
   * evaluates to in the page; throws when it is undefined or cannot take input yet.
   */
  protected abstract clickElement(expression: string): Promise<void>;
  protected abstract typeIntoElement(expression: string, text: string): Promise<void>;

  /** Runs `fn` in the page with JSON arguments (it is sent as source: self-contained only). */
  evaluate<R, A extends unknown[]>(fn: (...args: A) => R | Promise<R>, ...args: A): Promise<R> {
    return this.evaluateExpression<R>(`${source(fn)}(...${JSON.stringify(args)})`);
  }

  /** The page's uncaught errors and unhandled rejections so far. */
  async pageErrors(): Promise<string[]> {
    return [...this.errors];
  }

  /** How many visible elements match. */
  count(target: Target): Promise<number> {
    return this.evaluateExpression<number>(`${found(target)}.length`).catch(() => 0);
  }

  /** The text of the first visible match ('' when there is none, or mid-reload). */
  text(target: Target): Promise<string> {
    return this.evaluateExpression<string>(
      `(${found(target)}[0]?.textContent ?? '').replace(/\\s+/g, ' ').trim()`,
    ).catch(() => '');
  }

  /** Clicks `target` once it is there (retried while the page is still rendering). */
  click(target: Target): Promise<void> {
    return this.retry(`click ${describeTarget(target)}`, () =>
      this.clickElement(`${found(target)}[0]`),
    );
  }

  /** Types `text` into the field `target` once it is there. */
  fill(target: Target, text: string): Promise<void> {
    return this.retry(`type into ${describeTarget(target)}`, () =>
      this.typeIntoElement(`${found(target)}[0]`, text),
    );
  }

  /** Waits until `target` is there. */
  async waitFor(target: Target, timeoutMs = ACTION_TIMEOUT_MS): Promise<void> {
    await this.until(async () => (await this.count(target)) > 0, describeTarget(target), timeoutMs);
  }

  /**
   * Polls `check` until it holds; every 100 ms, at most `timeoutMs`. `what` names the wait in
   * the error (a function is asked at the end, to say what was seen instead).
   */
  async until(
    check: () => boolean | Promise<boolean>,
    what: string | (() => Promise<string>),
    timeoutMs = ACTION_TIMEOUT_MS,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (
      !(await Promise.resolve()
        .then(check)
        .catch(() => false))
    ) {
      if (Date.now() > deadline) {
        const said = typeof what === 'string' ? what : await what();
        throw new Error(`timed out after ${timeoutMs} ms: ${said}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async retry(what: string, action: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + ACTION_TIMEOUT_MS;
    for (;;) {
      try {
        // An action on a missing or not yet usable element fails fast and is tried again.
        await action();
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`could not ${what} within ${ACTION_TIMEOUT_MS} ms: ${String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

/** A JavaScript expression for every visible element matching `target`. */
function found(target: Target): string {
  return `${source(findAll)}(${JSON.stringify(target)})`;
}

/**
 * A function's source as an expression for the page. esbuild (tsx) with `keepNames` wraps
 * inner functions in `__name(fn, "name")`, a helper that exists only in Node: the page gets an
 * identity function by that name.
 */
function source(fn: (...args: never[]) => unknown): string {
  return `((__name) => (${fn.toString()}))((f) => f)`;
}
