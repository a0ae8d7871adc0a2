import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from '../../sync-server/testing/testServer';
import type { Engine, LaunchedPage } from './Engine';
import { EnginePage } from './EnginePage';
import { WebDriverClient } from './WebDriverClient';

/** WebKitGTK's MiniBrowser (Debian libwebkit2gtk-4.1-0); WEBKIT_MINIBROWSER overrides. */
export const MINIBROWSER =
  process.env.WEBKIT_MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const DRIVER = '/usr/bin/WebKitWebDriver';
const XVFB_RUN = '/usr/bin/xvfb-run';
/** xvfb-run needs it to give the display's key to the driver. */
const XAUTH = '/usr/bin/xauth';

/**
 * WebKit — the engine of Safari and of every browser on an iPad — as WebKitGTK's MiniBrowser
 * under WebKitWebDriver. MiniBrowser has no headless mode: it draws on an Xvfb display that
 * `xvfb-run` starts and ends with the driver.
 */
export const webkitEngine: Engine = {
  name: 'webkit',
  missing:
    [DRIVER, XVFB_RUN, XAUTH, MINIBROWSER].find((file) => !existsSync(file)) === undefined
      ? null
      : `WebKitWebDriver, MiniBrowser, xvfb-run and xauth (apt-get install webkit2gtk-driver xvfb xauth)`,
  async launch() {
    // A display number or port taken between choosing and binding makes one start fail: try
    // again with new ones (three times at most).
    let failure: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await start();
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  },
};

async function start(): Promise<LaunchedPage> {
  const port = await freePort();
  // A display number of its own (not `xvfb-run -a`, which races when two test files start a
  // display at once), in its own process group, so that xvfb-run, Xvfb, the driver, MiniBrowser
  // and WebKit's helper processes all end together with one signal.
  const display = 100 + Math.floor(Math.random() * 30_000);
  const driver = spawn(XVFB_RUN, [`--server-num=${display}`, DRIVER, `--port=${port}`], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  driver.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const end = () => endGroupNow(driver);
  process.once('exit', end);
  try {
    const client = await WebDriverClient.open(`http://127.0.0.1:${port}`, {
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
      timeouts: { script: 60_000, pageLoad: 60_000, implicit: 0 },
    });
    return {
      page: new WebDriverPage(client),
      version: `MiniBrowser (WebKitGTK ${String(client.capabilities.browserVersion)})`,
      async close() {
        await client.deleteSession().catch(() => undefined);
        await endGroup(driver);
        process.off('exit', end);
      },
    };
  } catch (error) {
    await endGroup(driver);
    process.off('exit', end);
    throw new Error(`WebKit did not start: ${String(error)}\n${log}`);
  }
}

/** SIGKILL to the whole group, at once (on exit, where nothing can be awaited). */
function endGroupNow(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is gone.
  }
}

/**
 * SIGTERM to the whole group, so that Xvfb removes its lock file as it ends; SIGKILL to what is
 * left after 5 s.
 */
async function endGroup(child: ChildProcess): Promise<void> {
  const alive = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 0);
      return child.pid !== undefined;
    } catch {
      return false;
    }
  };
  if (alive()) {
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
    } catch {
      // Gone meanwhile.
    }
    const deadline = Date.now() + 5000;
    while (alive() && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
  }
  endGroupNow(child);
}

/**
 * Classic WebDriver has no event for a page's errors: the page gathers them itself, from the
 * moment a navigation ends (an error while the page loads is missed), and they are collected
 * before the next navigation and when asked for.
 */
const LISTEN_FOR_ERRORS = `
  if (!window.__headcountErrors) {
    window.__headcountErrors = [];
    addEventListener('error', (e) => window.__headcountErrors.push(String(e.message)));
    addEventListener('unhandledrejection', (e) => window.__headcountErrors.push(String(e.reason)));
  }`;
const TAKE_ERRORS =
  'const errors = window.__headcountErrors ?? []; window.__headcountErrors = []; return errors;';

class WebDriverPage extends EnginePage {
  constructor(private readonly client: WebDriverClient) {
    super();
  }
  async goto(url: string): Promise<void> {
    await this.takeErrors();
    await this.client.navigateTo(url);
    await this.client.executeScript(LISTEN_FOR_ERRORS).catch(() => undefined);
  }
  async reload(): Promise<void> {
    await this.takeErrors();
    await this.client.refresh();
    await this.client.executeScript(LISTEN_FOR_ERRORS).catch(() => undefined);
  }
  close(): Promise<void> {
    return this.client.deleteSession();
  }
  override async pageErrors(): Promise<string[]> {
    await this.takeErrors();
    return super.pageErrors();
  }
  private async takeErrors(): Promise<void> {
    const taken = await this.client.executeScript<string[]>(TAKE_ERRORS).catch(() => []);
    this.errors.push(...taken);
  }
  protected evaluateExpression<R>(expression: string): Promise<R> {
    return this.client.executeScript<R>(`return ${expression};`);
  }
  private async element(expression: string) {
    const element = await this.client.executeScript<unknown>(`return ${expression};`);
    if (!WebDriverClient.isElement(element)) throw new Error('no such element');
    return element;
  }
  protected async clickElement(expression: string): Promise<void> {
    await this.client.elementClick(await this.element(expression));
  }
  protected async typeIntoElement(expression: string, text: string): Promise<void> {
    const element = await this.element(expression);
    await this.client.elementClear(element);
    await this.client.elementSendKeys(element, text);
  }
}
