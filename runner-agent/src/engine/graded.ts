import { create } from '@bufbuild/protobuf';
import {
  checkOutput,
  type Job,
  type JobGrading,
  type Language,
  type OutputChecker,
  type TestStatus,
} from '@muscode/common';
import { TestResultSchema, type TestResult } from '@muscode/proto/runner/v1';
import type { CgroupMemory } from '../sandbox/cgroup.js';
import type { CheckOutcome, TestCheck } from './checker.js';
import { expandCommand, launcherLimits } from './container-spec.js';
import { peakMemoryKb, type CollectHooks, type ExecuteResult } from './collect.js';
import type { ExecutionControl } from './run.js';
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

/**
 * Graded submissions (README, "Grading"; launcher PROTOCOL.md, "Graded submissions"): the
 * files, the compile step and the limits go in once with a `T` frame, then each test is an `N`
 * frame (its wall and CPU time) followed by its stdin; its run's `x` ends it. The checker is
 * applied here, as each test ends, so stopOnFirstFailure can stop at a wrong answer and the
 * expected outputs go no further than the job; a `program` checker runs then too, in a sandbox
 * of its own (checker.ts), never in the submission's.
 */

/** Bytes of each test's stdout and of its stderr kept in its report (the checker sees all). */
export const testReportBytes = 8 * 1024;

export interface GradedTest {
  index: number;
  name: string;
  status: TestStatus;
  /** The run's result line; undefined for a skipped test or a sandbox that died in it. */
  run: StepResult | undefined;
  stdout: Buffer;
  stderr: Buffer;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  message: string;
}

export interface GradedHooks extends CollectHooks {
  /** Each test as soon as it has run (its output went to onOutput before). */
  onTest?: (t: GradedTest) => void;
}

export interface GradedResult extends ExecuteResult {
  tests: GradedTest[];
}

function collector(cap: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  return {
    add(data: Buffer) {
      const room = cap - size;
      if (data.length > room) over = true;
      if (room <= 0) return;
      const part = data.length > room ? data.subarray(0, room) : data;
      chunks.push(part);
      size += part.length;
    },
    bytes: () => Buffer.concat(chunks),
    over: () => over,
  };
}

type StepEnd =
  | { kind: 'step'; r: StepResult }
  | { kind: 'ended' }
  | { kind: 'deadline' }
  | { kind: 'error'; detail: string };

/** The proto message of a test (Finished.tests and the TestResult event). */
export function testResultMessage(t: GradedTest): TestResult {
  const cut = (b: Buffer) => (b.length > testReportBytes ? b.subarray(0, testReportBytes) : b);
  return create(TestResultSchema, {
    index: t.index,
    name: t.name,
    status: t.status,
    ...(t.run && t.run.signal === 0 && t.run.exit >= 0 ? { exitCode: t.run.exit } : {}),
    signal: t.run?.signal ?? 0,
    wallMs: t.run?.wallMs ?? 0,
    cpuMs: t.run?.cpuMs ?? 0,
    peakMemoryKb: t.run?.maxRssKb ?? 0,
    stdout: cut(t.stdout),
    stderr: cut(t.stderr),
    stdoutTruncated: t.stdoutTruncated || t.stdout.length > testReportBytes,
    stderrTruncated: t.stderrTruncated || t.stderr.length > testReportBytes,
    message: t.message,
  });
}

const decode = (b: Buffer) => b.toString('utf8');

/** The status of a test whose program did not exit 0: its run's own verdict. */
export function runStatus(verdict: Exclude<VerdictName, 'completed'>): TestStatus {
  // A compile_error cannot happen in a test's run.
  return verdict === 'compile_error' ? 'internal_error' : verdict;
}

/** The test's status from its run's verdict and, for a program that exited 0, the checker. */
export function testStatus(
  verdict: VerdictName,
  grading: { checker: OutputChecker },
  expected: Buffer,
  stdout: Buffer,
): TestStatus {
  if (verdict === 'completed') {
    return checkOutput(grading.checker, decode(expected), decode(stdout)) ? 'accepted' : 'wrong_answer';
  }
  return runStatus(verdict);
}

