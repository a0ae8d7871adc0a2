import Type, { type Static, type TSchema } from 'typebox';
import { OCCUPANCY_BANDS } from './occupancyBand';
import { REFUSAL_REASONS } from './refusals';

/**
 * The JSON API's wire protocol, declared once: every request body, answer and error code that
 * crosses HTTP. The server validates and serialises with these schemas (and publishes them as
 * OpenAPI at `/api/openapi.json`); the kiosk and dashboard use the derived types with
 * `import type` only, so nothing here reaches their bundles.
 *
 * Field descriptions double as the error message for a bad field: `username: a string of 1–40
 * characters`.
 */

/** Codes of the API's own refusals; token refusals add the reasons of `REFUSAL_REASONS`. */
export const API_ERROR_CODES = [
  'invalid',
  'bad-json',
  'bad-url',
  'too-large',
  'not-found',
  'method-not-allowed',
  'forbidden',
  'no-such-site',
  'site-exists',
  'bad-setup-link',
  'last-admin',
  'already-set-up',
  'bad-setup-code',
  'too-many-attempts',
  'bad-credentials',
  'bad-refresh-token',
  'bad-pairing-code',
  'bad-device-credential',
  'bad-metrics-token',
  'bad-api-key',
  'missing-scope',
  'bad-webhook-url',
  'internal',
] as const;

/** Every machine-readable `code` an API error may carry. */
export type ApiErrorCode = (typeof API_ERROR_CODES)[number] | (typeof REFUSAL_REASONS)[number];

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const text = (max: number) =>
  Type.String({ minLength: 1, maxLength: max, description: `a string of 1–${max} characters` });
const localDay = Type.String({ description: 'a local day YYYY-MM-DD' });

export const ApiError = Type.Object(
  {
    error: Type.Object({
      code: Type.Enum([...API_ERROR_CODES, ...REFUSAL_REASONS]),
      message: Type.String(),
    }),
  },
  { description: 'every error answer' },
);
/** The body of every error answer. */
export type ApiError = { error: { code: ApiErrorCode; message: string } };

export const StaffRole = Type.Enum(['staff', 'viewer', 'admin']);
export type StaffRole = Static<typeof StaffRole>;

export const StaffAccount = Type.Object({
  id: Type.String(),
  siteId: nullable(Type.String({ description: 'null for an admin of every site' })),
  username: Type.String(),
  role: StaffRole,
});
export type StaffAccount = Static<typeof StaffAccount>;

export const TimeAnswer = Type.Object({ now: Type.Number({ description: 'server clock, ms' }) });
export type TimeAnswer = Static<typeof TimeAnswer>;

export const SetupBody = Type.Object({ code: text(40), username: text(40), password: text(200) });
export type SetupBody = Static<typeof SetupBody>;
export const SetupAnswer = Type.Object({ staff: StaffAccount });
export type SetupAnswer = Static<typeof SetupAnswer>;

export const SignInBody = Type.Object({ username: text(40), password: text(200) });
export type SignInBody = Static<typeof SignInBody>;
export const RefreshBody = Type.Object({
  refreshToken: text(100),
  siteId: Type.Optional(
    Type.String({
      description: "switch to this site (one of the session's `sites`); default the same site",
    }),
  ),
});
export type RefreshBody = Static<typeof RefreshBody>;

/** A site as an account sees it: what it is called, where, and the account's role there. */
export const SiteSummary = Type.Object({
  id: Type.String({ description: 'lower-case slug; never changes' }),
  name: Type.String({ description: "from the site's settings" }),
  timeZone: Type.String(),
  archived: Type.Boolean({ description: 'takes no check-ins; its history stays readable' }),
  role: StaffRole,
});
export type SiteSummary = Static<typeof SiteSummary>;
export const SitesAnswer = Type.Object({ sites: Type.Array(SiteSummary) });
export type SitesAnswer = Static<typeof SitesAnswer>;
export const SiteAnswer = Type.Object({ site: SiteSummary });
export type SiteAnswer = Static<typeof SiteAnswer>;
/** The chain overview: each site's numbers from the server's record, and the total. */
export const SiteNumbersRow = Type.Object({
  id: Type.String(),
  name: Type.String(),
  archived: Type.Boolean(),
  currentlyIn: Type.Integer(),
  visitsToday: Type.Integer({ description: "visits that started today, the site's local day" }),
});
export type SiteNumbersRow = Static<typeof SiteNumbersRow>;
export const OverviewAnswer = Type.Object({
  asOf: Type.Number({ description: 'server clock, ms: the record lags check-ins by seconds' }),
  sites: Type.Array(SiteNumbersRow),
  total: Type.Object({ currentlyIn: Type.Integer(), visitsToday: Type.Integer() }),
});
export type OverviewAnswer = Static<typeof OverviewAnswer>;
export const CreateSiteBody = Type.Object({
  id: Type.String({
    pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
    description: 'a lower-case slug like "hilltop" (letters, digits, hyphens; 1–63)',
  }),
  name: text(60),
  timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'an IANA time zone' }),
});
export type CreateSiteBody = Static<typeof CreateSiteBody>;

