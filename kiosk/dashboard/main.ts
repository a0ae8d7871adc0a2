/**
 * Staff dashboard entry point: one controller for the phone, the app element on the page.
 */
import { keepUpToDate } from '../appUpdates';
import { DashboardController } from './DashboardController';
import { StaffSession } from './StaffSession';
import './elements/hc-dashboard-app';

const baseUrl = location.origin;
const store = localStorage;
const controller = new DashboardController({
  baseUrl,
  store,
  session: new StaffSession({ baseUrl, store }),
});
const app = document.createElement('hc-dashboard-app');
app.controller = controller;
document.body.replaceChildren(app);
void controller.start();
// A new version is applied at the next quiet moment: no form open, nothing being typed.
keepUpToDate(
  () => document.visibilityState === 'hidden' || document.activeElement === document.body,
);
