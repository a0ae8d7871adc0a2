import type { DashboardController } from './DashboardController';

/**
 * What the dashboard's screens need from the controller. Screens take it as a property and
 * render again when it dispatches `change`; element tests pass a controller on a real server.
 */
export type DashboardPort = Pick<
  DashboardController,
  | 'staff'
  | 'serverUrl'
  | 'canEdit'
  | 'sites'
  | 'currentSite'
  | 'refreshSites'
  | 'switchSite'
  | 'settings'
  | 'members'
  | 'stats'
  | 'status'
  | 'events'
  | 'event'
  | 'targetsOf'
  | 'attention'
  | 'devices'
  | 'kioskPending'
  | 'refreshDevices'
  | 'staffName'
  | 'refreshStaff'
  | 'signIn'
  | 'setUp'
  | 'overview'
  | 'refreshOverview'
  | 'signOut'
  | 'checkIn'
  | 'checkOut'
  | 'checkOutEveryone'
  | 'voidEvent'
  | 'saveMember'
  | 'previewImport'
  | 'applyImport'
  | 'exportMembers'
  | 'saveSettings'
  | 'api'
  | 'addEventListener'
  | 'removeEventListener'
>;
