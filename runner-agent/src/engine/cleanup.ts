import type { Isolation } from './container-spec.js';
import type { Lease } from '../pool/warm-pool.js';

/**
 * The cleanup phase: the sandbox goes back to the pool (reused, by isolation level) or away.
 * Runs on every path out of the run phase, a throw included: a lease is never lost.
 */

/**
 * Hands the sandbox back once the control-plane has the result (at most a second later):
 * removing a sandbox and starting its replacement cost CPU that the result's way to the user
 * should not share. A reused sandbox's wipe runs meanwhile, inside it; one not wiped within
 * `wipeTimeoutMs` is discarded.
 */
export function handBack(opts: {
  lease: Lease;
  isolation: Isolation;
  /** The submission ended cleanly (collect's `reusable`). */
  reusable: boolean;
  wipeTimeoutMs: number;
  /** Settles once the report is delivered (or failed). */
  reported: Promise<unknown>;
}): void {
  const { lease } = opts;
  const reusable = opts.reusable && opts.isolation !== 'sandbox';
  const ready = reusable ? lease.session.nextReady(opts.wipeTimeoutMs) : Promise.resolve(false);
  const reported = opts.reported.then(
    () => undefined,
    () => undefined,
  );
  void Promise.race([reported, new Promise((r) => setTimeout(r, 1000).unref())])
    .then(() => ready)
    .then(
      (ok) => lease.release(ok),
      () => lease.release(false),
    );
}

/** The run phase threw: the sandbox is in an unknown state and is removed. */
export function discardAfterError(lease: Lease): void {
  lease.release(false);
}
