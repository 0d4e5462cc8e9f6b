import type { Job } from '@muscode/common';
import type { CgroupFacts } from '../sandbox/cgroup.js';
import type { SandboxExit } from '../sandbox/driver.js';
import { artifactFrameTypes, createArtifactCollector, type ArtifactsReport } from './artifacts.js';
import { parseStepResult, type Frame, type StepResult } from './frames.js';
import { decideVerdict, unexpectedEnd, type VerdictName } from './verdict.js';

/**
 * The collect phase: what the launcher sends while a submission runs (output, step results,
 * artifacts) gathered by a frame sink, and, once it ended, the result judged from it.
 */

export type StreamName = 'stdout' | 'stderr' | 'compile';

export interface CollectHooks {
  onOutput?: (stream: StreamName, data: Buffer) => void;
  onCompileResult?: (r: StepResult) => void;
}

export interface ExecuteResult {
  verdict: VerdictName;
  /** For the user: the limit that ended the program or its compilation (verdict.ts). */
  message: string;
  run: StepResult | undefined;
  compile: StepResult | undefined;
  stdout: Buffer;
  stderr: Buffer;
  compileOutput: Buffer;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** Peak memory of the submission in KiB: see peakMemoryKb(). */
  peakMemoryKb: number;
  /** The launcher wiped the sandbox and may serve another submission (owner/jail). */
  reusable: boolean;
  /** For internal errors: what went wrong, for the log (never user output). */
  detail: string | undefined;
  /** The job asked for artifacts and the launcher sent them all (undefined otherwise). */
  artifacts: ArtifactsReport | undefined;
}

/** Collects one stream's bytes up to its cap. */
function capped(cap: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add(data: Buffer) {
      const room = cap - size;
      if (room <= 0) return;
      const part = data.length > room ? data.subarray(0, room) : data;
      chunks.push(part);
      size += part.length;
    },
    bytes: () => Buffer.concat(chunks),
    full: () => size >= cap,
  };
}

/**
 * Peak memory: the sandbox cgroup's peak above its usage when the submission started, or the
 * launcher's rusage (the main process and the children it waited for) when it is larger or the
 * cgroup cannot be read. The cgroup figure counts everything the memory limit counts (child
 * processes that were not waited for, files in the tmpfs, gVisor's own growth); rusage alone
 * misses those, and a fresh sandbox's baseline (gVisor's ~15 MiB) is left out of both.
 */
export function peakMemoryKb(cgroupBytes: number | undefined, rusageKb: number | undefined): number {
  const fromCgroup = cgroupBytes === undefined ? 0 : Math.round(cgroupBytes / 1024);
  return Math.max(fromCgroup, rusageKb ?? 0);
}

const streamOf: Record<string, StreamName> = { o: 'stdout', e: 'stderr', c: 'compile' };

/**
 * The frame sink of one submission: caps and forwards output, keeps the step results and the
 * artifacts, and resolves `stepsDone` once the submission's last step is reported (the run and,
 * asked for, its artifacts; or a compile that failed) or the launcher broke the protocol.
 */
