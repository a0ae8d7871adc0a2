import Type, { type Static } from 'typebox';
import { API_KEY_SCOPES, WEBHOOK_EVENTS } from './integrations';

export {
  API_KEY_SCOPES,
  type ApiKeyScope,
  WEBHOOK_EVENTS,
  type WebhookEvent,
} from './integrations';

/**
 * The wire protocol of integrations ([I1]–[I3]): API keys, member sync and webhooks. Declared once
 * with TypeBox, like `apiProtocol.ts`: the server validates and publishes them as OpenAPI, the
 * dashboard imports the types only.
 */

const nullableTime = Type.Union([Type.Integer(), Type.Null()], {
  description: 'ms since the epoch, or null',
});

export const ApiKeyScopeSchema = Type.Enum([...API_KEY_SCOPES]);

const KEY_EXAMPLE = {
  id: 'q3Jb0d2kLx9a',
  name: 'Billing sync',
  scopes: ['members:read', 'members:write'],
  createdAt: 1_796_000_000_000,
  lastUsedAt: 1_796_100_000_000,
  revokedAt: null,
};

const ENDPOINT_EXAMPLE = {
  id: 'ep_Xq81mB0aZr3L',
  url: 'https://doors.example.com/headcount',
  events: ['check-in', 'check-out'],
  siteId: 'riverside',
  privateNetwork: false,
  createdAt: 1_796_000_000_000,
  createdBy: 'staff-account-id',
  pausedAt: null,
  pauseReason: null,
  lastStatus: 'HTTP 204',
  lastAttemptAt: 1_796_109_245_311,
  lastSuccessAt: 1_796_109_245_311,
  pending: 0,
  failed: 0,
};

export const ApiKeyInfo = Type.Object({
  id: Type.String({ description: 'the public part of the key' }),
  name: Type.String(),
  scopes: Type.Array(ApiKeyScopeSchema),
  createdAt: Type.Integer(),
  lastUsedAt: nullableTime,
  revokedAt: nullableTime,
});
export type ApiKeyInfo = Static<typeof ApiKeyInfo>;

export const ApiKeysAnswer = Type.Object(
  { keys: Type.Array(ApiKeyInfo) },
  { examples: [{ keys: [KEY_EXAMPLE] }] },
);
export type ApiKeysAnswer = Static<typeof ApiKeysAnswer>;

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 80, description: 'what the key is for' }),
    scopes: Type.Array(ApiKeyScopeSchema, { minItems: 1, maxItems: API_KEY_SCOPES.length }),
  },
  { examples: [{ name: 'Billing sync', scopes: ['members:read', 'members:write'] }] },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

export const CreatedApiKeyAnswer = Type.Object(
  {
    key: Type.String({ description: 'the secret key: shown this once, never again' }),
    info: ApiKeyInfo,
  },
  {
    examples: [
      {
        key: 'hck_q3Jb0d2kLx9a_0nA4…',
        info: {
          id: 'q3Jb0d2kLx9a',
          name: 'Billing sync',
          scopes: ['members:read', 'members:write'],
          createdAt: 1_796_000_000_000,
          lastUsedAt: null,
          revokedAt: null,
        },
      },
    ],
  },
);
export type CreatedApiKeyAnswer = Static<typeof CreatedApiKeyAnswer>;

/** Most members in one sync call. */
export const MAX_SYNC_MEMBERS = 10_000;

export const MemberSyncBody = Type.Object(
  {
    members: Type.Array(Type.Unknown(), {
      maxItems: MAX_SYNC_MEMBERS,
      description: 'members to add or change, by id; each checked like an import row ([M1]–[M4])',
    }),
    remove: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), {
        maxItems: MAX_SYNC_MEMBERS,
        description: 'ids of members to delete; nothing is deleted unless named here',
      }),
    ),
    dryRun: Type.Optional(Type.Boolean({ description: 'true: only say what would change' })),
  },
  {
    examples: [
      {
        members: [
          {
            id: 'B-10442',
            name: 'Ana Lima',
            codes: ['0004417723'],
            status: 'active',
            validUntil: '2027-06-30',
            homeSite: 'downtown',
            access: 'home',
          },
        ],
        remove: ['B-09911'],
      },
    ],
  },
);
export type MemberSyncBody = Static<typeof MemberSyncBody>;

export const MemberSyncAnswer = Type.Object(
  {
    added: Type.Integer(),
    changed: Type.Integer(),
    unchanged: Type.Integer(),
    removed: Type.Integer(),
    errors: Type.Array(
      Type.Object({
        index: Type.Integer({ description: 'position in `members` (or in `remove`), from 0' }),
        in: Type.Enum(['members', 'remove']),
        reason: Type.String(),
      }),
    ),
    applied: Type.Boolean({ description: 'false for a dry run' }),
  },
  {
    examples: [
      {
        added: 1,
        changed: 0,
        unchanged: 0,
        removed: 1,
        errors: [{ index: 3, in: 'members', reason: 'status is "gold"' }],
        applied: true,
      },
    ],
  },
);
export type MemberSyncAnswer = Static<typeof MemberSyncAnswer>;

