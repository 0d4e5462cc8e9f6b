import { redisKeys, type Job, type Logger, type StreamFollower } from '@muscode/common';
import { attemptEvents, type AttemptEvents } from '../report/attempt-events.js';
import type { ControlPlane } from '../report/control-plane.js';
import type { CgroupMemory } from '../sandbox/cgroup.js';
import { createProgramChecker } from './checker.js';
import { discardAfterError, handBack } from './cleanup.js';
import type { ExecuteResult } from './collect.js';
import { followJobControl } from './control.js';
import { prepare, type PrepareDeps, type Prepared } from './prepare.js';
import { executeGradedOnSession, type GradedTest } from './graded.js';
import { executeOnSession } from './run.js';

export { RuntimeUnavailableError } from './prepare.js';

export interface EngineDeps extends PrepareDeps {
  controlPlane: ControlPlane;
  /** Reads the control streams of every running job (one connection). */
  streams: StreamFollower;
  redisPrefix: string;
  startGraceMs: number;
  /** Time the launcher has to wipe a reused sandbox before it is discarded. */
  wipeTimeoutMs: number;
  cgroup: CgroupMemory | undefined;
  /** Told how each submission's sandbox was ready (for the metrics). */
  onRun?: (start: 'prepared' | 'warm' | 'cold') => void;
  log: Logger;
}

/**
 * Runs one attempt of a job: prepare (a sandbox for its language), run (the submission on it,
 * with cancel and stdin from its control stream), collect (the verdict, reported), cleanup (the
 * sandbox reused or removed). Resolves once the control-plane has the result; rejects only if
 * it could not be told, or the runtime is down (RuntimeUnavailableError: the job stays pending).
 */
export async function runJob(deps: EngineDeps, job: Job, attempt: number): Promise<void> {
  const clock = attemptClock(job);
  const log = deps.log.child({ executionId: job.executionId, attempt });
  const report = attemptEvents(deps.controlPlane.open(job.executionId, attempt));

  const prepared = await prepare(deps, job, log).catch(async (err: unknown) => {
    // Nothing was sent: the (empty) report ends, and the job is not acknowledged.
    await report.finish().catch(() => undefined);
    throw err;
  });
  if (!prepared.ok) {
    report.failed(prepared.message);
    return report.finish();
  }
  const { lease } = prepared;
  clock.acquired();
  report.started(Math.max(0, Date.now() - job.enqueuedAt));

  const result = await run(deps, job, prepared, report, log);
  if (result.verdict === 'internal_error')
    log.error({ detail: result.detail }, 'sandbox ended without a result');
  report.finished(result);
  clock.done();
  const step = result.run ?? result.compile;
  const start = result.run?.prepared ? 'prepared' : lease.warm ? 'warm' : 'cold';
  if (step) deps.onRun?.(start);

  const finished = report.finish();
  handBack({
    lease,
    isolation: deps.pool.isolation,
    reusable: result.reusable,
    wipeTimeoutMs: deps.wipeTimeoutMs,
    reported: finished,
  });
  await finished;
  log.info(
    {
      verdict: result.verdict,
      wallMs: step?.wallMs,
      ...clock.phases(),
      start,
      stdoutBytes: result.stdout.length,
    },
    'job done',
  );
}

/**
 * The run phase with its control stream followed meanwhile; if it throws (a broken attach
 * stream), cleanup still runs: the sandbox is removed, the report stream closed with no
 * result, and the job left pending for a later attempt.
 */
async function run(
  deps: EngineDeps,
  job: Job,
  { lang, lease }: Extract<Prepared, { ok: true }>,
  report: AttemptEvents,
  log: Logger,
): Promise<ExecuteResult & { tests?: GradedTest[] }> {
  const control = followJobControl({
    follower: deps.streams,
    key: redisKeys(deps.redisPrefix).control(job.executionId),
    log,
  });
  const opts = {
    session: lease.session,
    lang,
    graceMs: deps.startGraceMs,
    cgroup: deps.cgroup,
    hooks: { onOutput: report.output, onCompileResult: report.compileResult, onTest: report.testResult },
    onControl: control.attach,
  };
  const { grading } = job;
  try {
    // A graded submission (README, "Grading") runs its tests through graded.ts.
    const check =
      grading?.checker.type === 'program' ? createProgramChecker(deps, job, grading.checker, log) : undefined;
    return grading
      ? await executeGradedOnSession({ ...opts, job: { ...job, grading }, ...(check ? { check } : {}) })
      : await executeOnSession({ ...opts, job });
  } catch (err) {
    discardAfterError(lease);
    void report.finish().catch(() => undefined);
    throw err;
  } finally {
    control.stop();
  }
}

/** The attempt's phases as this host's clock saw them, for the `job done` line. */
function attemptClock(job: Job) {
  const readAt = performance.now();
  // Queue wait as far as this host's clock can tell (the control-plane stamps the job at XADD).
  const queuedMs = Math.max(0, Date.now() - job.enqueuedAt);
  let acquiredAt = readAt;
  let doneAt = readAt;
  const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10;
  return {
    acquired: () => void (acquiredAt = performance.now()),
    done: () => void (doneAt = performance.now()),
    phases: () => ({
      agentMs: Math.round(doneAt - readAt),
      phases: {
        queue: queuedMs,
        acquire: ms(readAt, acquiredAt),
        run: ms(acquiredAt, doneAt),
        report: ms(doneAt, performance.now()),
      },
    }),
  };
}
