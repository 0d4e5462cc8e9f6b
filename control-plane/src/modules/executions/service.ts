import {
  checkerRunsBudgetMs,
  findLanguage,
  isFinalStatus,
  resolveVersion,
  followExecution,
  type LiveVersions,
  type Job,
  type JobGrading,
  type JobLimits,
  type LanguageManifest,
  type Logger,
} from '@muscode/common';
import { errors } from '../../errors.js';
import type { Streams } from '../../infra/streams.js';
import type { Admission } from '../admission/service.js';
import type { FairQueue } from '../../infra/fair-queue.js';
import type { AuditRepo } from '../audit/repo.js';
import type { ArtifactLimits, ArtifactService } from '../artifacts/service.js';
import type { ExecuteBody, HistoryQuery } from './model.js';
import { cutRange, type OutputStream, type Outputs } from './outputs.js';
import type { ByteRange } from '../../infra/object-store/index.js';
import type { Idempotency } from './idempotency.js';
import type { ExecutionRepo } from './repo.js';
import { resolveProgramChecker } from './checker.js';
import type { TestSetService } from '../test-sets/service.js';
import { gradingRunBudgetMs, resolveGrading, resolveLimits, resolveSource } from './request.js';
import { executionSummaryView, executionView, type ExecutionView } from './view.js';

