import type { ServiceImpl } from '@connectrpc/connect';
import type { Logger } from '@muscode/common';
import type { RunnerService } from '@muscode/proto/runner/v1';
import type { Recording } from '../modules/executions/recording.js';
import type { RunnerRegistry } from '../modules/runners/registry.js';
import { guarded } from './errors.js';
import { heartbeat } from './heartbeat.js';
import { report } from './report.js';

/**
 * `muscode.runner.v1.RunnerService` for the runner agents (the server checks their token). One
 * RPC per file; this only wires them, each behind the same error guard as the other RPCs.
 */
export function runnerRpc(deps: {
  recording: Recording;
  runners: RunnerRegistry;
  /** The registry's TTL of an agent's beat: the interval it is told to beat at derives from it. */
  ttlSeconds: number;
  onBeat?: (region: string) => void;
  log: Logger;
}): ServiceImpl<typeof RunnerService> {
  const log = deps.log.child({ component: 'runner-rpc' });
  return {
    report: guarded(log, report(deps)),
    heartbeat: guarded(log, heartbeat(deps)),
  };
}
