import type { Logger } from '@muscode/common';
import type { Isolation } from '../engine/container-spec.js';
import { createLauncherSession, type LauncherSession } from '../engine/session.js';
import type { SandboxDriver, SandboxSpec } from '../sandbox/driver.js';
import { chooseIdle } from './choose.js';
import { createSemaphore } from './semaphore.js';

export interface PoolConfig {
  isolation: Isolation;
  /** Never-used sandboxes kept started per image. */
  size: number;
  /** owner/jail: a sandbox is recycled after this many submissions… */
  maxRuns: number;
  /** …or once it is this old. */
  maxAgeMs: number;
  /** Sandbox starts at once (each costs ~1 CPU-second under runsc): about the core count. */
  startConcurrency: number;
}

/** A sandbox lent to one job. `release(true)` only after the launcher's `z` (wiped). */
export interface Lease {
  session: LauncherSession;
  release(reusable: boolean): void;
}

interface Idle {
  session: LauncherSession;
  image: string;
  /** owner mode: the owner it served; undefined = never used. */
  owner: string | undefined;
}

/**
 * Warm pools of pre-started sandboxes, per image, for the configured isolation level:
 * - `sandbox`: every job gets a never-used sandbox, removed after it.
 * - `owner`: a wiped sandbox serves the same owner again, never another owner.
 * - `jail`: a sandbox serves any job (each in its own jail made by the launcher), recycled
 *   after maxRuns submissions or maxAgeMs.
 * Pools are refilled in the background; removals never sit on a job's critical path.
 */
