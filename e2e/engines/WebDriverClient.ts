/**
 * The few W3C WebDriver commands the scenarios need, over `fetch`. Kept by hand because the
 * npm clients are heavy for six commands: `webdriver` 10.0.1 installs 80 packages (34 MB),
 * `selenium-webdriver` 4.49.0 25 MB with Selenium Manager binaries that try to download drivers.
 * https://www.w3.org/TR/webdriver2/
 */

/** The key of an element reference in WebDriver's JSON (W3C, section "Elements"). */
const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';

export type ElementReference = { readonly [ELEMENT_KEY]: string };

/** An error the remote end answered with (`error` is W3C's code, e.g. "no such element"). */
export class WebDriverError extends Error {
  constructor(
    readonly error: string,
    message: string,
  ) {
    super(`WebDriver ${error}: ${message}`);
    this.name = 'WebDriverError';
  }
}

/** How long one command may take, ms: page loads on a busy two-core machine, with margin. */
const COMMAND_TIMEOUT_MS = 90_000;

export class WebDriverClient {
  private constructor(
    private readonly endpoint: string,
    readonly sessionId: string,
    readonly capabilities: Record<string, unknown>,
  ) {}

  /** Waits for the driver at `endpoint` to be ready (bounded), then opens a session. */
  static async open(
    endpoint: string,
    alwaysMatch: Record<string, unknown>,
    readyTimeoutMs = 30_000,
  ): Promise<WebDriverClient> {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      const ready = await send<{ ready: boolean }>(endpoint, 'GET', '/status').then(
        (status) => status.ready,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline)
        throw new Error(`WebDriver at ${endpoint} not ready after ${readyTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const session = await send<{ sessionId: string; capabilities: Record<string, unknown> }>(
      endpoint,
      'POST',
      '/session',
      { capabilities: { alwaysMatch } },
    );
    return new WebDriverClient(endpoint, session.sessionId, session.capabilities);
  }

  navigateTo(url: string): Promise<void> {
    return this.command('POST', '/url', { url });
  }

  refresh(): Promise<void> {
    return this.command('POST', '/refresh', {});
  }

  /** Runs `body` (a function body: `return …`, with `arguments`) and awaits a returned promise. */
  executeScript<R>(body: string, args: unknown[] = []): Promise<R> {
    return this.command('POST', '/execute/sync', { script: body, args });
  }

  elementClick(element: ElementReference): Promise<void> {
    return this.command('POST', `/element/${element[ELEMENT_KEY]}/click`, {});
  }

  elementClear(element: ElementReference): Promise<void> {
    return this.command('POST', `/element/${element[ELEMENT_KEY]}/clear`, {});
  }

  elementSendKeys(element: ElementReference, text: string): Promise<void> {
    return this.command('POST', `/element/${element[ELEMENT_KEY]}/value`, { text });
  }

  deleteSession(): Promise<void> {
    return this.command('DELETE', '', undefined);
  }

  static isElement(value: unknown): value is ElementReference {
    return typeof value === 'object' && value !== null && ELEMENT_KEY in value;
  }

  private command<R>(method: string, path: string, body: unknown): Promise<R> {
    return send<R>(this.endpoint, method, `/session/${this.sessionId}${path}`, body);
  }
}

async function send<R>(endpoint: string, method: string, path: string, body?: unknown): Promise<R> {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
  });
  const { value } = (await response.json()) as {
    value: R | { error: string; message: string };
  };
  if (!response.ok) {
    const failure = value as { error?: string; message?: string };
    throw new WebDriverError(failure.error ?? String(response.status), failure.message ?? '');
  }
  return value as R;
}
