/**
 * SQLite's schema, one migration per entry, applied in order at open (`user_version` counts them).
 * Never edit one that has shipped: add the next. PostgreSQL's schema (`postgresMigrations.ts`)
 * starts from the result; a migration added here has its counterpart there.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `create table meta (key text primary key, value text not null);
   create table sites (
     id text primary key, name text not null, time_zone text not null, created_at integer not null);
   create table documents (name text primary key, state blob not null, updated_at integer not null);
   create table staff (
     id text primary key, site_id text, username text not null unique, password_hash text not null,
     role text not null check (role in ('staff', 'viewer', 'admin')),
     created_at integer not null, disabled_at integer);
   create table refresh_tokens (
     hash text primary key, staff_id text not null references staff(id),
     expires_at integer not null, revoked_at integer);
   create table devices (
     id text primary key, site_id text not null references sites(id), name text not null,
     secret_hash text not null, created_at integer not null, last_seen integer,
     last_sync integer, app_version text, revoked_at integer);
   create table pairing_codes (
     hash text primary key, site_id text not null references sites(id), name text not null,
     created_by text not null, expires_at integer not null, used_at integer);
   create table events (
     id text primary key, site_id text not null, day text not null, kind text not null,
     member_id text not null, at integer not null, writer text not null, method text not null,
     clock_trusted integer not null, detail text);
   create index events_by_day on events (site_id, day);
   create table visits (
     id text primary key, site_id text not null, day text not null, member_id text not null,
     start integer not null, end integer, closed_by text);
   create index visits_by_day on visits (site_id, day);
   create table day_problems (
     site_id text not null, day text not null, problems integer not null, flags integer not null,
     updated_at integer not null, primary key (site_id, day));`,
  // When an open visit closes by itself ([V7]): reports close it then, even if its day's
  // document is never stored again to rewrite the row.
  'alter table visits add column auto_close_at integer;',
  // An event is its writer and id ([E2]): two writers may hold the same id, so both tables are
  // keyed by site, writer and id. SQLite cannot change a primary key in place: each table is
  // rebuilt with its rows. A visit's writer is its check-in's; old rows take it from `events`
  // (ids were unique then), or '' when that row is gone. Rows written without one get '' too.
  `create table events_by_writer (
     site_id text not null, writer text not null, id text not null, day text not null,
     kind text not null, member_id text not null, at integer not null, method text not null,
     clock_trusted integer not null, detail text, primary key (site_id, writer, id));
   insert into events_by_writer
     (site_id, writer, id, day, kind, member_id, at, method, clock_trusted, detail)
     select site_id, writer, id, day, kind, member_id, at, method, clock_trusted, detail
     from events;
   create table visits_by_writer (
     site_id text not null, writer text not null default '', id text not null,
     day text not null, member_id text not null, start integer not null, end integer,
     closed_by text, auto_close_at integer, primary key (site_id, writer, id));
   insert into visits_by_writer
     (site_id, writer, id, day, member_id, start, end, closed_by, auto_close_at)
     select v.site_id,
       coalesce((select min(e.writer) from events e where e.site_id = v.site_id and e.id = v.id), ''),
       v.id, v.day, v.member_id, v.start, v.end, v.closed_by, v.auto_close_at
     from visits v;
   drop table events;
   drop table visits;
   alter table events_by_writer rename to events;
   alter table visits_by_writer rename to visits;
   create index events_by_day on events (site_id, day);
   create index visits_by_day on visits (site_id, day);`,
  // Every accepted update, written before it is applied, acknowledged or relayed, until the
  // document's state is stored with it ([W5]): a crash loses nothing any client was told.
  // No index and no AUTOINCREMENT: each would add a page to the WAL on every append (13 KB
  // instead of 4 KB per check-in). The log holds at most about a quarter of each open document
  // (DurableDocuments), a few thousand rows, so the scans at a load or a fold are cheap.
  `create table document_updates (
     seq integer primary key, name text not null, update_data blob not null);`,
  // The record follows each document incrementally ([R2]): every store counts up the document's
  // version, and the record notes the version it has followed, so a start after a crash (or an
  // upgrade: no marks yet) rebuilds exactly the days whose record is behind. Visits are
  // rewritten per member, so they are found by member.
  `alter table documents add column version integer not null default 0;
   create table record_marks (name text primary key, version integer not null);
   create index visits_by_member on visits (site_id, member_id, day);`,
  // The record's stale-row sweep pages through a day by (writer, id) ([R3]): with the day's index
  // ending in those columns a page is one index range, not a scan of the site's history.
  `create index events_by_day_key on events (site_id, day, writer, id);
   drop index events_by_day;
   create index visits_by_day_key on visits (site_id, day, writer, id);
   drop index visits_by_day;`,
  // Sites are created and archived by admins (SPEC [C1]–[C2]): an archived site takes nothing new.
  'alter table sites add column archived_at integer;',
  // Accounts made by an admin get a one-time set-up code; the person chooses their own password
  // with it (SPEC [C5]). Only its hash is kept.
  `create table account_setup (
     hash text primary key, staff_id text not null references staff(id) on delete cascade,
     expires_at integer not null, used_at integer);`,
  // Members of the chain ([M4]–[M6]): the source the roster documents are projected from
  // ([D7]). `access` is JSON ("home", "all" or a list of site ids), so a roster document's
  // members are one indexed query: the shard, then home site or a quoted id in the list. Card
  // codes are unique in the chain, kept by their own primary key. `legacy_rosters` notes the
  // sites whose site-document members were moved here.
  `create table members (
     id text primary key, name text not null, codes text not null, status text not null,
     valid_until text, home_site text not null, access text not null, shard integer not null,
     updated_at integer not null);
   create index members_by_shard on members (shard, home_site);
   create table member_codes (
     code text primary key, member_id text not null references members(id) on delete cascade);
   create index member_codes_by_member on member_codes (member_id);
   create table legacy_rosters (site_id text primary key, moved_at integer not null);`,
  // The sweep's per-shard fingerprint of the member table ([D7]) reads only this index: 3.5 ms
  // instead of 18 ms at 50 000 members, every 30 s on the event loop ([R3]).
  'create index members_fingerprint on members (shard, updated_at);',
  // Integrations (issue 13): API keys for machine clients (only a hash of each secret is kept;
  // revoked keys stay listed), webhook endpoints, and the durable outbox of their deliveries,
  // filled in the same transaction as the record's new events ([I3]). `message_id` is unique
  // per endpoint: a rebuilt record enqueues nothing twice.
  `create table api_keys (
     id text primary key, name text not null, scopes text not null, hash text not null,
     created_at integer not null, created_by text not null, revoked_at integer,
     last_used_at integer);
   create table webhook_endpoints (
     id text primary key, url text not null, events text not null, secret text not null,
     site_id text, private_network integer not null default 0, created_at integer not null,
     created_by text not null, paused_at integer, pause_reason text, last_status text,
     last_attempt_at integer, last_success_at integer);
   create table webhook_deliveries (
     seq integer primary key, endpoint_id text not null
       references webhook_endpoints(id) on delete cascade,
     message_id text not null, type text not null, member_key text not null,
     body text not null, created_at integer not null, next_at integer not null,
     attempts integer not null default 0, state text not null default 'pending',
     last_status text, delivered_at integer);
   create unique index webhook_deliveries_once on webhook_deliveries (endpoint_id, message_id);
   create index webhook_deliveries_due on webhook_deliveries (state, next_at);
   create index webhook_deliveries_member on webhook_deliveries (endpoint_id, member_key, seq);`,
];
