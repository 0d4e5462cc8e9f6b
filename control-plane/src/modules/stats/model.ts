import { t } from 'elysia';
import { int } from '../../http/answers.js';

/** `GET /stats` (the document's only; index.ts builds it). */
export const statsAnswer = t.Object({
  totalExecutions: int(),
  totalProjects: int(),
  totalStars: int(),
  /** MB held by the files of live projects (and stored artifacts). */
  storageUsed: t.Number(),
  storageUsedBytes: t.Number(),
  /** Seconds of program wall time today (UTC). */
  executionTimeToday: t.Number(),
  quota: t.Object({
    executionsToday: int(),
    maxExecutionsDaily: int(),
    maxStorageMb: int(),
    /** Bytes charged to maxStorageMb: live projects' files plus deleted ones' until purged. */
    storageChargedBytes: t.Number(),
  }),
});
