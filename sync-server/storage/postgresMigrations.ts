/**
 * PostgreSQL's schema, one migration per entry, applied in order at start under an advisory lock
 * (`schema_migrations` counts them), so instances starting together migrate once. The first is
 * SQLite's five migrations as they stand (`sqliteMigrations.ts`); later ones pair with SQLite's.
 * Every number is `bigint` (milliseconds overflow `integer`); `"end"` is quoted (a keyword here).
 * The update log has an index by document: several instances share it, and PostgreSQL's writes
 * do not grow a WAL per page the way SQLite's do.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `create table meta (key text primary key, value text not null);
   create table sites (
     id text primary key, name text not null, time_zone text not null, created_at bigint not null);
   create table documents (
     name text primary key, state bytea not null, updated_at bigint not null,
     version bigint not null default 0);
   create table staff (
     id text primary key, site_id text, username text not null unique, password_hash text not null,
     role text not null check (role in ('staff', 'viewer', 'admin')),
     created_at bigint not null, disabled_at bigint);
   create table refresh_tokens (
     hash text primary key, staff_id text not null references staff(id),
     expires_at bigint not null, revoked_at bigint);
   create table devices (
     id text primary key, site_id text not null references sites(id), name text not null,
     secret_hash text not null, created_at bigint not null, last_seen bigint,
     last_sync bigint, app_version text, revoked_at bigint);
   create table pairing_codes (
     hash text primary key, site_id text not null references sites(id), name text not null,
     created_by text not null, expires_at bigint not null, used_at bigint);
   create table events (
     site_id text not null, writer text not null, id text not null, day text not null,
     kind text not null, member_id text not null, at bigint not null, method text not null,
     clock_trusted integer not null, detail text, primary key (site_id, writer, id));
   create index events_by_day on events (site_id, day);
   create table visits (
     site_id text not null, writer text not null default '', id text not null,
     day text not null, member_id text not null, start bigint not null, "end" bigint,
     closed_by text, auto_close_at bigint, primary key (site_id, writer, id));
   create index visits_by_day on visits (site_id, day);
   create index visits_by_member on visits (site_id, member_id, day);
   create table day_problems (
     site_id text not null, day text not null, problems integer not null, flags integer not null,
     updated_at bigint not null, primary key (site_id, day));
   create table document_updates (
     seq bigserial primary key, name text not null, update_data bytea not null);
   create index document_updates_by_name on document_updates (name, seq);
   create table record_marks (name text primary key, version bigint not null);`,
  // SQLite's sixth: the day's index ends in (writer, id), the sweep's paging order.
  `create index events_by_day_key on events (site_id, day, writer, id);
   drop index events_by_day;
   create index visits_by_day_key on visits (site_id, day, writer, id);
   drop index visits_by_day;`,
  // SQLite's seventh: archived sites.
  'alter table sites add column archived_at bigint;',
  // SQLite's eighth: set-up codes.
  `create table account_setup (
     hash text primary key, staff_id text not null references staff(id) on delete cascade,
     expires_at bigint not null, used_at bigint);`,
  // SQLite's ninth: members, their codes, and the sites whose old roster was moved.
  `create table members (
     id text primary key, name text not null, codes text not null, status text not null,
     valid_until text, home_site text not null, access text not null, shard integer not null,
     updated_at bigint not null);
   create index members_by_shard on members (shard, home_site);
   create table member_codes (
     code text primary key, member_id text not null references members(id) on delete cascade);
   create index member_codes_by_member on member_codes (member_id);
   create table legacy_rosters (site_id text primary key, moved_at bigint not null);`,
  // SQLite's tenth: the sweep's fingerprint of the member table from an index.
  'create index members_fingerprint on members (shard, updated_at);',
  // SQLite's eleventh: API keys, webhook endpoints and the outbox of deliveries.
  `create table api_keys (
     id text primary key, name text not null, scopes text not null, hash text not null,
     created_at bigint not null, created_by text not null, revoked_at bigint,
     last_used_at bigint);
   create table webhook_endpoints (
     id text primary key, url text not null, events text not null, secret text not null,
     site_id text, private_network integer not null default 0, created_at bigint not null,
     created_by text not null, paused_at bigint, pause_reason text, last_status text,
     last_attempt_at bigint, last_success_at bigint);
   create table webhook_deliveries (
     seq bigserial primary key, endpoint_id text not null
       references webhook_endpoints(id) on delete cascade,
     message_id text not null, type text not null, member_key text not null,
     body text not null, created_at bigint not null, next_at bigint not null,
     attempts integer not null default 0, state text not null default 'pending',
     last_status text, delivered_at bigint);
   create unique index webhook_deliveries_once on webhook_deliveries (endpoint_id, message_id);
   create index webhook_deliveries_due on webhook_deliveries (state, next_at);
   create index webhook_deliveries_member on webhook_deliveries (endpoint_id, member_key, seq);`,
];