export function createStepCollector(job: Job, hooks?: CollectHooks) {
  const cap = job.limits.outputBytes;
  const out = { stdout: capped(cap), stderr: capped(cap), compile: capped(cap) };
  // Asked for, artifacts come after the run's `x` and end with `y` (not after a cancelled run).
  const artifacts = job.limits.artifacts ? createArtifactCollector() : undefined;
  let finish: () => void = () => undefined;
  const stepsDone = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const state = {
    compile: undefined as StepResult | undefined,
    run: undefined as StepResult | undefined,
    protocolError: undefined as string | undefined,
  };
  const runDone = (r: StepResult) => !artifacts || r.cancelled || artifacts.done() !== undefined;
  const compileFailed = (c: StepResult | undefined) =>
    c !== undefined && (c.exit !== 0 || c.signal !== 0 || c.cancelled);
  const broken = (message: string) => {
    state.protocolError = message;
    finish();
  };

  function onStepResult(payload: Buffer): void {
    const r = parseStepResult(payload);
    if (r.step === 'compile') {
      state.compile = r;
      hooks?.onCompileResult?.(r);
      if (compileFailed(r)) finish();
    } else {
      state.run = r;
      if (runDone(r)) finish();
    }
  }

  return {
    state,
    stepsDone,
    /** The launcher reported the submission's last step (the run, or a compile that failed). */
    stepDone: () => (state.run !== undefined && runDone(state.run)) || compileFailed(state.compile),
    onFrame(f: Frame | Error): void {
      if (f instanceof Error) return broken(f.message);
      const stream = streamOf[f.type];
      if (stream) {
        out[stream].add(f.payload);
        hooks?.onOutput?.(stream, f.payload);
        return;
      }
      try {
        if (artifacts && artifactFrameTypes.has(f.type)) {
          artifacts.add(f);
          if (state.run && runDone(state.run)) finish();
        } else if (f.type === 'x') {
          onStepResult(f.payload);
        } else {
          broken(`unknown launcher frame ${JSON.stringify(f.type)}`);
        }
      } catch (err) {
        broken((err as Error).message);
      }
    },
    output: () => ({
      stdout: out.stdout.bytes(),
      stderr: out.stderr.bytes(),
      compileOutput: out.compile.bytes(),
      stdoutFull: out.stdout.full(),
      stderrFull: out.stderr.full(),
    }),
    artifacts: () => artifacts?.done(),
  };
}

export type StepCollector = ReturnType<typeof createStepCollector>;

/** How the run phase saw the submission end (run.ts). */
export interface RunEnd {
  /** Our own deadline (the backstop of the launcher's limits) killed the sandbox. */
  deadlineHit: boolean;
  /** The sandbox was killed from outside (deadline, or a cancel the launcher did not answer). */
  killed: boolean;
  cancelled: boolean;
  /** Asked of the runtime only when the sandbox ended without a result line. */
  exit: SandboxExit;
  cgroup: CgroupFacts | undefined;
  /** The launcher's own stderr, for an internal error's log line. */
  launcherStderr: string;
}

/** The result of a submission: its verdict from what was collected and how it ended. */
export function collectResult(job: Job, hasCompile: boolean, c: StepCollector, end: RunEnd): ExecuteResult {
  const { run, compile, protocolError } = c.state;
  const { verdict, message } = protocolError
    ? { verdict: 'internal_error' as const, message: unexpectedEnd }
    : decideVerdict({
        run,
        compile,
        hasCompile,
        deadlineHit: end.deadlineHit,
        oomKilled: end.exit.oomKilled,
        cgroup: end.cgroup,
        sandboxExitCode: end.exit.exitCode,
        cancelled: end.cancelled,
        limits: job.limits,
      });
  const step = run ?? compile;
  const out = c.output();
  const facts = end.cgroup;
  return {
    verdict,
    message,
    run,
    compile,
    stdout: out.stdout,
    stderr: out.stderr,
    compileOutput: out.compileOutput,
    stdoutTruncated: (run?.outputLimit ?? false) && out.stdoutFull,
    stderrTruncated: (run?.outputLimit ?? false) && out.stderrFull,
    // A sandbox that died in its run step has no run rusage; the compiler's is not the program's.
    peakMemoryKb: peakMemoryKb(facts?.peakBytes, run ? run.maxRssKb : step?.maxRssKb),
    reusable: !protocolError && !end.deadlineHit && !end.killed && step !== undefined,
    detail:
      verdict === 'internal_error'
        ? (protocolError ??
          `sandbox ended (exit ${String(end.exit.exitCode)}, oom kills ${String(facts?.oomKills)}, pids exhausted ${String(facts?.pidsExhausted)}): ${end.launcherStderr.slice(0, 300)}`)
        : undefined,
    artifacts: protocolError ? undefined : c.artifacts(),
  };
}
