import { Elysia } from 'elysia';
import type { Registry } from '@muscode/common';

/**
 * `GET /metrics` (Prometheus text format), at the root of the control-plane's HTTP port, not
 * under /api/v1: the gateway does not forward it, so it is reachable only where the
 * control-plane's port is (the cluster network), never from the public edge.
 */
export function metricsRoutes(registry: Registry) {
  return new Elysia().get('/metrics', async ({ set }) => {
    set.headers['content-type'] = registry.contentType;
    return registry.metrics();
  });
}