const wrongOutput = 'The output is not the expected output.';

/**
 * A test's status and message: the run's verdict, or for a program that exited 0 the
 * checker's answer (a `program` checker's through `check`).
 */
export async function judgeTest(opts: {
  outcome: { verdict: VerdictName; message: string };
  checker: JobGrading['checker'];
  test: JobGrading['tests'][number];
  stdout: Buffer;
  check: TestCheck | undefined;
}): Promise<CheckOutcome | { status: TestStatus; message: string; fatal?: undefined }> {
  const { outcome, checker, test, stdout } = opts;
  if (outcome.verdict !== 'completed')
    return { status: runStatus(outcome.verdict), message: outcome.message };
  if (checker.type === 'program') {
    return opts.check
      ? opts.check(test, stdout)
      : { status: 'internal_error', message: 'The checker could not run.', fatal: true };
  }
  const status = testStatus(outcome.verdict, { checker }, Buffer.from(test.expectedOutput, 'base64'), stdout);
  return { status, message: status === 'wrong_answer' ? wrongOutput : '' };
}

/**
 * Runs a graded submission in a started sandbox whose launcher waits for setup frames. Never
 * throws for the user's failures. The overall verdict is `completed` when every test that was
 * meant to run got a verdict of its own (the summary says how many passed), else the
 * submission's: `compile_error`, `cancelled`, or `internal_error`.
 */
