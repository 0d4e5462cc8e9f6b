import type { Isolation } from '../engine/container-spec.js';

/** What the choice needs to know of an idle sandbox. */
export interface IdleCandidate {
  image: string;
  /** owner mode: the owner it served; undefined = never used. */
  owner: string | undefined;
  /** Submissions it served. */
  runs: number;
  /** Its prepared interpreter for the next submission is loaded. */
  preparedReady: boolean;
}

/**
 * Which idle sandbox a job of `ownerId` gets, by isolation level (the index in `idle`, or -1):
 * - `sandbox`: only a never-used one;
 * - `owner`: one that served this owner (wiped), else a never-used one; never another owner's;
 * - `jail`: a reused one first, else any.
 * Each choice first among sandboxes whose prepared interpreter is loaded (they answer in
 * milliseconds), then among all. A reused sandbox still loading is taken before a fresh one:
 * every fresh one taken means a sandbox start (~1 CPU-s).
 */
export function chooseIdle(
  idle: readonly IdleCandidate[],
  image: string,
  ownerId: string,
  isolation: Isolation,
): number {
  const pick = (...choices: ((e: IdleCandidate) => boolean)[]) => {
    for (const ok of choices) {
      for (const ready of [true, false]) {
        const i = idle.findIndex((e) => e.image === image && ok(e) && (!ready || e.preparedReady));
        if (i >= 0) return i;
      }
    }
    return -1;
  };
  switch (isolation) {
    case 'sandbox':
      return pick((e) => e.runs === 0);
    case 'owner':
      return pick(
        (e) => e.owner === ownerId,
        (e) => e.runs === 0,
      );
    case 'jail':
      return pick(
        (e) => e.runs > 0,
        () => true,
      );
  }
}
