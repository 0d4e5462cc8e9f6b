import type { Job, Language } from '@muscode/common';
import type { CgroupMemory } from '../sandbox/cgroup.js';
import type { SandboxExit } from '../sandbox/driver.js';
import {
  collectResult,
  createStepCollector,
  type CollectHooks,
  type ExecuteResult,
  type RunEnd,
  type StepCollector,
} from './collect.js';
import { expandCommand, launcherLimits } from './container-spec.js';
import { argvPayload, filePayload, frame, limitsPayload } from './frames.js';
import type { LauncherSession } from './session.js';

/**
 * The run phase: one submission on a started sandbox whose launcher waits for setup frames.
 * Sends the frames, hands out the control (cancel, input), and waits until the launcher
 * reported the last step, the sandbox ended, or the agent's own deadline passed.
 */

/** What a running execution accepts from outside (the control stream). */
export interface ExecutionControl {
  cancel(): void;
  input(data: Buffer): void;
  closeInput(): void;
}

export interface RunOptions {
  session: LauncherSession;
  job: Job;
  lang: Language;
  /** Extra time on top of the job's limits before the sandbox is killed from outside. */
  graceMs: number;
  cgroup: CgroupMemory | undefined;
  /** Called once the submission runs, with the handle for cancel and input. */
  onControl?: (c: ExecutionControl) => void;
}

/**
 * The setup frames of an ordinary submission: files (they go in through the launcher's stdin:
 * nothing of the user's touches the host's disk), compile and run commands, limits, go, stdin.
 */
export function submissionFrames(session: LauncherSession, job: Job, lang: Language): Buffer[] {
  const frames: Buffer[] = job.files.map((f) =>
    frame('F', filePayload(f.path, f.encoding === 'base64' ? Buffer.from(f.content, 'base64') : f.content)),
  );
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
  return frames;
}

const within = <T>(p: Promise<T>, ms: number, fallback: T) =>
  Promise.race([p, new Promise<T>((r) => setTimeout(() => r(fallback), ms).unref())]);

/**
 * Sends `frames` and waits for the end of what they started, as `collector` tells it. Never
 * throws for the user's failures: how the sandbox ended is in the RunEnd, judged by collect.
 */
export async function runOnSession(
  opts: RunOptions & { collector: StepCollector; frames: Buffer[] },
): Promise<RunEnd> {
  const { session, job, lang, collector } = opts;
  const { sandbox } = session;
  session.onFrame((f) => collector.onFrame(f));

  const baseline = opts.cgroup ? await opts.cgroup.begin(sandbox.id) : undefined;
  // Sampled while the submission runs: a sandbox killed by the OOM killer or the pids limit
  // loses its cgroups before we learn that it died.
  const watch = opts.cgroup?.watch(sandbox.id, baseline);
  session.runs++;
  sandbox.stdin.write(Buffer.concat(opts.frames));

  let cancelled = false;
  let killed = false;
  const kill = () => {
    killed = true;
    return sandbox.kill();
  };
  const { state } = collector;
  opts.onControl?.({
    cancel() {
      if (cancelled) return;
      cancelled = true;
      sandbox.stdin.write(frame('K'));
      // The launcher answers K at once; the kill is the backstop if it cannot.
      setTimeout(() => {
        if (!state.run && !state.compile?.cancelled) void kill();
      }, 500).unref();
    },
    input(data) {
      if (job.interactive && !state.run) sandbox.stdin.write(frame('I', data));
    },
    closeInput() {
      if (job.interactive && !state.run) sandbox.stdin.write(frame('E'));
    },
  });

  // Wall time is enforced from outside too: at this deadline the whole sandbox dies.
  const budget =
    opts.graceMs + (lang.compile ? job.limits.compileTimeoutMs : 0) + job.limits.timeoutMs + 1000;
  const deadlineHit = await awaitSteps(collector, sandbox.ended, budget, kill);
  const cgroup = watch?.stop();

  let exit: SandboxExit = { exitCode: undefined, oomKilled: false };
  if (!deadlineHit && !collector.stepDone()) {
    // The sandbox ended without a result line: ask the runtime why (an OOM kill, a crash).
    await within(sandbox.ended, 1000, undefined);
    exit = await within(
      sandbox.exit().catch(() => exit),
      5000,
      exit,
    );
  }
  session.onFrame(undefined);
  return { deadlineHit, killed, cancelled, exit, cgroup, launcherStderr: session.launcherStderr() };
}

/**
 * Waits until `collector` has what it waits for (its `stepsDone`: for an ordinary submission
 * the last step), the sandbox ends, or `budgetMs` passes; then kills the sandbox if the step is
 * still not done. True if the deadline ended it. A per-test loop (graded mode) sends each
 * test's frames and waits here with a collector of that test.
 */
export async function awaitSteps(
  collector: StepCollector,
  ended: Promise<void>,
  budgetMs: number,
  kill: () => Promise<void>,
): Promise<boolean> {
  let deadlineHit = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      deadlineHit = true;
      resolve();
    }, budgetMs);
  });
  await Promise.race([collector.stepsDone, ended, deadline]);
  clearTimeout(timer);
  if (!deadlineHit) return false;
  // Our timer is only the backstop of the launcher's own limits, and it may fire late (this
  // process was stalled: a paused agent, a swapping host) after the program finished and its
  // result line is already waiting in the socket. Read what was sent before judging: a
  // finished program keeps its own result, and its wall time is the one measured in the sandbox.
  await new Promise((r) => setImmediate(r));
  if (!collector.stepDone()) {
    void kill().catch(() => undefined);
    await within(Promise.race([collector.stepsDone, ended]), 1000, undefined);
  }
  return !collector.stepDone();
}

/**
 * Runs one ordinary submission on a session and judges it: the run phase, then collect's
 * result. Never throws for the user's failures; a sandbox that fails is an internal_error.
 */
export async function executeOnSession(opts: RunOptions & { hooks?: CollectHooks }): Promise<ExecuteResult> {
  const collector = createStepCollector(opts.job, opts.hooks);
  const frames = submissionFrames(opts.session, opts.job, opts.lang);
  const end = await runOnSession({ ...opts, collector, frames });
  return collectResult(opts.job, Boolean(opts.lang.compile), collector, end);
}
