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
 *
 * Passwords are read from the terminal without echo, or from the first line of standard input
 * when it is not a terminal (never from arguments, which other users can see in `ps`).
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { AccountAdmin } from './AccountAdmin';
import { notifyCluster } from './ClusterSignals';
import { ConfigError, loadConfig } from './config';
import { DeviceRegistry } from './DeviceRegistry';
import { openDatabase } from './database';
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
  restore-site <id>`;

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
    if (error instanceof AccountError || error instanceof SiteError) {
      console.error(`Error: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await devices.stop();
    await db.close();
  }
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
