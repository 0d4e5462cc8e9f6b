import type { VerdictName } from '@muscode/common';
import type { StepResult } from './frames.js';

export type { VerdictName };

/** The limits a job asked for, as far as a verdict's message names them. */
export interface VerdictLimits {
  timeoutMs: number;
  cpuTimeMs?: number | undefined;
  compileTimeoutMs: number;
  memoryMb: number;
  processes: number;
  outputBytes: number;
}

export interface SandboxEnd {
  /** The run step's result line, if the launcher got to write it. */
  run: StepResult | undefined;
  compile: StepResult | undefined;
  /** The submission has a compile step (so a sandbox that died before its result died compiling). */
  hasCompile: boolean;
  /** We killed the sandbox at our own deadline (the backstop of the launcher's wall limit). */
  deadlineHit: boolean;
  /** Docker reports the sandbox was OOM-killed. */
  oomKilled: boolean;
  /** What the sandbox's cgroups saw during the submission (undefined where they cannot be read). */
  cgroup: { oomKills: number; pidsExhausted: boolean } | undefined;
  /** Exit code of the sandbox's first process (the launcher), when Docker reported it. */
  sandboxExitCode: number | undefined;
  cancelled: boolean;
  limits: VerdictLimits;
}

export interface Outcome {
  verdict: VerdictName;
  /** For the user: which limit ended the program (or compilation); empty when none did. */
  message: string;
}

export const unexpectedEnd = 'The sandbox ended unexpectedly.';

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

type Limit = 'memory' | 'processes' | 'time' | 'cpu';

function limitMessage(stage: 'compile' | 'run', limit: Limit, l: VerdictLimits): string {
  const what = {
    memory: `memory limit (${l.memoryMb} MB)`,
    processes: `process limit (${l.processes} processes and threads)`,
    time: `time limit (${seconds(stage === 'compile' ? l.compileTimeoutMs : l.timeoutMs)})`,
    cpu: `CPU time limit (${seconds(stage === 'compile' ? l.compileTimeoutMs : (l.cpuTimeMs ?? l.timeoutMs))})`,
  }[limit];
  return stage === 'compile' ? `Compilation exceeded the ${what}.` : `The program exceeded its ${what}.`;
}

/**
 * The user's verdict, and the limit that caused it, from what the launcher, Docker and the
 * sandbox's cgroups report. A program's failure is a verdict, whatever it took down with it: a
 * sandbox killed by the OOM killer is `memory_limit`, one that died because the program used up
 * the sandbox's pids is `runtime_error` naming the process limit, one we killed at our deadline is
 * `timeout`. A compile step that ends the same way is `compile_error` with the limit named. Only
 * a sandbox that ended with none of these facts is an `internal_error` (a platform fault).
 */
export function decideVerdict(end: SandboxEnd): Outcome {
  const plain = (verdict: VerdictName): Outcome => ({ verdict, message: '' });
  if (end.cancelled) return plain('cancelled');
  const { compile, run, limits } = end;
  if (compile && (compile.exit !== 0 || compile.signal !== 0)) {
    if (compile.cancelled) return plain('cancelled');
    const limit: Limit | undefined = compile.timeout ? 'time' : compile.cpuLimit ? 'cpu' : undefined;
    return { verdict: 'compile_error', message: limit ? limitMessage('compile', limit, limits) : '' };
  }
  if (!run) {
    // The sandbox ended without the step's result line: judge by what the kernel saw.
    const stage = end.hasCompile && !compile ? 'compile' : 'run';
    const limit: Limit | undefined =
      end.oomKilled || (end.cgroup?.oomKills ?? 0) > 0
        ? 'memory'
        : end.cgroup?.pidsExhausted
          ? 'processes'
          : end.deadlineHit
            ? 'time'
            : undefined;
    // A sandbox killed from outside (exit 137 without any OOM kill seen) is a platform event,
    // not the program's memory: never guess memory_limit from the exit code alone.
    if (!limit) return { verdict: 'internal_error', message: unexpectedEnd };
    const verdict: VerdictName =
      stage === 'compile'
        ? 'compile_error'
        : limit === 'memory'
          ? 'memory_limit'
          : limit === 'processes'
            ? 'runtime_error'
            : 'timeout';
    return { verdict, message: limitMessage(stage, limit, limits) };
  }
  if (run.cancelled) return plain('cancelled');
  if (run.timeout) return { verdict: 'timeout', message: limitMessage('run', 'time', limits) };
  if (run.outputLimit) {
    return {
      verdict: 'output_limit',
      message: `The program's output exceeded its limit (${limits.outputBytes} bytes).`,
    };
  }
  if (run.cpuLimit) return { verdict: 'cpu_limit', message: limitMessage('run', 'cpu', limits) };
  if (run.exit === 0 && run.signal === 0) return plain('completed');
  return plain('runtime_error');
}
