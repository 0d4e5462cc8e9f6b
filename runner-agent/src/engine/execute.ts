import type { Job, Language } from '@muscode/common';
import type { CgroupMemory } from '../sandbox/cgroup.js';
import { expandCommand, launcherLimits } from './container-spec.js';
import {
  argvPayload,
  filePayload,
  frame,
  limitsPayload,
  parseStepResult,
  type Frame,
  type StepResult,
} from './frames.js';
import type { LauncherSession } from './session.js';
import { decideVerdict, unexpectedEnd, type VerdictName } from './verdict.js';

export type StreamName = 'stdout' | 'stderr' | 'compile';

export interface ExecuteHooks {
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
}

/** What a running execution accepts from outside (the control stream). */
export interface ExecutionControl {
  cancel(): void;
  input(data: Buffer): void;
  closeInput(): void;
}

/** Collects one stream's bytes up to its cap. */
function collector(cap: number) {
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

/**
 * Runs one submission in a started sandbox whose launcher waits for setup frames: sends the
 * files, commands and limits, forwards output, and decides the verdict. Never throws for the
 * user's failures; a sandbox that fails is an internal_error result.
 */
export async function executeOnSession(opts: {
  session: LauncherSession;
  job: Job;
  lang: Language;
  /** Extra time on top of the job's limits before the sandbox is killed from outside. */
  graceMs: number;
  cgroup: CgroupMemory | undefined;
  hooks?: ExecuteHooks;
  /** Called once the submission runs, with the handle for cancel and input. */
  onControl?: (c: ExecutionControl) => void;
}): Promise<ExecuteResult> {
  const { session, job, lang, hooks } = opts;
  const { sandbox } = session;
  const cap = job.limits.outputBytes;
  const out = { stdout: collector(cap), stderr: collector(cap), compile: collector(cap) };
  let compile: StepResult | undefined;
  let run: StepResult | undefined;
  let protocolError: string | undefined;
  let finishStep: () => void = () => undefined;
  const stepsDone = new Promise<void>((resolve) => {
    finishStep = resolve;
  });
  const streamOf: Record<string, StreamName> = { o: 'stdout', e: 'stderr', c: 'compile' };

  session.onFrame((f: Frame | Error) => {
    if (f instanceof Error) {
      protocolError = f.message;
      finishStep();
      return;
    }
    const stream = streamOf[f.type];
    if (stream) {
      out[stream].add(f.payload);
      hooks?.onOutput?.(stream, f.payload);
      return;
    }
    if (f.type !== 'x') {
      protocolError = `unknown launcher frame ${JSON.stringify(f.type)}`;
      finishStep();
      return;
    }
    try {
      const r = parseStepResult(f.payload);
      if (r.step === 'compile') {
        compile = r;
        hooks?.onCompileResult?.(r);
        if (r.exit !== 0 || r.signal !== 0 || r.cancelled) finishStep();
      } else {
        run = r;
        finishStep();
      }
    } catch (err) {
      protocolError = (err as Error).message;
      finishStep();
    }
  });

  const baseline = opts.cgroup ? await opts.cgroup.begin(sandbox.id) : undefined;
  // Sampled while the submission runs: a sandbox killed by the OOM killer or the pids limit
  // loses its cgroups before we learn that it died.
  const watch = opts.cgroup?.watch(sandbox.id, baseline);
  session.runs++;

  // Files go in through the launcher's stdin: nothing of the user's touches the host's disk.
  const frames: Buffer[] = job.files.map((f) => frame('F', filePayload(f.path, f.content)));
  if (lang.compile) frames.push(frame('C', argvPayload(expandCommand(lang.compile, job.mainFile))));
  frames.push(frame('R', argvPayload([...expandCommand(lang.run, job.mainFile), ...(job.args ?? [])])));
  // The launcher runs the interpreter it prepared if it can, else R as usual (PROTOCOL.md).
  if (session.prepared === lang.id && !lang.compile) {
    frames.push(frame('A', argvPayload([job.mainFile, ...(job.args ?? [])])));
  }
  frames.push(frame('L', limitsPayload(launcherLimits(job.limits))));
  frames.push(frame('G'));
  const stdin = Buffer.from(job.stdin, 'base64');
  if (stdin.length > 0) frames.push(frame('I', stdin));
  if (!job.interactive) frames.push(frame('E'));
  sandbox.stdin.write(Buffer.concat(frames));

  let cancelled = false;
  let killed = false;
  const kill = () => {
    killed = true;
    return sandbox.kill();
  };
  opts.onControl?.({
    cancel() {
      if (cancelled) return;
      cancelled = true;
      sandbox.stdin.write(frame('K'));
      // The launcher answers K at once; the kill is the backstop if it cannot.
      setTimeout(() => {
        if (!run && !compile?.cancelled) void kill();
      }, 500).unref();
    },
    input(data) {
      if (job.interactive && !run) sandbox.stdin.write(frame('I', data));
    },
    closeInput() {
      if (job.interactive && !run) sandbox.stdin.write(frame('E'));
    },
  });

  const within = <T>(p: Promise<T>, ms: number, fallback: T) =>
    Promise.race([p, new Promise<T>((r) => setTimeout(() => r(fallback), ms).unref())]);
  /** The launcher reported the submission's last step (the run, or a compile that failed). */
  const stepDone = () =>
    run !== undefined ||
    (compile !== undefined && (compile.exit !== 0 || compile.signal !== 0 || compile.cancelled));

  // Wall time is enforced from outside too: at this deadline the whole sandbox dies.
  let deadlineHit = false;
  const budget =
    opts.graceMs + (lang.compile ? job.limits.compileTimeoutMs : 0) + job.limits.timeoutMs + 1000;
  let deadlineTimer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    deadlineTimer = setTimeout(() => {
      deadlineHit = true;
      resolve();
    }, budget);
  });

  await Promise.race([stepsDone, sandbox.ended, deadline]);
  clearTimeout(deadlineTimer);
  if (deadlineHit) {
    // Our timer is only the backstop of the launcher's own limits, and it may fire late (this
    // process was stalled: a paused agent, a swapping host) after the program finished and its
    // result line is already waiting in the socket. Read what was sent before judging: a
    // finished program keeps its own result, and its wall time is the one measured in the sandbox.
    await new Promise((r) => setImmediate(r));
    if (!stepDone()) {
      void kill().catch(() => undefined);
      await within(Promise.race([stepsDone, sandbox.ended]), 1000, undefined);
    }
    if (stepDone()) deadlineHit = false;
  }
  const facts = watch?.stop();

  let exitState: { exitCode: number | undefined; oomKilled: boolean } = {
    exitCode: undefined,
    oomKilled: false,
  };
  if (!deadlineHit && !stepDone()) {
    // The sandbox ended without a result line: ask Docker why (an OOM kill, a crash).
    await within(sandbox.ended, 1000, undefined);
    exitState = await within(
      sandbox.exit().catch(() => exitState),
      5000,
      exitState,
    );
  }
  session.onFrame(undefined);

  const { verdict, message } = protocolError
    ? { verdict: 'internal_error' as const, message: unexpectedEnd }
    : decideVerdict({
        run,
        compile,
        hasCompile: Boolean(lang.compile),
        deadlineHit,
        oomKilled: exitState.oomKilled,
        cgroup: facts,
        sandboxExitCode: exitState.exitCode,
        cancelled,
        limits: job.limits,
      });
  const step = run ?? compile;
  const clean = !protocolError && !deadlineHit && !killed && step !== undefined;
  return {
    verdict,
    message,
    run,
    compile,
    stdout: out.stdout.bytes(),
    stderr: out.stderr.bytes(),
    compileOutput: out.compile.bytes(),
    stdoutTruncated: (run?.outputLimit ?? false) && out.stdout.full(),
    stderrTruncated: (run?.outputLimit ?? false) && out.stderr.full(),
    // A sandbox that died in its run step has no run rusage; the compiler's is not the program's.
    peakMemoryKb: peakMemoryKb(facts?.peakBytes, run ? run.maxRssKb : step?.maxRssKb),
    reusable: clean,
    detail:
      verdict === 'internal_error'
        ? (protocolError ??
          `sandbox ended (exit ${String(exitState.exitCode)}, oom kills ${String(facts?.oomKills)}, pids exhausted ${String(facts?.pidsExhausted)}): ${session.launcherStderr().slice(0, 300)}`)
        : undefined,
  };
}
