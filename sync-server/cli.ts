/**
 * `npm run admin -- <command>`: manage a Headcount server's accounts and devices from a shell on
 * the server machine. Works on the server's database (PostgreSQL at DATABASE_URL, otherwise SQLite
 * in DATA_DIR), also while the server runs.
 *
 *   create-admin --username <name>                      an admin of every site
 *   create-staff --username <name> [--role staff|viewer] [--site <id>]
 *   pairing-code [--name <kiosk name>] [--site <id>]    a one-time code for a tablet (10 minutes)
 *   list-devices
 *   revoke-device <device id>
 *   list-staff
 *   invite-staff --username <name> [--role staff|viewer|admin] [--site <id>]   prints a set-up code
 *   disable-staff <username> | enable-staff <username> | reset-staff <username> | delete-staff <username>
 *   list-sites
 *   create-site --site <id> --name <name> --time-zone <IANA zone>
 *   archive-site <id> | restore-site <id>                a running server follows within 30 s
 *   export-members [--site <home site>]                  the chain's members as CSV ([M3], [M4])
 *   import-members <file.csv> [--site <id>] [--apply]    a preview, or with --apply the import
 *   create-api-key --name <name> --scope <scope> [--scope …]   prints the key once ([I1])
 *   list-api-keys | revoke-api-key <key id>
 *
 * Passwords are read from the terminal without echo, or from the first line of standard input
 * when it is not a terminal (never from arguments, which other users can see in `ps`).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { API_KEY_SCOPES, type ApiKeyScope } from '../shared/integrations';
import { membersToCsv, parseMemberCsv } from '../shared/memberCsv';
import { rosterDocsOf } from '../shared/rosterDoc';
import { AccountAdmin } from './AccountAdmin';
import { MAX_SIGNAL_NAMES, notifyCluster } from './ClusterSignals';
import { ConfigError, loadConfig } from './config';
import { DeviceRegistry } from './DeviceRegistry';
import { openDatabase, type Sql } from './database';
import { ApiKeyError, ApiKeys } from './integrations/ApiKeys';
import { WebhookEndpoints } from './integrations/WebhookEndpoints';
import { MemberDirectory } from './members/MemberDirectory';
import { planImport } from './members/planImport';
import { SiteError, SiteRegistry } from './SiteRegistry';
import {
  AccountError,
  normalizeUsername,
  STAFF_ROLES,
  StaffAccounts,
  type StaffRole,
} from './StaffAccounts';
import { clearSetupCode } from './setupCode';
import { siteExists, siteIds } from './sites';

const USAGE = `Usage: npm run admin -- <command> [options]
  create-admin --username <name>
  create-staff --username <name> [--role staff|viewer] [--site <id>]
  pairing-code [--name <kiosk name>] [--site <id>]
  list-devices
  revoke-device <device id>
  list-staff
  invite-staff --username <name> [--role staff|viewer|admin] [--site <id>]
  disable-staff <username> | enable-staff <username>
  reset-staff <username> | delete-staff <username>
  list-sites
  create-site --site <id> --name <name> --time-zone <IANA zone>
  archive-site <id>
  restore-site <id>
  export-members [--site <home site>] > members.csv
  import-members <members.csv> [--site <home site for rows without one>] [--apply]
  create-api-key --name <name> --scope <${API_KEY_SCOPES.join('|')}> [--scope …]
  list-api-keys
  revoke-api-key <key id>`;

async function readPassword(): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const lines = createInterface({ input });
    for await (const line of lines) {
      lines.close();
      return line;
    }
    return '';
  }
  process.stdout.write('Password: ');
  input.setRawMode(true);
  let typed = '';
  for await (const chunk of input) {
    for (const char of String(chunk)) {
      if (char === '\r' || char === '\n') {
        input.setRawMode(false);
        input.pause();
        process.stdout.write('\n');
        return typed;
      }
      if (char === '\u0003') process.exit(130);
      typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
    }
  }
  return typed;
}

function readArgs() {
  return parseArgs({
    allowPositionals: true,
    options: {
      username: { type: 'string' },
      role: { type: 'string' },
      site: { type: 'string' },
      name: { type: 'string' },
      'time-zone': { type: 'string' },
      apply: { type: 'boolean' },
      scope: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

async function main(): Promise<number> {
  let args: ReturnType<typeof readArgs>;
  try {
    args = readArgs();
  } catch (error) {
    // An unknown option: say which, and how it is used (not a stack trace).
    console.error(`Error: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = args;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [command, argument] = positionals;
  const config = loadConfig();
  const db = await openDatabase(config);
  const staff = new StaffAccounts(db);
  const devices = new DeviceRegistry(db);
  const sites = new SiteRegistry({ db, open: () => undefined });
  const accounts = new AccountAdmin(db);
  try {
    // Sites come from the first start (of the server, or of this CLI on a fresh install) and
    // from create-site ([C1]); nothing else makes one, not a typo in SITE_ID or --site.
    await sites.load();
    if (sites.list().length === 0) {
      await sites.create({ id: config.siteId, name: config.siteId, timeZone: config.siteTimeZone });
    }
    const site = values.site ?? config.siteId;
    if (command === 'create-site') {
      if (!values.site || !values.name || !values['time-zone'])
        throw new AccountError('create-site needs --site, --name and --time-zone');
      const { site: created, created: isNew } = await sites.create({
        id: values.site,
        name: values.name,
        timeZone: values['time-zone'],
      });
      if (!isNew) throw new AccountError(`there is a site ${created.id} already`);
      await notifyCluster(db, { kind: 'sites' });
      console.log(`Created site ${created.id} (${created.name}, ${created.timeZone}).`);
      return 0;
    }
    const usesSite =
      command === 'pairing-code' ||
      ((command === 'create-staff' || command === 'invite-staff') && values.role !== 'admin');
    if (usesSite && !(await siteExists(db, site))) {
      console.error(`Error: no site ${site} (this server has: ${(await siteIds(db)).join(', ')})`);
      return 1;
    }
    switch (command) {
      case 'create-admin':
      case 'create-staff': {
        if (!values.username) throw new AccountError('--username is required');
        const role = (command === 'create-admin' ? 'admin' : (values.role ?? 'staff')) as StaffRole;
        if (!STAFF_ROLES.includes(role) || (command === 'create-staff' && role === 'admin')) {
          throw new AccountError('--role must be staff or viewer (use create-admin for admins)');
        }
        const member = await staff.create({
          username: values.username,
          password: await readPassword(),
          role,
          siteId: role === 'admin' ? null : site,
        });
        // The printed setup code is for the first account only; now there is one.
        await clearSetupCode(db);
        console.log(
          `Created ${member.role} ${member.username}${member.siteId ? ` for site ${member.siteId}` : ''}.`,
        );
        return 0;
      }
      case 'pairing-code': {
        if (sites.state(site) === 'archived')
          throw new AccountError(`site ${site} is archived: restore it to pair tablets`);
        const { code, expiresAt } = await devices.createPairingCode(
          site,
          values.name ?? 'Kiosk',
          'cli',
        );
        console.log(
          `Pairing code for site ${site}: ${code} (valid until ${new Date(expiresAt).toLocaleTimeString()}, single use)`,
        );
        return 0;
      }
      case 'list-devices': {
        for (const d of await devices.list(null)) {
          const state = d.revokedAt
            ? 'revoked'
            : `last seen ${d.lastSeen ? new Date(d.lastSeen).toISOString() : 'never'}`;
          console.log(`${d.id}  ${d.siteId}  ${d.name}  ${state}  ${d.appVersion ?? ''}`);
        }
        return 0;
      }
      case 'list-staff': {
        for (const a of await accounts.list()) {
          const state = a.disabledAt ? 'disabled' : a.setupPending ? 'set-up pending' : 'active';
          console.log(`${a.username}  ${a.role}  ${a.siteId ?? 'every site'}  ${state}`);
        }
        return 0;
      }
      case 'invite-staff': {
        if (!values.username) throw new AccountError('--username is required');
        const role = (values.role ?? 'staff') as StaffRole;
        const made = await accounts.invite({ username: values.username, role, siteId: site });
        await clearSetupCode(db);
        console.log(
          `Created ${made.account.role} ${made.account.username}. Set-up code: ${made.code} (single use, until ${new Date(made.expiresAt).toISOString()}): they choose their password with it on the dashboard's sign-in screen.`,
        );
        return 0;
      }
      case 'disable-staff':
      case 'enable-staff':
      case 'reset-staff':
      case 'delete-staff': {
        const target = (await accounts.list()).find(
          (a) => a.username === normalizeUsername(argument ?? ''),
        );
        if (!target) throw new AccountError(`no account ${argument ?? '(give a username)'}`);
        const taking = command !== 'enable-staff';
        if (
          taking &&
          target.role === 'admin' &&
          target.disabledAt === null &&
          (await accounts.activeAdmins()) <= 1
        )
          throw new AccountError(`${target.username} is the last admin who can sign in`);
        if (command === 'reset-staff') {
          const reset = await accounts.reset(target.id);
          console.log(
            `New set-up code for ${target.username}: ${reset?.code}. Their password no longer works.`,
          );
        } else if (command === 'delete-staff') {
          await accounts.delete(target.id);
          console.log(`Deleted ${target.username}.`);
        } else {
          await accounts.setDisabled(target.id, command === 'disable-staff');
          console.log(
            `${command === 'disable-staff' ? 'Disabled' : 'Enabled'} ${target.username}.`,
          );
        }
        if (taking) {
          await notifyCluster(db, { kind: 'subject', subject: target.id, reason: 'revoked' });
          console.log(
            'Its sessions are ended; a running server closes its connections within 30 s (at once with PostgreSQL).',
          );
        }
        return 0;
      }
      case 'list-sites': {
        for (const s of sites.list()) {
          console.log(`${s.id}  ${s.name}  ${s.timeZone}${s.archivedAt ? '  archived' : ''}`);
        }
        return 0;
      }
      case 'archive-site':
      case 'restore-site': {
        if (!argument) throw new AccountError(`${command} needs a site id`);
        const changed = await sites.setArchived(argument, command === 'archive-site');
        await notifyCluster(db, { kind: 'sites' });
        console.log(
          `${changed.archivedAt ? 'Archived' : 'Restored'} site ${changed.id}. A running server follows within 30 s (at once with PostgreSQL).`,
        );
        return 0;
      }
      case 'export-members': {
        const list = await new MemberDirectory(db).list(
          values.site ? { homeSite: values.site } : {},
        );
        // With a byte-order mark, as the dashboard's files: Excel then reads accents right.
        process.stdout.write(`\ufeff${membersToCsv(list)}`);
        return 0;
      }
      case 'import-members': {
        if (!argument) throw new AccountError('import-members needs a CSV file');
        return await importMembers(db, sites, argument, site, values.apply === true);
      }
      case 'create-api-key': {
        const made = await new ApiKeys(db).create({
          name: values.name ?? '',
          scopes: (values.scope ?? []) as ApiKeyScope[],
          createdBy: 'cli',
        });
        console.error(
          `Created API key ${made.info.id} (${made.info.name}: ${made.info.scopes.join(', ')}). It is shown this once:`,
        );
        console.log(made.key);
        return 0;
      }
      case 'list-api-keys': {
        for (const key of await new ApiKeys(db).list()) {
          const state = key.revokedAt ? 'revoked' : 'active';
          const used = key.lastUsedAt ? new Date(key.lastUsedAt).toISOString() : 'never';
          console.log(
            `${key.id}  ${key.name}  ${key.scopes.join(',')}  ${state}  last used ${used}`,
          );
        }
        return 0;
      }
      case 'revoke-api-key': {
        if (!argument || !(await new ApiKeys(db).revoke(argument)))
          throw new AccountError('no such API key');
        await new WebhookEndpoints(db).pauseCreatedBy(
          `key:${argument}`,
          'the API key that registered it was revoked',
        );
        console.log(
          `Revoked API key ${argument}: refused from its next request, on every instance.`,
        );
        return 0;
      }
      case 'revoke-device': {
        if (!argument || !(await devices.revoke(argument)))
          throw new AccountError('no such active device');
        await notifyCluster(db, { kind: 'subject', subject: argument, reason: 'revoked' });
        console.log(
          `Revoked ${argument}. It can no longer get tokens; a running server closes its connections within 30 s (at once with PostgreSQL).`,
        );
        return 0;
      }
      default:
        console.error(USAGE);
        return command ? 2 : 0;
    }
  } catch (error) {
    if (
      error instanceof AccountError ||
      error instanceof SiteError ||
      error instanceof ApiKeyError
    ) {
      console.error(`Error: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await devices.stop();
    await db.close();
  }
}

/**
 * Plans a member CSV file as an admin's import ([M1]–[M6]); writes it with `apply`. A running
 * server's open rosters follow at once with PostgreSQL, within one sweep (30 s) with SQLite.
 */