export async function executeGradedOnSession(opts: {
  session: LauncherSession;
  job: Job & { grading: JobGrading };
  lang: Language;
  graceMs: number;
  cgroup: CgroupMemory | undefined;
  hooks?: GradedHooks;
  onControl?: (c: ExecutionControl) => void;
  /** Runs a `program` checker on a test's output. */
  check?: TestCheck;
}): Promise<GradedResult> {
  const { session, job, lang, hooks } = opts;
  const { sandbox } = session;
  const { grading, limits } = job;
  const cap = limits.outputBytes;
  const compileOut = collector(cap);
  let current: { stdout: ReturnType<typeof collector>; stderr: ReturnType<typeof collector> } | undefined;
  let compile: StepResult | undefined;
  let protocolError: string | undefined;
  let waiter: ((e: StepEnd) => void) | undefined;
  const pending: StepEnd[] = [];
  const deliver = (e: StepEnd) => {
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(e);
    } else pending.push(e);
  };

  session.onFrame((f: Frame | Error) => {
    if (f instanceof Error) {
      protocolError = f.message;
      deliver({ kind: 'error', detail: f.message });
      return;
    }
    if (f.type === 'c') {
      compileOut.add(f.payload);
      hooks?.onOutput?.('compile', f.payload);
      return;
    }
    if (f.type === 'o' || f.type === 'e') {
      (f.type === 'o' ? current?.stdout : current?.stderr)?.add(f.payload);
      hooks?.onOutput?.(f.type === 'o' ? 'stdout' : 'stderr', f.payload);
      return;
    }
    if (f.type !== 'x') {
      protocolError = `unknown launcher frame ${JSON.stringify(f.type)}`;
      deliver({ kind: 'error', detail: protocolError });
      return;
    }
    try {
      deliver({ kind: 'step', r: parseStepResult(f.payload) });
    } catch (err) {
      protocolError = (err as Error).message;
      deliver({ kind: 'error', detail: protocolError });
    }
  });

  const nextStep = (ms: number): Promise<StepEnd> => {
    const queued = pending.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise<StepEnd>((resolve) => {
      const timer = setTimeout(() => {
        waiter = undefined;
        resolve({ kind: 'deadline' });
      }, ms);
      waiter = (e) => {
        clearTimeout(timer);
        resolve(e);
      };
      void sandbox.ended.then(() => {
        // Frames already read are delivered first (the stdout data events precede the end).
        setImmediate(() => waiter?.({ kind: 'ended' }));
      });
    });
  };

  const baseline = opts.cgroup ? await opts.cgroup.begin(sandbox.id) : undefined;
  const watch = opts.cgroup?.watch(sandbox.id, baseline);
  session.runs++;

  const setup: Buffer[] = job.files.map((f) =>
    frame('F', filePayload(f.path, f.encoding === 'base64' ? Buffer.from(f.content, 'base64') : f.content)),
  );
  if (lang.compile) setup.push(frame('C', argvPayload(expandCommand(lang.compile, job.mainFile))));
  setup.push(frame('R', argvPayload([...expandCommand(lang.run, job.mainFile), ...(job.args ?? [])])));
  // Artifacts are not collected from graded runs.
  setup.push(frame('L', limitsPayload(launcherLimits({ ...limits, artifacts: undefined }))));
  setup.push(frame('T'));
  setup.push(frame('G'));
  sandbox.stdin.write(Buffer.concat(setup));

  let cancelled = false;
  let killed = false;
  const kill = () => {
    killed = true;
    return sandbox.kill().catch(() => undefined);
  };
  opts.onControl?.({
    cancel() {
      if (cancelled) return;
      cancelled = true;
      sandbox.stdin.write(frame('K'));
    },
    input() {},
    closeInput() {},
  });

  const tests: GradedTest[] = [];
  const skip = (from: number) => {
    for (let i = from; i < grading.tests.length; i++) {
      const t = grading.tests[i]!;
      tests.push({
        index: i,
        name: t.name,
        status: 'skipped',
        run: undefined,
        stdout: Buffer.alloc(0),
        stderr: Buffer.alloc(0),
        stdoutTruncated: false,
        stderrTruncated: false,
        message: '',
      });
    }
  };
  let verdict: VerdictName = 'completed';
  let message = '';
  let detail: string | undefined;
  let clean = true;
  let oomKilled = false;
  let sandboxExitCode: number | undefined;

  /** Why the sandbox ended without a result line, from Docker. */
  const exitState = async () => {
    const s = await Promise.race([
      sandbox.exit().catch(() => ({ exitCode: undefined, oomKilled: false })),
      new Promise<{ exitCode: number | undefined; oomKilled: boolean }>((r) =>
        setTimeout(() => r({ exitCode: undefined, oomKilled: false }), 5000).unref(),
      ),
    ]);
    oomKilled = s.oomKilled;
    sandboxExitCode = s.exitCode;
  };

  if (lang.compile) {
    const end = await nextStep(opts.graceMs + limits.compileTimeoutMs + 1000);
    if (end.kind === 'step' && end.r.step === 'compile') {
      compile = end.r;
      hooks?.onCompileResult?.(end.r);
    }
    const failed = !compile || compile.exit !== 0 || compile.signal !== 0 || compile.cancelled;
    if (failed) {
      clean = compile !== undefined && !protocolError;
      if (end.kind === 'deadline') await kill();
      if (end.kind === 'ended') await exitState();
      const o = protocolError
        ? { verdict: 'internal_error' as const, message: unexpectedEnd }
        : decideVerdict({
            run: undefined,
            compile,
            hasCompile: true,
            deadlineHit: end.kind === 'deadline',
            oomKilled,
            cgroup: watch?.stop(),
            sandboxExitCode,
            cancelled,
            limits,
          });
      verdict = o.verdict;
      message = o.message;
      if (verdict === 'internal_error') detail = protocolError ?? session.launcherStderr().slice(0, 300);
      skip(0);
    }
  }
  const compileFailed = tests.length > 0;

  let lastRun: StepResult | undefined;
  for (let i = 0; !compileFailed && i < grading.tests.length; i++) {
    const test = grading.tests[i]!;
    if (cancelled) {
      verdict = 'cancelled';
      skip(i);
      break;
    }
    const timeoutMs = test.timeoutMs ?? limits.timeoutMs;
    const cpuMs = test.timeoutMs ?? limits.cpuTimeMs ?? limits.timeoutMs;
    current = { stdout: collector(cap), stderr: collector(cap) };
    const stdin = Buffer.from(test.stdin, 'base64');
    sandbox.stdin.write(
      Buffer.concat([
        frame('N', limitsPayload({ run_wall_ms: timeoutMs, run_cpu_ms: cpuMs })),
        ...(stdin.length > 0 ? [frame('I', stdin)] : []),
        frame('E'),
      ]),
    );
    const end = await nextStep(opts.graceMs + timeoutMs + 1000);
    const run = end.kind === 'step' && end.r.step === 'run' ? end.r : undefined;
    if (end.kind === 'deadline') await kill();
    if (end.kind === 'ended') await exitState();
    const facts = run ? undefined : watch?.stop();
    const o =
      end.kind === 'error' || (end.kind === 'step' && !run)
        ? { verdict: 'internal_error' as const, message: unexpectedEnd }
        : decideVerdict({
            run,
            compile,
            hasCompile: false,
            deadlineHit: end.kind === 'deadline',
            oomKilled,
            cgroup: facts,
            sandboxExitCode,
            cancelled,
            limits: { ...limits, timeoutMs, cpuTimeMs: cpuMs },
          });
    const stdout = current.stdout.bytes();
    const judged = await judgeTest({ outcome: o, checker: grading.checker, test, stdout, check: opts.check });
    const { status } = judged;
    const result: GradedTest = {
      index: i,
      name: test.name,
      status,
      run,
      stdout,
      stderr: current.stderr.bytes(),
      stdoutTruncated: (run?.outputLimit ?? false) || current.stdout.over(),
      stderrTruncated: (run?.outputLimit ?? false) || current.stderr.over(),
      message: judged.message,
    };
    current = undefined;
    tests.push(result);
    hooks?.onTest?.(result);
    if (run) lastRun = run;
    if (status === 'cancelled') {
      verdict = 'cancelled';
      skip(i + 1);
      break;
    }
    if (judged.fatal) {
      // The checker cannot judge any test (it did not compile, or cannot run here).
      verdict = 'internal_error';
      message = judged.message;
      detail = 'the checker program could not judge the test';
      skip(i + 1);
      break;
    }
    if (!run) {
      // The sandbox is gone (or speaks no more): no further test can run in it.
      clean = false;
      if (status === 'internal_error') {
        verdict = 'internal_error';
        message = unexpectedEnd;
        detail =
          protocolError ??
          `sandbox ended (exit ${String(sandboxExitCode)}): ${session.launcherStderr().slice(0, 300)}`;
      }
      skip(i + 1);
      break;
    }
    if (status !== 'accepted' && grading.stopOnFirstFailure) {
      skip(i + 1);
      break;
    }
  }

  // No more tests. Not after a failed compile or a cancel: the launcher ended the submission
  // itself then, and a D would be read as the next submission's first frame.
  const compiled = !lang.compile || (compile !== undefined && compile.exit === 0 && compile.signal === 0);
  if (compiled && clean && !cancelled && !killed && sandbox.stdin.writable) sandbox.stdin.write(frame('D'));
  const facts = watch?.stop();
  session.onFrame(undefined);

  const ran = tests.filter((t) => t.run);
  const firstFailure = tests.find((t) => t.status !== 'accepted' && t.status !== 'skipped');
  const summaryRun: StepResult | undefined = lastRun && {
    ...lastRun,
    exit: firstFailure?.run?.exit ?? lastRun.exit,
    signal: firstFailure?.run?.signal ?? lastRun.signal,
    wallMs: ran.reduce((n, t) => n + (t.run?.wallMs ?? 0), 0),
    cpuMs: ran.reduce((n, t) => n + (t.run?.cpuMs ?? 0), 0),
    maxRssKb: Math.max(0, ...ran.map((t) => t.run?.maxRssKb ?? 0)),
  };
  return {
    verdict,
    message: verdict === 'completed' ? '' : message,
    run: summaryRun,
    compile,
    stdout: Buffer.alloc(0),
    stderr: Buffer.alloc(0),
    compileOutput: compileOut.bytes(),
    stdoutTruncated: false,
    stderrTruncated: false,
    peakMemoryKb: peakMemoryKb(facts?.peakBytes, summaryRun?.maxRssKb ?? compile?.maxRssKb),
    reusable: clean && !killed && !protocolError,
    detail,
    artifacts: undefined,
    tests,
  };
}