export const WebhookEventSchema = Type.Enum([...WEBHOOK_EVENTS]);

export const WebhookEndpointInfo = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(WebhookEventSchema),
  siteId: Type.Union([Type.String(), Type.Null()], { description: 'null: every site' }),
  privateNetwork: Type.Boolean(),
  createdAt: Type.Integer(),
  createdBy: Type.String({ description: 'the account or API key that registered it' }),
  pausedAt: nullableTime,
  pauseReason: Type.Union([Type.String(), Type.Null()]),
  lastStatus: Type.Union([Type.String(), Type.Null()], {
    description: 'the last attempt: an HTTP status or what went wrong',
  }),
  lastAttemptAt: nullableTime,
  lastSuccessAt: nullableTime,
  pending: Type.Integer({ description: 'deliveries waiting (or retrying)' }),
  failed: Type.Integer({ description: 'deliveries given up on after retrying for a day' }),
});
export type WebhookEndpointInfo = Static<typeof WebhookEndpointInfo>;

export const WebhooksAnswer = Type.Object(
  { endpoints: Type.Array(WebhookEndpointInfo) },
  { examples: [{ endpoints: [ENDPOINT_EXAMPLE] }] },
);
export type WebhooksAnswer = Static<typeof WebhooksAnswer>;

export const CreateWebhookBody = Type.Object(
  {
    url: Type.String({ maxLength: 2000, description: 'https://…; http only to this machine' }),
    events: Type.Array(WebhookEventSchema, { minItems: 1, maxItems: WEBHOOK_EVENTS.length }),
    siteId: Type.Optional(Type.String({ description: 'only this site; every site when left out' })),
    privateNetwork: Type.Optional(
      Type.Boolean({
        description:
          "true: the receiver is on the gym's own network or this machine (admins only); plain http is then allowed to this machine",
      }),
    ),
  },
  {
    examples: [
      {
        url: 'https://doors.example.com/headcount',
        events: ['check-in', 'check-out'],
        siteId: 'riverside',
      },
    ],
  },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;

export const CreatedWebhookAnswer = Type.Object(
  {
    endpoint: WebhookEndpointInfo,
    secret: Type.String({
      description: 'whsec_…: the signing secret (Standard Webhooks), shown this once',
    }),
  },
  {
    examples: [
      {
        endpoint: {
          ...ENDPOINT_EXAMPLE,
          lastStatus: null,
          lastAttemptAt: null,
          lastSuccessAt: null,
        },
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      },
    ],
  },
);
export type CreatedWebhookAnswer = Static<typeof CreatedWebhookAnswer>;

export const ChangeWebhookBody = Type.Object(
  {
    paused: Type.Boolean({ description: 'false resumes a paused endpoint: its deliveries go on' }),
  },
  { examples: [{ paused: false }] },
);
export type ChangeWebhookBody = Static<typeof ChangeWebhookBody>;

/** What a webhook delivery's body holds ([I3]); `type` is the event with its schema version. */
export const WebhookPayload = Type.Object(
  {
    type: Type.String({ description: 'check-in.v1, check-out.v1, denied.v1, …' }),
    timestamp: Type.String({ description: 'when it happened (ISO 8601), not when it was sent' }),
    data: Type.Object({
      eventId: Type.String({ description: "the event's id; with the writer it is unique" }),
      ref: Type.String({ description: '<writer>/<event id>: the same as the webhook-id header' }),
      siteId: Type.String(),
      day: Type.String({ description: "the site's local day of the event" }),
      memberId: Type.Union([Type.String(), Type.Null()]),
      at: Type.Integer({ description: 'ms since the epoch, as recorded (clock corrected)' }),
      writer: Type.String({ description: 'kiosk:<device id> or staff:<account id>' }),
      method: Type.String(),
      clockTrusted: Type.Boolean(),
      detail: Type.Record(Type.String(), Type.Unknown()),
    }),
  },
  {
    examples: [
      {
        type: 'check-in.v1',
        timestamp: '2026-12-01T07:14:03.120Z',
        data: {
          eventId: '0195a3c4-5b6e-7f00-8a1b-2c3d4e5f6a7b',
          ref: 'kiosk:7c0e9a52-3f1d-4b8e-9a6c-5d2e1f0b4a93/0195a3c4-5b6e-7f00-8a1b-2c3d4e5f6a7b',
          siteId: 'downtown',
          day: '2026-12-01',
          memberId: 'B-10442',
          at: 1_796_109_243_120,
          writer: 'kiosk:7c0e9a52-3f1d-4b8e-9a6c-5d2e1f0b4a93',
          method: 'barcode',
          clockTrusted: true,
          detail: {},
        },
      },
    ],
  },
);
export type WebhookPayload = Static<typeof WebhookPayload>;
