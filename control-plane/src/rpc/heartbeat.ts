import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import {
  HeartbeatResponseSchema,
  type HeartbeatRequest,
  type HeartbeatResponse,
} from '@muscode/proto/runner/v1';
import { errors } from '../errors.js';
import type { RunnerRegistry } from '../modules/runners/registry.js';

export function heartbeat(deps: {
  runners: RunnerRegistry;
  ttlSeconds: number;
  onBeat?: (region: string) => void;
}) {
  return async (req: HeartbeatRequest, _ctx: HandlerContext): Promise<HeartbeatResponse> => {
    if (!req.runnerId) throw errors.validation('runner_id is required');
    await deps.runners.beat({
      runnerId: req.runnerId,
      region: req.region,
      hostname: req.hostname,
      capacity: req.capacity,
      running: req.running,
      languages: req.languages.map((l) => ({
        languageId: l.languageId,
        version: l.version,
        ...(l.image ? { image: l.image } : {}),
      })),
      hostId: req.hostId,
      draining: req.draining,
      ...(req.unhealthy ? { unhealthy: req.unhealthy } : {}),
      ...(req.pid
        ? { pid: req.pid, processStart: String(req.processStart), pidNamespace: req.pidNamespace }
        : {}),
      pools: req.pools.map((p) => ({ name: p.name, warm: p.warm, target: p.target })),
      seenAt: Date.now(),
    });
    deps.onBeat?.(req.region);
    // Beat three times per TTL so one lost beat does not mark the agent gone.
    return create(HeartbeatResponseSchema, { intervalMs: Math.floor((deps.ttlSeconds * 1000) / 3) });
  };
}
