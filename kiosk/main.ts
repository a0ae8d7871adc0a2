/**
 * Kiosk PWA entry point. The check-in screen is being built (issue 4): for now the page shows the
 * member-number keypad so the production bundle's Lit elements are exercised in real browsers.
 */
import './elements/hc-keypad';
