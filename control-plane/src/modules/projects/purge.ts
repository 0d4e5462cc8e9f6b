import type { Logger } from '@muscode/common';
import type { ProjectRepo } from './repo.js';

/**
 * Deletes, in batches, the projects deleted longer than `retentionMs` ago, with their files,
 * comments and stars (ON DELETE CASCADE); their bytes stay on the owner's storage quota until
 * then, so deleting cannot grow the database past anyone's quota. Several control-planes may
 * run it at once (the rows are taken with SKIP LOCKED).
 */
export function startProjectPurge(
  repo: Pick<ProjectRepo, 'purgeDeleted'>,
  opts: { retentionMs: number; intervalMs: number; batchSize: number; log: Logger },
): { stop(): void } {
  const log = opts.log.child({ component: 'project-purge' });
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    repo
      .purgeDeleted(opts.retentionMs, opts.batchSize)
      .then((n) => n > 0 && log.info({ purged: n }, 'purged deleted projects'))
      .catch((err: Error) => log.warn({ err: err.message }, 'purge of deleted projects failed'))
      .finally(() => {
        running = false;
      });
  }, opts.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
