import type { ElementHandle, Page } from 'playwright-core';
import { CHROMIUM_PATH, hasChromium, launchChromium } from '../browser';
import type { Engine } from './Engine';
import { EnginePage } from './EnginePage';

/** Debian's Chromium through playwright-core (CDP), as the Chromium-only tests drive it. */
export const chromiumEngine: Engine = {
  name: 'chromium',
  missing: hasChromium ? null : `Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`,
  async launch() {
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext()).newPage();
      return {
        page: new PlaywrightPage(page),
        version: `Chromium ${browser.version()}`,
        close: () => browser.close().catch(() => undefined),
      };
    } catch (error) {
      await browser.close().catch(() => undefined);
      throw error;
    }
  },
};

class PlaywrightPage extends EnginePage {
  constructor(private readonly page: Page) {
    super();
    page.on('pageerror', (error) => this.errors.push(error.message));
  }
  async goto(url: string): Promise<void> {
    await this.page.goto(url, { timeout: 60_000 });
  }
  async reload(): Promise<void> {
    await this.page.reload({ timeout: 60_000 });
  }
  async close(): Promise<void> {
    await this.page.close();
  }
  protected evaluateExpression<R>(expression: string): Promise<R> {
    return this.page.evaluate(expression) as Promise<R>;
  }
  protected clickElement(expression: string): Promise<void> {
    return this.withElement(expression, (element) => element.click({ timeout: 5000 }));
  }
  protected typeIntoElement(expression: string, text: string): Promise<void> {
    return this.withElement(expression, (element) => element.fill(text, { timeout: 5000 }));
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
