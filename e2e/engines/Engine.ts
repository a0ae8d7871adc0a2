import type { EnginePage } from './EnginePage';

/** A browser engine the shared scenarios run in: one browser with one tab. */
export interface Engine {
  readonly name: 'chromium' | 'webkit' | 'firefox';
  /** What is missing on this machine to run it (how to install it), or null when it can run. */
  readonly missing: string | null;
  /** Starts the browser; closing the page ends the browser and everything it started. */
  launch(): Promise<LaunchedPage>;
}

export interface LaunchedPage {
  readonly page: EnginePage;
  /** The browser's name and version, as it reports them. */
  readonly version: string;
  /** Ends the browser and its helper processes; safe to call twice, never throws. */
  close(): Promise<void>;
}