/** A sign-in or a refresh: a new access token and the next (single-use) refresh credential. */
export const SessionAnswer = Type.Object({
  accessToken: Type.String(),
  expiresIn: Type.Integer({ description: 'seconds' }),
  refreshToken: Type.String(),
  staff: StaffAccount,
  siteId: Type.String({ description: 'the site a dashboard shows (the token is for it)' }),
  sites: Type.Array(SiteSummary, { description: 'every site the account may switch to' }),
});
export type SessionAnswer = Static<typeof SessionAnswer>;
export const OkAnswer = Type.Object({ ok: Type.Literal(true) });

export const PairingCodeBody = Type.Object({
  name: Type.Optional(text(60)),
  siteId: Type.Optional(Type.String({ description: 'an admin names the site' })),
});
export type PairingCodeBody = Static<typeof PairingCodeBody>;
export const PairingCodeAnswer = Type.Object({
  code: Type.String(),
  expiresAt: Type.Number({ description: 'ms' }),
});
export type PairingCodeAnswer = Static<typeof PairingCodeAnswer>;

export const PairBody = Type.Object({ code: text(20), appVersion: Type.Optional(text(40)) });
export type PairBody = Static<typeof PairBody>;
export const PairAnswer = Type.Object({
  deviceId: Type.String(),
  deviceSecret: Type.String(),
  siteId: Type.String(),
  name: Type.String(),
});
export type PairAnswer = Static<typeof PairAnswer>;

export const DeviceTokenBody = Type.Object({
  deviceId: text(64),
  deviceSecret: text(100),
  appVersion: Type.Optional(Type.String()),
});
export type DeviceTokenBody = Static<typeof DeviceTokenBody>;
export const DeviceTokenAnswer = Type.Object({
  accessToken: Type.String(),
  expiresIn: Type.Integer({ description: 'seconds' }),
  siteId: Type.String(),
  name: Type.String(),
});
export type DeviceTokenAnswer = Static<typeof DeviceTokenAnswer>;

const deviceFields = {
  id: Type.String(),
  siteId: Type.String(),
  name: Type.String(),
  createdAt: Type.Number(),
  lastSeen: nullable(Type.Number()),
  lastSync: nullable(Type.Number()),
  appVersion: nullable(Type.String()),
  revokedAt: nullable(Type.Number()),
};
export const Device = Type.Object(deviceFields);
export type Device = Static<typeof Device>;
/** A kiosk as `GET /api/devices` lists it. */
export const DeviceInfo = Type.Object({ ...deviceFields, online: Type.Boolean() });
export type DeviceInfo = Static<typeof DeviceInfo>;
export const DevicesAnswer = Type.Object({ devices: Type.Array(DeviceInfo) });
export type DevicesAnswer = Static<typeof DevicesAnswer>;
export const RenameBody = Type.Object({ name: text(60) });
export const DeviceAnswer = Type.Object({ device: nullable(Device) });
export const RevokeAnswer = Type.Object({
  device: nullable(Device),
  closedConnections: Type.Integer(),
});

