/**
 * `npm start`: validates the configuration, builds the PWA if needed (see scripts/ensureBuild),
 * starts the server and prints where to find it. SIGTERM and SIGINT close connections and flush
 * pending stores before exiting.
 */
import { networkInterfaces } from 'node:os';
import { type Config, ConfigError, loadConfig } from './config';
import { startServer } from './server';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const server = await startServer(config, { routeConsole: true }).catch(
  (error: NodeJS.ErrnoException) => {
    const why =
      error.code === 'EADDRINUSE'
        ? `port ${config.port} is already in use (set PORT)`
        : error.message;
    process.stderr.write(`Could not start: ${why}\n`);
    process.exit(1);
  },
);

const lanAddresses = Object.values(networkInterfaces())
  .flat()
  .filter((i) => i && i.family === 'IPv4' && !i.internal)
  .map((i) => `http://${i?.address}:${server.port}`);
console.log(
  [
    `Headcount is running${server.firstStart ? ` (first start: created site "${config.siteId}" and a signing key in ${config.dataDir})` : ''}.`,
    `  Dashboard: ${server.url}/dashboard`,
    `  Kiosk:     ${server.url}/kiosk`,
    ...(config.host === '0.0.0.0' && lanAddresses.length > 0
      ? [`  On the gym network: ${lanAddresses.join(', ')}`]
      : []),
    ...(server.setupCode
      ? [
          '',
          `  No admin yet. One-time setup code: ${server.setupCode}`,
          `  Create the first admin with: npm run admin -- create-admin --username <name>`,
          `  or POST /api/setup {"code", "username", "password"}.`,
        ]
      : []),
  ].join('\n'),
);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: closing connections and saving documents…`);
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
