import { createServer, type Server } from 'node:http';
import type { Metrics } from '../metrics';

/**
 * The separate plain-HTTP listener of `METRICS_ADDRESS`: `GET /metrics` only, no token, for a
 * Prometheus on the same machine or a private network. Everything else answers 404.
 */
export async function listenForMetrics(
  address: { host: string; port: number },
  metrics: Metrics,
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.registry.contentType });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve());
  });
  return server;
}
