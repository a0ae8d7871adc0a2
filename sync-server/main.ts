/**
 * `npm start`: validates the configuration, builds the PWA if needed (see scripts/ensureBuild),
 * starts the server and prints where to find it. SIGTERM and SIGINT close connections and flush
 * pending stores before exiting; with TLS, SIGHUP reads the certificate files again.
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

// A renewed certificate (a deploy hook, `kill -HUP`): read the files again. Listening before the
// start screen says where to send it.
if (server.certificate) process.on('SIGHUP', () => server.certificate?.reload('SIGHUP'));

const lanAddresses = Object.values(networkInterfaces())
  .flat()
  .filter((i) => i && i.family === 'IPv4' && !i.internal)
  .map((i) => `${config.tls ? 'https' : 'http'}://${i?.address}:${server.port}`);
// Behind a proxy, PUBLIC_URL is where people go; the server's own address is the proxy's upstream.
const shownUrl = config.publicUrls[0] ?? server.url;
const certificate = server.certificate?.material;
console.log(
  [
    `Headcount is running${server.firstStart ? ` (first start: created site "${config.siteId}" and a signing key in ${config.dataDir})` : ''}.`,
    `  Dashboard: ${shownUrl}/dashboard`,
    `  Kiosk:     ${shownUrl}/kiosk`,
    ...(config.host === '0.0.0.0' && lanAddresses.length > 0 && config.publicUrls.length === 0
      ? [`  On the gym network: ${lanAddresses.join(', ')}`]
      : []),
    ...(certificate
      ? [
          `  HTTPS with the certificate for ${certificate.names}, valid until ${certificate.validTo.toISOString()}`,
          // npm and tsx do not pass SIGHUP on: it must reach this process itself.
          `  (read again when TLS_CERT or TLS_KEY change, or on \`kill -HUP ${process.pid}\`).`,
        ]
      : []),
    `  Browser pages may write from: ${server.acceptedOrigins.join(', ')}`,
    ...(config.publicUrls.length === 0
      ? [
          "  (the server's own addresses; set PUBLIC_URL to the address browsers use, e.g. a proxy's)",
        ]
      : []),
    ...(config.trustProxy && config.publicUrls.length === 0
      ? [
          '  Warning: TRUST_PROXY is set without PUBLIC_URL: pages opened through the proxy',
          '  cannot write or sync. Set PUBLIC_URL=https://<the name the proxy serves>.',
        ]
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
