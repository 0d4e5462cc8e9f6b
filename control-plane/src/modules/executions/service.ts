import { findLanguage, type Job, type LanguageManifest, type Logger } from '@muscode/common';
import { errors } from '../../errors.js';
import type { Streams } from '../../infra/streams.js';
import type { ExecuteBody } from './model.js';
import type { ExecutionRepo } from './repo.js';
import { resolveLimits, resolveSource } from './request.js';
import { executionView } from './view.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function secondsUntilTomorrowUtc(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

export function createExecutionService(deps: {
  repo: ExecutionRepo;
  streams: Streams;
  manifest: LanguageManifest;
  defaultRegion: string;
  /** Throws a 429 when the user or the region has too much queued (admission module). */
  admit?: (userId: string, region: string) => Promise<void>;
  log: Logger;
}) {
  const { repo, streams, manifest } = deps;

  return {
    /** Validates, takes quota, records the execution as queued and queues its job. */
    async submit(userId: string, body: ExecuteBody) {
      const lang = findLanguage(manifest, body.language);
      if (!lang) throw errors.unsupportedLanguage(body.language);
      const limits = resolveLimits(manifest, body, lang);
      const { files, mainFile } = resolveSource(manifest, lang, body);
      const stdin = Buffer.from(body.stdin ?? '', 'utf8');
      if (stdin.length > manifest.limits.stdinBytes.max) {
        throw errors.validation(`stdin must be at most ${manifest.limits.stdinBytes.max} bytes.`, {
          field: 'stdin',
        });
      }
      const region = body.region ?? deps.defaultRegion;
      await deps.admit?.(userId, region);
      const inserted = await repo.insertQueued({
        userId,
        language: lang.id,
        region,
        files,
        mainFile,
        limits,
        stdin,
      });
      if ('quotaExceeded' in inserted) {
        throw errors.quotaExceeded(inserted.quotaExceeded, secondsUntilTomorrowUtc());
      }
      const job: Job = {
        executionId: inserted.id,
        ownerId: userId,
        language: lang.id,
        files,
        mainFile,
        stdin: stdin.toString('base64'),
        interactive: false,
        limits,
        enqueuedAt: Date.now(),
      };
      try {
        await streams.enqueueJob(region, job);
      } catch (err) {
        deps.log.error({ err, executionId: inserted.id }, 'could not queue job');
        await repo.markInternalError(inserted.id, 'The job queue is unavailable.');
        throw errors.unavailable('The job queue is unavailable; try again shortly.');
      }
      deps.log.info(
        {
          executionId: inserted.id,
          userId,
          language: lang.id,
          codeBytes: files.reduce((n, f) => n + f.content.length, 0),
        },
        'execution queued',
      );
      return {
        executionId: inserted.id,
        status: 'queued' as const,
        estimatedTime: Math.ceil(limits.timeoutMs / 1000),
      };
    },

    async get(userId: string, executionId: string) {
      if (!uuidPattern.test(executionId)) throw errors.notFound('Execution');
      const row = await repo.findOwned(executionId, userId);
      if (!row) throw errors.notFound('Execution');
      return executionView(row);
    },
  };
}

export type ExecutionService = ReturnType<typeof createExecutionService>;
