export { chromiumEngine } from './chromiumEngine';
export type { Engine, LaunchedPage } from './Engine';
export { ACTION_TIMEOUT_MS, EnginePage } from './EnginePage';
export { ENGINES } from './engines';
export { FIREFOX_PATH, firefoxEngine } from './firefoxEngine';
export type { Target } from './Target';
export { WebDriverClient, WebDriverError } from './WebDriverClient';
export { MINIBROWSER, webkitEngine } from './webkitEngine';