/** An account as the Staff screen lists it (admins). */
export const AccountInfo = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: StaffRole,
  siteId: nullable(Type.String({ description: 'null for an admin of every site' })),
  createdAt: Type.Number(),
  disabledAt: nullable(Type.Number()),
  setupPending: Type.Boolean({ description: 'its person has not chosen a password yet' }),
});
export type AccountInfo = Static<typeof AccountInfo>;
export const AccountsAnswer = Type.Object({ accounts: Type.Array(AccountInfo) });
export type AccountsAnswer = Static<typeof AccountsAnswer>;
export const AccountAnswer = Type.Object({ account: AccountInfo });
export type AccountAnswer = Static<typeof AccountAnswer>;
export const CreateAccountBody = Type.Object({
  username: text(40),
  role: StaffRole,
  siteId: Type.Optional(Type.String({ description: 'required for staff and viewers' })),
});
export type CreateAccountBody = Static<typeof CreateAccountBody>;
export const ChangeAccountBody = Type.Object({
  role: StaffRole,
  siteId: Type.Optional(Type.String({ description: 'required for staff and viewers' })),
});
export type ChangeAccountBody = Static<typeof ChangeAccountBody>;
/** A one-time set-up code: its person chooses their password with it (valid 24 hours). */
export const SetupCodeAnswer = Type.Object({
  account: AccountInfo,
  setupCode: Type.String(),
  expiresAt: Type.Number(),
});
export type SetupCodeAnswer = Static<typeof SetupCodeAnswer>;
export const AccountSetupBody = Type.Object({ code: text(40), password: text(200) });
export type AccountSetupBody = Static<typeof AccountSetupBody>;

export const StaffListAnswer = Type.Object({
  staff: Type.Array(Type.Object({ id: Type.String(), username: Type.String(), role: StaffRole })),
});
export type StaffListAnswer = Static<typeof StaffListAnswer>;

/** `?siteId=` is for admins; `from`/`to` are local days of the site, both included. */
export const RangeQuery = Type.Object({
  from: Type.Optional(localDay),
  to: Type.Optional(localDay),
  siteId: Type.Optional(Type.String()),
});
export const PeakHoursQuery = Type.Object({
  weeks: Type.Optional(Type.String({ description: 'a whole number from 1 to 12' })),
  siteId: Type.Optional(Type.String()),
});

export const MemberVisit = Type.Object({
  id: Type.String(),
  day: Type.String(),
  start: Type.Number(),
  end: nullable(Type.Number()),
  closedBy: nullable(Type.String()),
  stayMs: nullable(Type.Number()),
});
export type MemberVisit = Static<typeof MemberVisit>;
export const MemberVisitsAnswer = Type.Object({
  memberId: Type.String(),
  name: nullable(Type.String()),
  from: Type.String(),
  to: Type.String(),
  visits: Type.Array(MemberVisit),
});
export type MemberVisitsAnswer = Static<typeof MemberVisitsAnswer>;

export const PeakHoursAnswer = Type.Object({
  timeZone: Type.String(),
  from: Type.String(),
  to: Type.String(),
  weeks: Type.Integer(),
  hours: Type.Array(Type.Array(Type.Number()), {
    description: 'hours[weekday][hour], Monday 0, local: average members present',
  }),
});
export type PeakHoursAnswer = Static<typeof PeakHoursAnswer>;

/** How busy a site is ([S9]): `quiet` below 80 % of capacity, `busy` from 80 %, `very-busy` from 90 %. */
export const OccupancyBandSchema = nullable(
  Type.Enum([...OCCUPANCY_BANDS], { description: 'null: the site sets no capacity' }),
);
/**
 * A site's public "how busy" answer ([P1]–[P3]): no authentication, readable from any origin,
 * the same for everyone for 5 seconds. Counts only when the site shows them.
 */
