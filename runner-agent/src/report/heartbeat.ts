import type { Logger } from '@muscode/common';
import type { ControlPlane } from './control-plane.js';

type HeartbeatRequest = Parameters<ControlPlane['heartbeat']>[0];

/**
 * The heartbeat loop: says the agent is alive and what it can take (the request is built anew
 * for every beat), every `intervalMs` or sooner when the control-plane asks for it. `now()`
 * beats at once (the runtime's health changed); a failed beat is logged and retried on time.
 */
export function createHeartbeat(opts: {
  controlPlane: ControlPlane;
  intervalMs: number;
  request: () => HeartbeatRequest;
  /** Told whether each beat reached the control-plane (for the metrics). */
  onBeat?: (ok: boolean) => void;
  log: Logger;
}) {
  let timer: NodeJS.Timeout | undefined;
  let interval = opts.intervalMs;
  let stopped = false;

  async function beat(): Promise<void> {
    clearTimeout(timer);
    try {
      interval = await opts.controlPlane.heartbeat(opts.request());
      opts.onBeat?.(true);
    } catch (err) {
      opts.onBeat?.(false);
      opts.log.warn({ err: (err as Error).message }, 'heartbeat failed');
    }
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void beat(), Math.min(interval || opts.intervalMs, opts.intervalMs));
  }

  return {
    /** Beats now and keeps beating; resolves once this first beat was answered (or failed). */
    start: () => beat(),
    now(): void {
      if (!stopped) void beat();
    },
    stop(): void {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