export function createWarmPool(deps: {
  driver: SandboxDriver;
  /** The spec of a pooled sandbox of an image (default limits). */
  specFor: (image: string) => SandboxSpec;
  /** The language whose interpreter a pooled sandbox of the image prepares (its spec says so). */
  preparedFor?: (image: string) => string | undefined;
  images: string[];
  config: PoolConfig;
  log: Logger;
  track: (p: Promise<unknown>) => void;
}) {
  const { config, log } = deps;
  const idle: Idle[] = [];
  const starting = new Map<string, number>();
  const inFlight = new Set<Promise<unknown>>();
  const startSlots = createSemaphore(config.startConcurrency);
  const refillDelayMs = 250;
  let stopped = false;

  // EOF makes the launcher exit (between submissions, or after its only one), and removing an
  // exited container is far cheaper for runsc than killing a running one; the kill is the
  // fallback for a sandbox that does not end. The timer is not unref'd: on shutdown the agent
  // waits for these removals, and an unref'd timer would let the process exit before them.
  const discard = (session: LauncherSession) => {
    session.alive = false;
    session.sandbox.stdin.end();
    deps.track(
      Promise.race([session.sandbox.ended, new Promise((r) => setTimeout(r, 2000))]).then(() =>
        session.sandbox.remove(),
      ),
    );
  };

  const expired = (s: LauncherSession) =>
    !s.alive || s.runs >= config.maxRuns || Date.now() - s.createdAt >= config.maxAgeMs;

  /** Starts one sandbox, bounded with every other start. */
  async function start(spec: SandboxSpec, prepared?: string): Promise<LauncherSession> {
    const release = await startSlots.acquire();
    try {
      const session = createLauncherSession(await deps.driver.start(spec));
      session.prepared = prepared;
      return session;
    } finally {
      release();
    }
  }

  function refill(): void {
    if (stopped || config.size <= 0) return;
    for (const image of deps.images) {
      const fresh = idle.filter((i) => i.image === image && i.session.runs === 0).length;
      let missing = config.size - fresh - (starting.get(image) ?? 0);
      while (missing-- > 0) {
        starting.set(image, (starting.get(image) ?? 0) + 1);
        const started = start(deps.specFor(image), deps.preparedFor?.(image))
          .then(
            (session) => {
              if (stopped) return discard(session);
              idle.push({ session, image, owner: undefined });
              // An idle sandbox that ends (killed from outside, a reaper, a crash) is replaced,
              // a second later so that an image whose sandboxes die at once cannot spin.
              void session.sandbox.ended.then(() => {
                if (!drop(session) || stopped) return;
                log.warn({ image }, 'an idle pool sandbox ended; replacing it');
                setTimeout(refill, 1000).unref();
              });
            },
            (err: unknown) => {
              log.warn({ err: (err as Error).message, image }, 'pool sandbox did not start');
            },
          )
          .finally(() => {
            starting.set(image, (starting.get(image) ?? 1) - 1);
            inFlight.delete(started);
          });
        inFlight.add(started);
      }
    }
  }

  /** Removes an idle sandbox; false if it was not idle (lent to a job, or gone already). */
  function drop(session: LauncherSession): boolean {
    const i = idle.findIndex((e) => e.session === session);
    if (i < 0) return false;
    idle.splice(i, 1);
    discard(session);
    return true;
  }

  function take(image: string, ownerId: string): LauncherSession | undefined {
    for (const e of [...idle]) if (expired(e.session)) drop(e.session);
    const i = chooseIdle(
      idle.map((e) => ({
        image: e.image,
        owner: e.owner,
        runs: e.session.runs,
        preparedReady: e.session.preparedReady(),
      })),
      image,
      ownerId,
      config.isolation,
    );
    return i < 0 ? undefined : idle.splice(i, 1)[0]!.session;
  }

  // Reused sandboxes that sit idle too long are recycled even without a job asking.
  const sweeper = setInterval(
    () => {
      for (const e of [...idle]) if (expired(e.session)) drop(e.session);
    },
    Math.max(1000, Math.min(config.maxAgeMs, 10_000)),
  );
  sweeper.unref();

  return {
    isolation: config.isolation,
    /** A sandbox for a job: a warm one if the pool has it, else one started now. */
    async acquire(
      image: string,
      ownerId: string,
      coldSpec?: SandboxSpec,
    ): Promise<Lease & { warm: boolean }> {
      const warm = coldSpec ? undefined : take(image, ownerId);
      // After a hit the refill waits a moment: a sandbox start costs ~1 CPU-second, and on a
      // small host it would slow down the very run that just got its sandbox. The run's
      // release refills at once if it ends sooner; a miss refills now.
      if (warm) setTimeout(refill, refillDelayMs).unref();
      else refill();
      const session =
        warm ?? (await (coldSpec ? start(coldSpec) : start(deps.specFor(image), deps.preparedFor?.(image))));
      const pooled = !coldSpec;
      return {
        session,
        warm: warm !== undefined,
        release(reusable) {
          if (!pooled || stopped || !reusable || config.isolation === 'sandbox' || expired(session)) {
            discard(session);
            refill();
            return;
          }
          idle.push({ session, image, owner: config.isolation === 'owner' ? ownerId : undefined });
          // Owners' sandboxes are not counted as fresh; keep their number bounded.
          const used = idle.filter((e) => e.image === image && e.session.runs > 0);
          const cap = Math.max(1, config.size) * 4;
          if (used.length > cap) drop(used[0]!.session);
        },
      };
    },
    /** Starts filling the pools; returns once every pool had its first start attempt. */
    fill(): void {
      refill();
    },
    idleCount: () => idle.length,
    /** Idle sandboxes that would run a submission at once: no interpreter left to load. */
    readyCount: () =>
      idle.filter((e) => e.session.prepared === undefined || e.session.preparedReady()).length,
    /** Sandbox starts under way (refills and cold starts). */
    startingCount: () => [...starting.values()].reduce((a, b) => a + b, 0),
    /**
     * Removes every idle sandbox and waits for starts under way (whose sandboxes are removed
     * too); sandboxes still lent to jobs are removed when released.
     */
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(sweeper);
      for (const e of idle.splice(0)) discard(e.session);
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type WarmPool = ReturnType<typeof createWarmPool>;
