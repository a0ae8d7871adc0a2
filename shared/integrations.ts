/**
 * What machine clients may do and hear ([I1]–[I3] in SPEC.md), as plain values the dashboard can
 * show without the wire schemas (`integrationProtocol.ts`).
 */

/** What an API key may do. A key never opens documents: it is for the HTTP API only. */
export const API_KEY_SCOPES = ['members:read', 'members:write', 'visits:read', 'webhooks'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const SCOPE_LABELS: Readonly<Record<ApiKeyScope, string>> = {
  'members:read': 'Read members',
  'members:write': 'Add, change and remove members',
  'visits:read': 'Read visits and reports',
  webhooks: 'Manage its own webhooks',
};

/**
 * Events a webhook endpoint can subscribe to. A delivery's `type` is the event with its schema
 * version (`check-in.v1`): a later schema is a new type, sent only to endpoints that ask for it.
 */
export const WEBHOOK_EVENTS = [
  'check-in',
  'check-out',
  'denied',
  'visit-auto-closed',
  'correction',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const WEBHOOK_SCHEMA_VERSION = 1;

export const WEBHOOK_EVENT_LABELS: Readonly<Record<WebhookEvent, string>> = {
  'check-in': 'Check-ins (kiosk or staff)',
  'check-out': 'Check-outs (kiosk or staff)',
  denied: 'Denied attempts',
  'visit-auto-closed': 'Visits closed automatically (nobody checked out)',
  correction: 'Staff corrections (voids, check everyone out)',
};
