import type { Logger } from '@muscode/common';

/**
 * What becomes of a running attempt's lease at `now`: renewed while within its budget; past it,
 * left to lapse (`hold`: the slot stays taken), and once the entry is reclaimable by others
 * (`reclaimIdleMs` later) the slot is freed (`free`): another agent runs the job by then.
 */
export type LeaseAction = 'renew' | 'hold' | 'free';

export function leaseAction(now: number, deadline: number, reclaimIdleMs: number): LeaseAction {
  if (now < deadline) return 'renew';
  return now >= deadline + reclaimIdleMs ? 'free' : 'hold';
}

/** Free slots to read or reclaim into: none while full, or while the runtime cannot run jobs. */
export function freeSlots(capacity: number, running: number, canTake: boolean): number {
  return canTake ? Math.max(0, capacity - running) : 0;
}

/**
 * The attempts this agent runs, one per job stream entry, each with the end of its budget (its
 * lease is not renewed past it). An entry's slot is taken from `add` until `settle` with the
 * same task, or until its lease is freed (a later delivery of the same entry may then take it).
 */
export function createLeases(opts: {
  reclaimIdleMs: number;
  /** Resets the idle time of these entries if still pending to this agent. */
  renew: (ids: string[]) => Promise<number>;
  log: Logger;
}) {
  const attempts = new Map<string, { task: Promise<void>; deadline: number }>();

  /** Entries whose lease may still be renewed; frees the slots of long-stuck ones. */
  function renewable(now = Date.now()): string[] {
    const ids: string[] = [];
    for (const [id, { deadline }] of attempts) {
      const action = leaseAction(now, deadline, opts.reclaimIdleMs);
      if (action === 'renew') ids.push(id);
      if (action === 'free') {
        opts.log.error(
          { messageId: id },
          'attempt stuck past its budget; slot freed, job left to be reclaimed',
        );
        attempts.delete(id);
      }
    }
    return ids;
  }

  return {
    size: () => attempts.size,
    has: (id: string) => attempts.has(id),
    add(id: string, task: Promise<void>, deadline: number): void {
      attempts.set(id, { task, deadline });
    },
    /** The attempt `task` is over: its slot is given back (unless a later delivery holds it). */
    settle(id: string, task: Promise<void>): void {
      if (attempts.get(id)?.task === task) attempts.delete(id);
    },
    renewable,
    /** Renews the leases of the attempts within their budget. */
    renew: (now = Date.now()) => opts.renew(renewable(now)),
    tasks: () => [...attempts.values()].map((a) => a.task),
  };
}

export type Leases = ReturnType<typeof createLeases>;
