import { afterEach, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import './hc-keypad';
import type { KeypadSubmitEvent } from './KeypadSubmitEvent';

afterEach(() => {
  document.body.replaceChildren();
});

async function mount() {
  const keypad = document.createElement('hc-keypad');
  document.body.append(keypad);
  await keypad.updateComplete;
  const submitted: string[] = [];
  keypad.addEventListener('keypad-submit', (event: KeypadSubmitEvent) =>
    submitted.push(event.value),
  );
  return { keypad, submitted };
}

describe('hc-keypad', () => {
  it('sends the typed number on OK and clears itself', async () => {
    const { keypad, submitted } = await mount();
    for (const digit of ['4', '5', '1'])
      await page.getByRole('button', { name: digit, exact: true }).click();
    await page.getByRole('button', { name: 'Delete last digit' }).click();
    await page.getByRole('button', { name: '7', exact: true }).click();
    await expect.element(page.getByRole('status')).toHaveTextContent('457');
    await page.getByRole('button', { name: 'OK, check in or out' }).click();
    expect(submitted).toEqual(['457']);
    await keypad.updateComplete;
    await expect.element(page.getByRole('button', { name: 'OK, check in or out' })).toBeDisabled();
  });

  it('has keys of at least 64 by 64 CSS pixels', async () => {
    const { keypad } = await mount();
    const buttons = keypad.shadowRoot?.querySelectorAll('button') ?? [];
    expect(buttons.length).toBe(12);
    for (const button of buttons) {
      const { width, height } = button.getBoundingClientRect();
      expect(Math.min(width, height)).toBeGreaterThanOrEqual(64);
    }
  });
});
