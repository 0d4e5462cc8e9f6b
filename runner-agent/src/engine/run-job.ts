import {
  findLanguage,
  languageVersionOfImage,
  languageVersions,
  redisKeys,
  sandboxImageName,
  type Job,
  type JobLimits,
  type LanguageManifest,
  type Logger,
  type StreamFollower,
} from '@muscode/common';
import { Stream, Verdict } from '@muscode/proto/runner/v1';
import type { WarmPool } from '../pool/warm-pool.js';
import type { ControlPlane } from '../report/control-plane.js';
import type { CgroupMemory } from '../sandbox/cgroup.js';
import type { SpecInput } from './container-spec.js';
import { sandboxSpec } from './container-spec.js';
import { followControl } from './control.js';
import { executeOnSession, type ExecutionControl, type StreamName } from './execute.js';
import type { VerdictName } from './verdict.js';

const verdicts: Record<VerdictName, Verdict> = {
  completed: Verdict.COMPLETED,
  runtime_error: Verdict.RUNTIME_ERROR,
  timeout: Verdict.TIMEOUT,
  cpu_limit: Verdict.CPU_LIMIT,
  memory_limit: Verdict.MEMORY_LIMIT,
  output_limit: Verdict.OUTPUT_LIMIT,
  compile_error: Verdict.COMPILE_ERROR,
  cancelled: Verdict.CANCELLED,
  internal_error: Verdict.INTERNAL_ERROR,
};

const streams: Record<StreamName, Stream> = {
  stdout: Stream.STDOUT,
  stderr: Stream.STDERR,
  compile: Stream.COMPILE,
};

export interface EngineDeps {
  pool: WarmPool;
  controlPlane: ControlPlane;
  /** Reads the control streams of every running job (one connection). */
  streams: StreamFollower;
  redisPrefix: string;
  manifest: LanguageManifest;
  /** The limits pooled sandboxes are made with (the manifest's defaults). */
  poolLimits: JobLimits;
  /** The create body input of a sandbox, less what depends on the job. */
  specBase: Omit<SpecInput, 'image' | 'limits' | 'executionId' | 'isolation'>;
  startGraceMs: number;
  /** Time the launcher has to wipe a reused sandbox before it is discarded. */
  wipeTimeoutMs: number;
  cgroup: CgroupMemory | undefined;
  /** Repository the sandbox images are tagged in. */
  imageRepo: string;
  /** Images this agent can use, by name. */
  hasImage: (image: string) => boolean;
  /** Told how each submission's sandbox was ready (for the metrics). */
  onRun?: (start: 'prepared' | 'warm' | 'cold') => void;
  /**
   * Re-probes the container runtime after a sandbox failed to start. When it is down the
   * attempt is left pending (not failed): the job is the platform's problem, not the user's,
   * and runs once this agent or another can start sandboxes.
   */
  runtimeHealthy?: () => Promise<boolean>;
  log: Logger;
}

/** An attempt given back because the container runtime is down; its job stays pending. */
export class RuntimeUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the container runtime is unavailable; the job is left pending', { cause });
    this.name = 'RuntimeUnavailableError';
  }
}

/**
 * Sandbox-level limits (memory, CPU, tmpfs sizes) are fixed when a sandbox is created; a job
 * whose limits differ from the pool's gets a sandbox of its own, made for it.
 */
function fitsPool(pool: JobLimits, job: JobLimits): boolean {
  return pool.memoryMb === job.memoryMb && pool.cpus === job.cpus && pool.workspaceMb === job.workspaceMb;
}

/**
 * Runs one attempt of a job: take a sandbox (warm from the pool, or started now), run the
 * submission in it, report, and hand the sandbox back (reused or removed, by isolation level).
 * Resolves once the control-plane has the result; rejects only if it could not be told.
 */
