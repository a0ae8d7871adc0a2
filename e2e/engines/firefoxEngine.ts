import { existsSync } from 'node:fs';
import puppeteer, { type ElementHandle, type Page } from 'puppeteer-core';
import type { Engine } from './Engine';
import { EnginePage } from './EnginePage';

/** Debian's Firefox ESR; FIREFOX_PATH overrides /usr/bin/firefox-esr. */
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** Firefox ESR, headless, through puppeteer-core over WebDriver BiDi. */
export const firefoxEngine: Engine = {
  name: 'firefox',
  missing: existsSync(FIREFOX_PATH)
    ? null
    : `Firefox at ${FIREFOX_PATH} (apt-get install firefox-esr)`,
  async launch() {
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX_PATH,
      headless: true,
      protocolTimeout: 120_000,
    });
    const kill = () => {
      const pid = browser.process()?.pid;
      if (pid !== undefined) {
        try {
          // puppeteer starts Firefox in its own process group (detached): end the whole group.
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    };
    process.once('exit', kill);
    try {
      const page = (await browser.pages())[0] ?? (await browser.newPage());
      page.setDefaultNavigationTimeout(60_000);
      return {
        page: new PuppeteerPage(page),
        version: await browser.version(),
        async close() {
          await Promise.race([
            browser.close().catch(() => undefined),
            new Promise((resolve) => setTimeout(resolve, 10_000)),
          ]);
          kill();
          process.off('exit', kill);
        },
      };
    } catch (error) {
      await browser.close().catch(() => undefined);
      kill();
      throw error;
    }
  },
};

class PuppeteerPage extends EnginePage {
  constructor(private readonly page: Page) {
    super();
    page.on('pageerror', (error) => {
      // Firefox reports a refused or interrupted websocket as a page error ("can’t establish a
      // connection to the server at ws://…", "The connection to ws://… was interrupted while the
      // page was loading"): the kiosk and the dashboard reconnect by design while the network is
      // cut or the page reloads, so these are not the app's errors.
      if (!/connection to (the server at )?wss?:\/\//.test(String(error)))
        this.errors.push(String(error));
    });
  }
  async goto(url: string): Promise<void> {
    await this.page.goto(url);
  }
  async reload(): Promise<void> {
    await this.page.reload();
  }
  async close(): Promise<void> {
    await this.page.close();
  }
  protected evaluateExpression<R>(expression: string): Promise<R> {
    return this.page.evaluate(expression) as Promise<R>;
  }
  protected clickElement(expression: string): Promise<void> {
    return this.withElement(expression, (element) => element.click());
  }
  protected typeIntoElement(expression: string, text: string): Promise<void> {
    return this.withElement(expression, async (element) => {
      // Select what is there, so typing replaces it as `fill` does in the other engines.
      await element.click({ count: 3 });
      await element.type(text);
    });
  }
  private async withElement(
    expression: string,
    action: (element: ElementHandle<Element>) => Promise<void>,
  ): Promise<void> {
    const handle = await this.page.evaluateHandle(expression);
    try {
      const element = handle.asElement() as ElementHandle<Element> | null;
      if (!element) throw new Error('no such element');
      await action(element);
    } finally {
      await handle.dispose();
    }
  }
}