async function importMembers(
  db: Sql,
  sites: SiteRegistry,
  file: string,
  homeSite: string,
  apply: boolean,
): Promise<number> {
  const parsed = parseMemberCsv(readFileSync(file, 'utf8'), { homeSite });
  const directory = new MemberDirectory(db);
  const plan = await planImport(directory, (id) => sites.state(id), { role: 'admin' }, parsed.rows);
  const errors = [...parsed.errors, ...plan.errors].sort((a, b) => a.line - b.line);
  for (const warning of parsed.warnings) console.log(`Note: ${warning}`);
  for (const { line, reason } of errors) console.log(`Line ${line}: ${reason}`);
  const added = plan.changes.filter((change) => change.before === null).length;
  const counts = `${added} new, ${plan.changes.length - added} changed, ${plan.unchanged} unchanged, ${errors.length} not imported`;
  if (!apply) {
    console.log(`${counts}. Nothing written: run again with --apply to import.`);
    return 0;
  }
  await directory.write(plan.changes);
  const names = [
    ...new Set(
      plan.changes.flatMap(({ before, after }) => [
        ...(before ? rosterDocsOf(before) : []),
        ...rosterDocsOf(after),
      ]),
    ),
  ];
  if (names.length <= MAX_SIGNAL_NAMES) await notifyCluster(db, { kind: 'rosters', names });
  console.log(
    `Imported: ${counts}. A running server's tablets have it within 30 s (at once with PostgreSQL).`,
  );
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