export async function runJob(deps: EngineDeps, job: Job, attempt: number): Promise<void> {
  const readAt = performance.now();
  // Queue wait as far as this host's clock can tell (the control-plane stamps the job at XADD).
  const queuedMs = Math.max(0, Date.now() - job.enqueuedAt);
  const log = deps.log.child({ executionId: job.executionId, attempt });
  const report = deps.controlPlane.open(job.executionId, attempt);
  const fail = async (message: string) => {
    report.send({ case: 'finished', value: { verdict: Verdict.INTERNAL_ERROR, message } });
    await report.finish();
  };

  // The version the control-plane chose (its image); a job without one (an older
  // control-plane) runs the language's first version, the only one there was.
  const language = findLanguage(deps.manifest, job.language);
  const lang =
    language && (job.image ? languageVersionOfImage(language, job.image) : languageVersions(language)[0]);
  const image = lang ? sandboxImageName(lang.image, deps.imageRepo) : '';
  if (!lang || !deps.hasImage(image)) {
    log.error({ language: job.language, image: job.image }, 'language not available on this runner');
    const what = job.version ? `${job.language} ${job.version}` : job.language;
    return fail(`Language ${what} is not available on this runner.`);
  }

  const cold = fitsPool(deps.poolLimits, job.limits)
    ? undefined
    : sandboxSpec({
        ...deps.specBase,
        image,
        limits: job.limits,
        executionId: job.executionId,
        isolation: 'sandbox',
      });
  let lease;
  try {
    lease = await deps.pool.acquire(image, job.ownerId, cold);
  } catch (err) {
    if (deps.runtimeHealthy && !(await deps.runtimeHealthy())) {
      log.warn(
        { err: (err as Error).message },
        'no sandbox: the container runtime is down; job left pending',
      );
      // Nothing was sent: the (empty) report ends, and the job is not acknowledged.
      await report.finish().catch(() => undefined);
      throw new RuntimeUnavailableError(err);
    }
    log.error({ err }, 'sandbox did not start');
    return fail('The sandbox could not be started.');
  }
  const acquiredAt = performance.now();
  report.send({ case: 'started', value: { queueMs: Math.max(0, Date.now() - job.enqueuedAt) } });

  // Interactive input and cancel arrive on the execution's control stream.
  let control: ExecutionControl | undefined;
  const early: (() => void)[] = [];
  const follower = followControl({
    follower: deps.streams,
    key: redisKeys(deps.redisPrefix).control(job.executionId),
    log,
    onMessage: (m) => {
      const act = () => {
        if (m.type === 'cancel') control?.cancel();
        else if (m.type === 'stdin') control?.input(Buffer.from(m.data, 'base64'));
        else control?.closeInput();
      };
      if (control) act();
      else early.push(act);
    },
  });

  const result = await executeOnSession({
    session: lease.session,
    job,
    lang,
    graceMs: deps.startGraceMs,
    cgroup: deps.cgroup,
    hooks: {
      onOutput: (stream, data) => report.send({ case: 'output', value: { stream: streams[stream], data } }),
      onCompileResult: (r) =>
        report.send({
          case: 'compileResult',
          value: {
            exitCode: r.exit,
            wallMs: r.wallMs,
            cpuMs: r.cpuMs,
            success: r.exit === 0 && r.signal === 0,
          },
        }),
    },
    onControl: (c) => {
      control = c;
      for (const act of early.splice(0)) act();
    },
  });
  follower.stop();

  const { verdict, run, compile } = result;
  if (verdict === 'internal_error') log.error({ detail: result.detail }, 'sandbox ended without a result');
  const step = run ?? compile;
  report.send({
    case: 'finished',
    value: {
      verdict: verdicts[verdict],
      ...(run && run.exit >= 0 ? { exitCode: run.exit } : {}),
      signal: run?.signal ?? 0,
      wallMs: run?.wallMs ?? 0,
      cpuMs: run?.cpuMs ?? 0,
      compileWallMs: compile?.wallMs ?? 0,
      compileCpuMs: compile?.cpuMs ?? 0,
      peakMemoryKb: result.peakMemoryKb,
      stdout: result.stdout,
      stderr: result.stderr,
      compileOutput: result.compileOutput,
      stdoutTruncated: result.stdoutTruncated,
      stderrTruncated: result.stderrTruncated,
      message: result.message,
    },
  });
  const doneAt = performance.now();
  const agentMs = Math.round(doneAt - readAt);
  const start = run?.prepared ? 'prepared' : lease.warm ? 'warm' : 'cold';
  if (step) deps.onRun?.(start);

  // Handing the sandbox back waits until the control-plane has the result (at most a second):
  // removing a sandbox and starting its replacement cost CPU that the result's way to the user
  // should not share. A reused sandbox's wipe runs meanwhile, inside it.
  const reusable = result.reusable && deps.pool.isolation !== 'sandbox';
  const ready = reusable ? lease.session.nextReady(deps.wipeTimeoutMs) : Promise.resolve(false);
  const finished = report.finish();
  const reported = finished.then(
    () => undefined,
    () => undefined,
  );
  void Promise.race([reported, new Promise((r) => setTimeout(r, 1000).unref())])
    .then(() => ready)
    .then(
      (ok) => lease.release(ok),
      () => lease.release(false),
    );
  await finished;
  const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10;
  const phases = {
    queue: queuedMs,
    acquire: ms(readAt, acquiredAt),
    run: ms(acquiredAt, doneAt),
    report: ms(doneAt, performance.now()),
  };
  log.info(
    { verdict, wallMs: step?.wallMs, agentMs, phases, start, stdoutBytes: result.stdout.length },
    'job done',
  );
}
