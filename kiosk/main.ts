/**
 * Kiosk PWA entry point: one controller for the tablet, the app element on the page.
 */
import { keepUpToDate } from './appUpdates';
import { DeviceAuth } from './device/DeviceAuth';
import { keepAwake } from './device/keepAwake';
import { KioskController } from './KioskController';
import './elements/hc-kiosk-app';

const APP_VERSION = '0.1.0';
const baseUrl = location.origin;
const store = localStorage;
const controller = new KioskController({
  baseUrl,
  store,
  auth: new DeviceAuth({ baseUrl, store, appVersion: APP_VERSION }),
});
const app = document.createElement('hc-kiosk-app');
app.controller = controller;
document.body.replaceChildren(app);
void controller.startAsOwner();
keepUpToDate(() => app.idle);
keepAwake();
