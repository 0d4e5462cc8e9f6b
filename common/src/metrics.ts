import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { Registry, collectDefaultMetrics } from 'prom-client';

/** A Prometheus registry for one process, with Node's default metrics under `muscode_<service>_`. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: `muscode_${service.replace(/-/g, '_')}_` });
  return registry;
}

/**
 * Serves `GET /metrics` of a registry on a small HTTP port of its own (agents and gateways;
 * the control-plane serves it on its API port). Port 0 picks a free port; the bound port is
 * returned.
 */
export async function serveMetrics(
  registry: Registry,
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
