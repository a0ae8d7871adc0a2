/**
 * The baseline of the load benchmark: Hocuspocus with no extensions, the same version Headcount
 * builds on, relaying updates between whoever connects (any token, nothing stored). Run as its own
 * process by `servers.ts` with the same Node and flags as Headcount's server; PORT from the
 * environment, on loopback only like Headcount's HOST=127.0.0.1.
 */
import { Server } from '@hocuspocus/server';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set');

const server = new Server({ port, address: '127.0.0.1', quiet: true });
await server.listen();