/** A `Range: bytes=…` of one range: `start-[end]`, or the last `suffix` bytes. */
export type RangeRequest = { start: number; end?: number } | { suffix: number };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function secondsUntilTomorrowUtc(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

function secondsUntilNextMonthUtc(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

/** Quiet time of an execution's stream after which `wait` reads its row (made final without a result event?). */
const quietReadMs = 5000;

export function createExecutionService(deps: {
  repo: ExecutionRepo;
  streams: Streams;
  manifest: LanguageManifest;
  defaultRegion: string;
  /** Regions a submission may name (the default one among them); absent: the default only. */
  regions?: readonly string[];
  /** The admission module: the region's queue bound, and the per-user cap on active executions. */
  admission?: Pick<Admission, 'admit' | 'maxActivePerUser' | 'tooManyActive'>;
  log: Logger;
  /** How long `wait` waits beyond the execution's own time limits. */
  waitMarginMs?: number;
  /** Requests that may wait at once (each holds a follow and a request); past it, 503 before queueing. */
  maxWaiters?: number;
  audit?: AuditRepo;
  /** The exact versions live agents report, by image (for `version` and the newest available). */
  liveVersions?: () => Promise<LiveVersions>;
  /** Idempotency-Key records (absent: the header is ignored). */
  idempotency?: Idempotency;
  /** The fair queue: a queued execution's place in it, and taking a cancelled one out. */
  queue?: Pick<FairQueue, 'position' | 'unqueue'>;
  /** Every job collects /workspace/output within these limits (absent: no artifacts). */
  artifactLimits?: ArtifactLimits;
  /** The artifacts of a result, for its view. */
  artifacts?: Pick<ArtifactService, 'list'>;
  /** Outputs kept in the object store, loaded back whole for the view. */
  outputs?: Pick<Outputs, 'load' | 'read'>;
  /** Stored test sets, for `testSetId` (absent: every set is unknown). */
  testSets?: Pick<TestSetService, 'forRun'>;
}) {
  const { repo, streams, manifest } = deps;
  const noLiveVersions = async (): Promise<LiveVersions> => new Map();
  const live = deps.liveVersions ?? noLiveVersions;
  let waiters = 0;
  const regions = new Set([deps.defaultRegion, ...(deps.regions ?? [])]);

  /**
   * The grading of a request: its inline `tests`, or the tests of the stored set it names (the
   * caller's, or a public or unlisted one), with the request's checker, else the set's. A hidden
   * test of a set the caller does not own, and every test after it, is marked hidden: its output
   * is withheld from them.
   */
  async function gradingOf(
    userId: string,
    body: ExecuteBody,
    limits: JobLimits,
    lang: Parameters<typeof resolveGrading>[3],
  ): Promise<JobGrading | undefined> {
    if (body.testSetId === undefined) return resolveGrading(manifest, body, limits, lang);
    if (body.tests !== undefined) {
      throw errors.validation('Send tests or testSetId, not both.', { field: 'testSetId' });
    }
    if (!deps.testSets) throw errors.notFound('Test set');
    const set = await deps.testSets.forRun(userId, body.testSetId);
    const checker = body.checker ?? (set.checker as ExecuteBody['checker'] | null) ?? undefined;
    const grading = resolveGrading(
      manifest,
      {
        ...body,
        tests: set.tests.map((t) => ({
          name: t.name,
          stdin: t.stdin,
          expectedOutput: t.expectedOutput,
          ...(t.timeout === undefined ? {} : { timeout: t.timeout }),
        })),
        ...(checker ? { checker } : {}),
      },
      limits,
      lang,
    );
    // The tests share one sandbox session: a test after a hidden one could print what that one's
    // run left in /workspace or /tmp, so its output is withheld too.
    const firstHidden = set.tests.findIndex((t) => t.hidden);
    if (!grading || set.isOwner || firstHidden < 0) return grading;
    return {
      ...grading,
      tests: grading.tests.map((t, i) => (i >= firstHidden ? { ...t, hidden: true } : t)),
    };
  }

  /**
   * Validates, takes quota, records the execution as queued and queues its job. Returns the
   * API answer and how long the execution may take at most (queueing aside).
   */
  async function queue(userId: string, body: ExecuteBody, projectId: string | null) {
    const language = findLanguage(manifest, body.language);
    if (!language) throw errors.unsupportedLanguage(body.language);
    const resolved = resolveVersion(language, body.version, await live());
    if (!resolved.ok) throw errors.unsupportedVersion(language.id, resolved.requested, resolved.versions);
    const { entry: lang, version } = resolved.choice;
    const limits = {
      ...resolveLimits(manifest, body, lang),
      ...(deps.artifactLimits ? { artifacts: deps.artifactLimits } : {}),
    };
    const { files, mainFile } = resolveSource(manifest, lang, body);
    const grading = await gradingOf(userId, body, limits, lang);
    if (grading?.checker.type === 'program') {
      grading.checker = resolveProgramChecker(manifest, grading.checker, await live());
    }
    const stdin = Buffer.from(body.stdin ?? '', body.stdinEncoding === 'base64' ? 'base64' : 'utf8');
    if (stdin.length > manifest.limits.stdinBytes.max) {
      throw errors.validation(`stdin must be at most ${manifest.limits.stdinBytes.max} bytes.`, {
        field: 'stdin',
      });
    }
    const region = body.region ?? deps.defaultRegion;
    // `*` (development and test stacks, where agents come with regions of their own): any region.
    if (!regions.has(region) && !regions.has('*')) {
      throw errors.validation(`Region "${region}" is not served; there are: ${[...regions].join(', ')}.`, {
        field: 'region',
        regions: [...regions],
      });
    }
    await deps.admission?.admit(region);
    // Cap, quota, row and audit row in one statement.
    const inserted = await repo.insertQueued({
      userId,
      projectId,
      language: lang.id,
      languageVersion: version,
      image: lang.image,
      region,
      files,
      mainFile,
      limits,
      stdin,
      grading: grading ?? null,
      maxActive: deps.admission?.maxActivePerUser ?? Infinity,
    });
    if ('tooManyActive' in inserted) {
      throw deps.admission?.tooManyActive(inserted.tooManyActive) ?? errors.unavailable('Try again.');
    }
    if ('quotaExceeded' in inserted) {
      throw errors.quotaExceeded(
        inserted.quotaExceeded,
        inserted.quotaExceeded === 'daily' ? secondsUntilTomorrowUtc() : secondsUntilNextMonthUtc(),
      );
    }
    const job: Job = {
      executionId: inserted.id,
      ownerId: userId,
      language: lang.id,
      image: lang.image,
      version,
      files,
      mainFile,
      args: body.args ?? [],
      stdin: stdin.toString('base64'),
      interactive: body.interactive ?? false,
      limits,
      ...(grading ? { grading } : {}),
      enqueuedAt: Date.now(),
    };
    try {
      // What interactive stdin may add to the stdin given now: the same limit for both together.
      if (job.interactive)
        await streams.allowStdin(inserted.id, manifest.limits.stdinBytes.max - stdin.length);
      await streams.enqueueJob(region, job);
    } catch (err) {
      deps.log.error({ err: (err as Error).message, executionId: inserted.id }, 'could not queue job');
      // Refused, so it leaves nothing: no row the client never learns of, no quota taken.
      // Should the database be gone too, the row stays queued and the sweeper fails it.
      await repo.withdrawQueued(inserted.id, userId).catch(async (e: unknown) => {
        deps.log.error({ err: (e as Error).message, executionId: inserted.id }, 'could not withdraw');
        await repo.markInternalError(inserted.id, 'The job queue is unavailable.').catch(() => undefined);
      });
      throw errors.unavailable('The job queue is unavailable; try again shortly.', 2, err);
    }
    const queuePosition = await deps.queue?.position(region, userId, inserted.id).catch(() => undefined);
    deps.log.info(
      {
        executionId: inserted.id,
        userId,
        language: lang.id,
        version,
        codeBytes: files.reduce((n, f) => n + f.content.length, 0),
      },
      'execution queued',
    );
    // A checker program's runs (per test: a sandbox, its compile and its run) count too.
    const runBudgetMs = grading
      ? gradingRunBudgetMs(grading, limits) + checkerRunsBudgetMs(manifest, grading)
      : limits.timeoutMs;
    return {
      answer: {
        executionId: inserted.id,
        status: 'queued' as const,
        language: lang.id,
        version,
        estimatedTime: Math.ceil(runBudgetMs / 1000),
        ...(queuePosition === undefined ? {} : { queuePosition }),
      },
      budgetMs: runBudgetMs + (lang.compile ? limits.compileTimeoutMs : 0),
    };
  }

  /**
   * The caller's execution. A queued one also says where it stands: `queuePosition` is its
   * 1-based place among the jobs of its region waiting for a runner slot (0: handed to a
   * runner, starting).
   */
  async function get(
    userId: string,
    executionId: string,
  ): Promise<ExecutionView & { queuePosition?: number }> {
    if (!uuidPattern.test(executionId)) throw errors.notFound('Execution');
    const found = await repo.findOwned(executionId, userId);
    if (!found) throw errors.notFound('Execution');
    const [loaded, artifacts] = await Promise.all([
      deps.outputs ? deps.outputs.load(found) : { row: found, expired: [] },
      isFinalStatus(found.status) && deps.artifacts ? deps.artifacts.list(found.id) : null,
    ]);
    const row = loaded.row;
    const view = executionView(row, { artifacts, outputExpired: loaded.expired });
    if (row.status !== 'queued' || !deps.queue) return view;
    const queuePosition = await deps.queue.position(row.region, userId, row.id).catch(() => undefined);
    return queuePosition === undefined ? view : { ...view, queuePosition };
  }

  /**
   * Follows the execution's event stream until its result (or the deadline, or the client going
   * away) and answers the final view (null when none came in time). Reads from the stream's
   * start, so a result that came before we began to read is not missed; a result event without
   * its view, or an execution made final without one, is read from the row.
   */
  function waitForFinal(
    userId: string,
    executionId: string,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<ExecutionView | null> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (view: ExecutionView | null, err?: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        follow.stop();
        if (err !== undefined) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve(view);
      };
      const onAbort = () => finish(null);
      const follow = followExecution<ExecutionView>({
        executionId,
        quietMs: quietReadMs,
        subscribe: (onEvent) => {
          const f = streams.followEvents(executionId, '0', (events) => {
            for (const { event } of events) onEvent(event);
          });
          return () => f.stop();
        },
        onEvent: () => undefined,
        // The caller's own execution: it was just submitted.
        readRow: () => get(userId, executionId),
        // The result event carries the row as written (unless its output was too large for it).
        onResult: (view) => finish(view as ExecutionView),
        onEnd: (err) => finish(null, err),
      });
      const timer = setTimeout(() => finish(null), Math.max(0, deadline - Date.now()));
      if (signal?.aborted) finish(null);
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  return {
    async submit(userId: string, body: ExecuteBody, opts: { projectId?: string } = {}) {
      return (await queue(userId, body, opts.projectId ?? null)).answer;
    },

    /**
     * Submits and answers with the result (the shape of `get`), waiting at most the
     * execution's own limits plus a margin; past that, the answer shows it still queued or
     * running.
     */
    async submitAndWait(
      userId: string,
      body: ExecuteBody,
      opts: { projectId?: string; signal?: AbortSignal } = {},
    ) {
      if (waiters >= (deps.maxWaiters ?? Infinity)) {
        throw errors.unavailable(
          'Too many requests are waiting for results; submit without wait and poll.',
          2,
        );
      }
      waiters++;
      let final: ExecutionView | null;
      let answer: { executionId: string };
      try {
        const queued = await queue(userId, body, opts.projectId ?? null);
        answer = queued.answer;
        const deadline = Date.now() + queued.budgetMs + (deps.waitMarginMs ?? 15000);
        final = await waitForFinal(userId, answer.executionId, deadline, opts.signal);
      } finally {
        waiters--;
      }
      // Past the deadline (or the client gone): the execution as it stands.
      return final ?? (await get(userId, answer.executionId));
    },

    get,

    /**
     * One output stream of the caller's execution as raw bytes, whole or one byte range
     * (`GET /execute/{id}/output/{stream}` with `Range`). `unsatisfiable` for a range that
     * starts past the end; null when its stored object has expired.
     */
    async output(userId: string, executionId: string, stream: OutputStream, want?: RangeRequest) {
      if (!uuidPattern.test(executionId)) throw errors.notFound('Execution');
      const row = await repo.findOwned(executionId, userId);
      if (!row) throw errors.notFound('Execution');
      const size = row[`${stream}_size`] ?? row[stream]?.length ?? 0;
      let range: ByteRange | undefined;
      if (want && 'suffix' in want) {
        if (want.suffix === 0) return { unsatisfiable: true as const, size };
        range = { start: Math.max(0, size - want.suffix) };
      } else if (want) {
        if (want.start >= size) return { unsatisfiable: true as const, size };
        range = want;
      }
      if (deps.outputs) return deps.outputs.read(row, stream, range);
      return cutRange(row[stream] ?? Buffer.alloc(0), range);
    },

    /** The caller's execution once it is final, or as it stands at `deadline` (epoch ms). */
    async awaitFinal(userId: string, executionId: string, deadline: number) {
      // Owned? (get throws not found otherwise), before anything is followed.
      const now = await get(userId, executionId);
      if (isFinalStatus(now.status)) return now;
      await waitForFinal(userId, executionId, deadline);
      return get(userId, executionId);
    },

    /**
     * `submit` / `submitAndWait` under an Idempotency-Key: a retry with the same key and body
     * answers like the first request (the same execution, no second quota unit); with
     * `wait`, the execution as it is now.
     */
    async submitIdempotent(
      userId: string,
      key: string,
      body: ExecuteBody,
      opts: { wait?: boolean; signal?: AbortSignal } = {},
    ): Promise<{ replayed: boolean; data: unknown }> {
      if (!deps.idempotency) {
        return {
          replayed: false,
          data: opts.wait ? await this.submitAndWait(userId, body, opts) : await this.submit(userId, body),
        };
      }
      const r = await deps.idempotency.run(userId, key, body, async () => {
        if (!opts.wait) {
          const answer = await this.submit(userId, body);
          return { executionId: answer.executionId, answer };
        }
        const view = await this.submitAndWait(userId, body, opts);
        return { executionId: view.executionId, answer: view };
      });
      if (!r.replayed) return { replayed: false, data: r.value.answer };
      return { replayed: true, data: opts.wait ? await get(userId, r.value.executionId) : r.value.answer };
    },

    /**
     * Cancels the caller's execution: a queued one is marked cancelled at once (fenced, so an
     * agent that starts it meanwhile wins and gets the cancel message instead); a running one
     * gets a cancel message and its agent reports `cancelled`. A final one is a 409.
     */
    async cancel(userId: string, executionId: string) {
      const current = await get(userId, executionId);
      if (isFinalStatus(current.status)) {
        throw errors.failedPrecondition(
          'execution_finished',
          `The execution has already finished (${current.status}).`,
          {
            status: current.status,
          },
        );
      }
      // Sent in every case: an agent that already holds the job reads its control stream from the start.
      await streams.sendControl(executionId, { type: 'cancel' });
      await deps.audit?.record({
        userId,
        action: 'execution_cancel',
        resourceType: 'execution',
        resourceId: executionId,
      });
      const cancelled = current.status === 'queued' ? await repo.cancelQueued(executionId, userId) : null;
      if (cancelled) {
        // Out of the fair queue, so it takes no runner slot (an agent that has it already is
        // fenced by the row's status).
        await deps.queue?.unqueue(cancelled.region, userId, executionId).catch(() => false);
        // Watchers (gateways, `wait`) learn that it is over; seq 0: no agent event precedes it.
        await streams.appendEvent(executionId, {
          type: 'result',
          seq: 0,
          status: 'cancelled',
          view: executionView(cancelled),
        });
        return { executionId, status: 'cancelled' as const };
      }
      return { executionId, status: 'cancelling' as const };
    },

    /** The caller's history, newest first, filtered and paginated. */
    async list(userId: string, q: HistoryQuery) {
      const page = q.page ?? 1;
      const limit = q.limit ?? 20;
      const { rows, total } = await repo.listOwned({
        userId,
        status: q.status,
        language: q.language,
        projectId: q.project,
        limit,
        offset: (page - 1) * limit,
      });
      return {
        executions: rows.map(executionSummaryView),
        pagination: { total, page, limit, pages: Math.ceil(total / limit) },
      };
    },
  };
}

export type ExecutionService = ReturnType<typeof createExecutionService>;