export const PublicOccupancyAnswer = Type.Object(
  {
    siteId: Type.String(),
    name: Type.String({ description: "the site's display name" }),
    timeZone: Type.String({ description: "the site's IANA zone, for showing asOf" }),
    band: OccupancyBandSchema,
    count: nullable(
      Type.Integer({ description: 'members in now; null unless the site shows the count' }),
    ),
    capacity: nullable(
      Type.Integer({ description: 'null unless the site shows the count and sets a capacity' }),
    ),
    typical: nullable(
      Type.Object(
        {
          weekday: Type.Integer({ description: 'Monday 0 … Sunday 6, local' }),
          hour: Type.Integer({ description: 'local hour 0–23' }),
          band: OccupancyBandSchema,
          count: nullable(
            Type.Integer({ description: 'average present, rounded; null unless counts are shown' }),
          ),
        },
        { description: 'this hour of this weekday over the last 4 weeks; null: no history yet' },
      ),
    ),
    live: Type.Boolean({ description: "true while one of the site's kiosks is connected" }),
    asOf: nullable(
      Type.Number({
        description: 'ms epoch of the state described; null: nothing has reached the server yet',
      }),
    ),
    ageSeconds: nullable(Type.Integer({ description: 'how old asOf was when answered' })),
  },
  {
    examples: [
      {
        siteId: 'riverside',
        name: 'Riverside',
        timeZone: 'Europe/Amsterdam',
        band: 'busy',
        count: 42,
        capacity: 50,
        typical: { weekday: 0, hour: 18, band: 'quiet', count: 31 },
        live: false,
        asOf: 1767114300000,
        ageSeconds: 720,
      },
    ],
  },
);
export type PublicOccupancyAnswer = Static<typeof PublicOccupancyAnswer>;

/**
 * A member as the API carries it ([M4]–[M6]); the server checks it with `checkMember` too, so a
 * record that passes here may still be refused with its reason.
 */
export const MemberRecord = Type.Object({
  id: Type.String({ description: 'a member number of 1–64 letters, digits, _ . -' }),
  name: text(120),
  codes: Type.Array(Type.String(), { description: 'up to 10 card codes', maxItems: 10 }),
  status: Type.Enum(['active', 'frozen', 'expired']),
  validUntil: nullable(Type.String({ description: 'a local day YYYY-MM-DD' })),
  homeSite: Type.String({ description: 'a site id' }),
  access: Type.Union([Type.Literal('home'), Type.Literal('all'), Type.Array(Type.String())], {
    description: '"home", "all" or the other site ids the member may use',
  }),
});
export type MemberRecord = Static<typeof MemberRecord>;
export const MembersQuery = Type.Object({
  homeSite: Type.Optional(Type.String({ description: "only this site's members" })),
});
export const MembersAnswer = Type.Object({ members: Type.Array(MemberRecord) });
export type MembersAnswer = Static<typeof MembersAnswer>;
export const MemberAnswer = Type.Object({ member: MemberRecord });
export type MemberAnswer = Static<typeof MemberAnswer>;

/** Most members one import request carries; a larger file is sent in parts. */
export const MAX_IMPORT_BATCH = 5000;
export const MemberImportBody = Type.Object({
  rows: Type.Array(
    Type.Object({
      line: Type.Integer({ minimum: 1, description: 'the line in the file, for errors' }),
      member: Type.Unknown(),
    }),
    { maxItems: MAX_IMPORT_BATCH },
  ),
  apply: Type.Boolean({ description: 'false: only say what would change ([M1])' }),
});
export type MemberImportBody = Static<typeof MemberImportBody>;
export const MemberImportAnswer = Type.Object({
  added: Type.Integer(),
  changed: Type.Integer(),
  unchanged: Type.Integer(),
  errors: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() })),
  applied: Type.Boolean(),
});
export type MemberImportAnswer = Static<typeof MemberImportAnswer>;

/** Visits at every site over local days from–to ([C6]): who came, and from which home. */
export const ChainVisitsQuery = Type.Object({ from: localDay, to: localDay });
export const ChainVisitsRow = Type.Object({
  siteId: Type.String(),
  name: Type.String(),
  visits: Type.Integer(),
  members: Type.Integer({ description: 'different members who visited' }),
  awayVisits: Type.Integer({ description: 'visits by members whose home is another site' }),
  byHome: Type.Array(Type.Object({ homeSite: Type.String(), visits: Type.Integer() }), {
    description: 'the away visits by home site, most first',
  }),
});
export type ChainVisitsRow = Static<typeof ChainVisitsRow>;
export const ChainVisitsAnswer = Type.Object({
  from: Type.String(),
  to: Type.String(),
  sites: Type.Array(ChainVisitsRow),
  total: Type.Object({
    visits: Type.Integer(),
    members: Type.Integer({ description: 'different members, counted once in the chain' }),
    awayVisits: Type.Integer(),
  }),
});
export type ChainVisitsAnswer = Static<typeof ChainVisitsAnswer>;
