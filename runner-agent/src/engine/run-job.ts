import type { Redis } from 'ioredis';
import {
  findLanguage,
  redisKeys,
  sandboxImageName,
  type Job,
  type LanguageManifest,
  type Logger,
} from '@muscode/common';
import { Stream, Verdict } from '@muscode/proto/runner/v1';
import type { ControlPlane } from '../report/control-plane.js';
import type { Sandbox, SandboxDriver } from '../sandbox/docker.js';
import { expandCommand, launcherLimits, sandboxSpec } from './container-spec.js';
import { followControl } from './control.js';
import {
  argvPayload,
  createFrameParser,
  filePayload,
  frame,
  limitsPayload,
  parseStepResult,
  type StepResult,
} from './frames.js';
import { decideVerdict, type VerdictName } from './verdict.js';

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

export interface EngineDeps {
  driver: SandboxDriver;
  controlPlane: ControlPlane;
  redis: Redis;
  redisPrefix: string;
  manifest: LanguageManifest;
  runnerId: string;
  runtime: string;
  memoryOverheadMb: number;
  startGraceMs: number;
  /** Images this agent has, by name. */
  hasImage: (image: string) => boolean;
  /** Removals run off the critical path; the agent waits for them on shutdown. */
  track: (p: Promise<unknown>) => void;
  log: Logger;
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
 * Runs one attempt of a job in a fresh gVisor sandbox: prepare → run → collect → cleanup.
 * Resolves once the control-plane has the result; rejects only if it could not be told.
 */
export async function runJob(deps: EngineDeps, job: Job, attempt: number): Promise<void> {
  const log = deps.log.child({ executionId: job.executionId, attempt });
  const report = deps.controlPlane.open(job.executionId, attempt);
  const fail = async (message: string) => {
    report.send({ case: 'finished', value: { verdict: Verdict.INTERNAL_ERROR, message } });
    await report.finish();
  };

  const lang = findLanguage(deps.manifest, job.language);
  const image = lang ? sandboxImageName(lang.image) : '';
  if (!lang || !deps.hasImage(image)) {
    log.error({ language: job.language }, 'language not available on this runner');
    return fail(`Language ${job.language} is not available on this runner.`);
  }

  let sandbox: Sandbox;
  try {
    sandbox = await deps.driver.start(
      sandboxSpec({
        image,
        runtime: deps.runtime,
        runnerId: deps.runnerId,
        executionId: job.executionId,
        limits: job.limits,
        memoryOverheadMb: deps.memoryOverheadMb,
      }),
    );
  } catch (err) {
    log.error({ err }, 'sandbox did not start');
    return fail('The sandbox could not be started.');
  }
  report.send({ case: 'started', value: { queueMs: Math.max(0, Date.now() - job.enqueuedAt) } });

  const cap = job.limits.outputBytes;
  const out = { stdout: collector(cap), stderr: collector(cap), compile: collector(cap) };
  let compile: StepResult | undefined;
  let run: StepResult | undefined;
  let protocolError: string | undefined;
  let finishStep: () => void = () => undefined;
  const stepsDone = new Promise<void>((resolve) => {
    finishStep = resolve;
  });

  const parse = createFrameParser((f) => {
    switch (f.type) {
      case 'o':
        out.stdout.add(f.payload);
        report.send({ case: 'output', value: { stream: Stream.STDOUT, data: f.payload } });
        break;
      case 'e':
        out.stderr.add(f.payload);
        report.send({ case: 'output', value: { stream: Stream.STDERR, data: f.payload } });
        break;
      case 'c':
        out.compile.add(f.payload);
        report.send({ case: 'output', value: { stream: Stream.COMPILE, data: f.payload } });
        break;
      case 'x': {
        const r = parseStepResult(f.payload);
        if (r.step === 'compile') {
          compile = r;
          const success = r.exit === 0 && r.signal === 0;
          report.send({
            case: 'compileResult',
            value: { exitCode: r.exit, wallMs: r.wallMs, cpuMs: r.cpuMs, success },
          });
          if (!success) finishStep();
        } else {
          run = r;
          finishStep();
        }
        break;
      }
      default:
        throw new Error(`unknown launcher frame ${JSON.stringify(f.type)}`);
    }
  });
  sandbox.stdout.on('data', (chunk: Buffer) => {
    try {
      parse(chunk);
    } catch (err) {
      protocolError = (err as Error).message;
      finishStep();
    }
  });
  let launcherStderr = '';
  sandbox.stderr.on('data', (chunk: Buffer) => {
    if (launcherStderr.length < 2000) launcherStderr += chunk.toString('utf8');
  });

  // Files go in through the launcher's stdin: nothing of the user's touches the host's disk.
  const frames: Buffer[] = job.files.map((f) => frame('F', filePayload(f.path, f.content)));
  if (lang.compile) frames.push(frame('C', argvPayload(expandCommand(lang.compile, job.mainFile))));
  frames.push(frame('R', argvPayload(expandCommand(lang.run, job.mainFile))));
  frames.push(frame('L', limitsPayload(launcherLimits(job.limits))));
  frames.push(frame('G'));
  const stdin = Buffer.from(job.stdin, 'base64');
  if (stdin.length > 0) frames.push(frame('I', stdin));
  if (!job.interactive) frames.push(frame('E'));
  sandbox.stdin.write(Buffer.concat(frames));

  // Interactive input and cancel arrive on the execution's control stream.
  let cancelled = false;
  const control = followControl({
    redis: deps.redis,
    key: redisKeys(deps.redisPrefix).control(job.executionId),
    log,
    onMessage: (m) => {
      if (m.type === 'cancel') {
        cancelled = true;
        sandbox.stdin.write(frame('K'));
        // The launcher answers K at once; the kill is the backstop if it cannot.
        setTimeout(() => void sandbox.kill(), 500).unref();
      } else if (m.type === 'stdin' && job.interactive) {
        sandbox.stdin.write(frame('I', Buffer.from(m.data, 'base64')));
      } else if (m.type === 'stdin_close' && job.interactive) {
        sandbox.stdin.write(frame('E'));
      }
    },
  });

  // Wall time is enforced from outside too: at this deadline the whole sandbox dies.
  let deadlineHit = false;
  const budget =
    deps.startGraceMs + (lang.compile ? job.limits.compileTimeoutMs : 0) + job.limits.timeoutMs + 1000;
  let deadlineTimer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    deadlineTimer = setTimeout(() => {
      deadlineHit = true;
      resolve();
    }, budget);
  });

  await Promise.race([stepsDone, sandbox.ended, deadline]);
  clearTimeout(deadlineTimer);
  control.stop();

  let exitState: { exitCode: number | undefined; oomKilled: boolean } = {
    exitCode: undefined,
    oomKilled: false,
  };
  if (deadlineHit) {
    await sandbox.kill();
  } else if (!run && !compile) {
    // The sandbox ended without a result line: ask Docker why (OOM kill, crash).
    await Promise.race([sandbox.ended, new Promise((r) => setTimeout(r, 1000))]);
    exitState = await sandbox.exit().catch(() => exitState);
  }
  deps.track(sandbox.remove());

  const verdict = protocolError
    ? 'internal_error'
    : decideVerdict({
        run,
        compile,
        deadlineHit,
        oomKilled: exitState.oomKilled,
        sandboxExitCode: exitState.exitCode,
        cancelled,
      });
  if (verdict === 'internal_error') {
    log.error(
      { protocolError, launcherStderr: launcherStderr.slice(0, 500), exit: exitState },
      'sandbox ended without a result',
    );
  }
  const step = run ?? compile;
  report.send({
    case: 'finished',
    value: {
      verdict: verdicts[verdict],
      ...(run && run.exit >= 0 ? { exitCode: run.exit } : {}),
      signal: run?.signal ?? 0,
      wallMs: step?.wallMs ?? 0,
      cpuMs: step?.cpuMs ?? 0,
      peakMemoryKb: step?.maxRssKb ?? 0,
      stdout: out.stdout.bytes(),
      stderr: out.stderr.bytes(),
      compileOutput: out.compile.bytes(),
      stdoutTruncated: (run?.outputLimit ?? false) && out.stdout.full(),
      stderrTruncated: (run?.outputLimit ?? false) && out.stderr.full(),
      message: verdict === 'internal_error' ? 'The sandbox ended unexpectedly.' : '',
    },
  });
  await report.finish();
  log.info({ verdict, wallMs: step?.wallMs, stdoutBytes: out.stdout.bytes().length }, 'job done');
}
