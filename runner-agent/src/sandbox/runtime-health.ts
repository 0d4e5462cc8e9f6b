import type { Logger } from '@muscode/common';

export interface RuntimeHealthOptions {
  /** One probe of the container runtime (Docker's /_ping), bounded by its own timeout. */
  probe: () => Promise<void>;
  intervalMs: number;
  /** A probe not answered within this long counts as a failure (a hung daemon). */
  timeoutMs: number;
  log: Logger;
  /** Told on every change: `reason` is why the runtime is unhealthy, undefined once it is back. */
  onChange?: (reason: string | undefined) => void;
}

/**
 * Whether this host's container runtime answers, probed every `intervalMs`. While it does not,
 * the agent takes no jobs (they stay queued for it or another agent) and says so in its
 * heartbeat; a failure seen by a job (a sandbox that could not be started) re-probes at once.
 */
export function createRuntimeHealth(opts: RuntimeHealthOptions) {
  let reason: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let probing: Promise<void> | undefined;
  let stopped = false;

  const set = (next: string | undefined) => {
    if (next === reason) return;
    const was = reason;
    reason = next;
    if (next) opts.log.error({ reason: next }, 'container runtime unhealthy; taking no jobs');
    else opts.log.info({ was }, 'container runtime healthy again; taking jobs');
    opts.onChange?.(next);
  };

  function check(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    });
    probing ??= Promise.race([opts.probe(), timeout])
      .then(
        () => set(undefined),
        (err: unknown) => set(`container runtime not answering: ${(err as Error).message}`),
      )
      .finally(() => {
        clearTimeout(timer);
        probing = undefined;
      });
    return probing;
  }

  function loop(): void {
    if (stopped) return;
    timer = setTimeout(() => void check().finally(loop), opts.intervalMs);
  }

  return {
    /** Probes once (so the agent starts knowing), then keeps probing. */
    async start(): Promise<void> {
      await check();
      loop();
    },
    healthy: () => reason === undefined,
    /** Why the runtime is unhealthy, undefined while it is healthy. */
    reason: () => reason,
    /** Probes now (a job just failed to get a sandbox); resolves with the verdict. */
    async recheck(): Promise<boolean> {
      await check();
      return reason === undefined;
    },
    stop(): void {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export type RuntimeHealth = ReturnType<typeof createRuntimeHealth>;
