import type { Logger } from '@muscode/common';
import type { ObjectStore } from './store.js';

/**
 * Where objects live, by owner, so lifecycle can find them by prefix: an execution's under
 * `executions/<id>/` (artifacts, large outputs), a project's under `projects/<id>/`.
 */
export const objectPrefix = {
  execution: (id: string) => `executions/${id}/`,
  project: (id: string) => `projects/${id}/`,
};

/** Deletes every object under `prefix` last written before `cutoff`; answers how many. */
export async function expireObjects(store: ObjectStore, prefix: string, cutoff: Date): Promise<number> {
  let batch: string[] = [];
  let removed = 0;
  const flush = async () => {
    await store.delete(batch);
    removed += batch.length;
    batch = [];
  };
  for await (const o of store.list(prefix)) {
    if (o.lastModified && o.lastModified < cutoff) batch.push(o.key);
    if (batch.length >= 500) await flush();
  }
  if (batch.length > 0) await flush();
  return removed;
}

/** Deletes every object under `prefix` (a deleted project's). */
export async function removePrefix(store: ObjectStore, prefix: string): Promise<number> {
  return expireObjects(store, prefix, new Date(8.64e15));
}

/**
 * The retention sweep: every `intervalMs`, executions' objects older than `retentionMs` go.
 * Several control-planes may run it at once (deleting a deleted key is no error).
 */
export function startRetentionSweep(
  store: ObjectStore,
  opts: {
    retentionMs: number;
    intervalMs: number;
    log: Logger;
    /** Runs first with the cutoff (the rows that describe objects about to go). */
    before?: (cutoff: Date) => Promise<unknown>;
  },
): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    const cutoff = new Date(Date.now() - opts.retentionMs);
    Promise.resolve(opts.before?.(cutoff))
      .then(() => expireObjects(store, 'executions/', cutoff))
      .then((n) => n > 0 && opts.log.info({ removed: n }, 'expired execution objects'))
      .catch((err: Error) => opts.log.warn({ err: err.message }, 'object retention sweep failed'))
      .finally(() => {
        running = false;
      });
  }, opts.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
