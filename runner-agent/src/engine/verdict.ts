import type { StepResult } from './frames.js';

export type VerdictName =
  | 'completed'
  | 'runtime_error'
  | 'timeout'
  | 'cpu_limit'
  | 'memory_limit'
  | 'output_limit'
  | 'compile_error'
  | 'cancelled'
  | 'internal_error';

export interface SandboxEnd {
  /** The run step's result line, if the launcher got to write it. */
  run: StepResult | undefined;
  compile: StepResult | undefined;
  /** We killed the sandbox at our own deadline. */
  deadlineHit: boolean;
  /** Docker reports the sandbox was OOM-killed. */
  oomKilled: boolean;
  /** Exit code of the sandbox's first process (the launcher), when Docker reported it. */
  sandboxExitCode: number | undefined;
  cancelled: boolean;
}

/**
 * The user's verdict from what the launcher and Docker report. A program's failure is a
 * verdict; only a sandbox that ended without any explanation is an internal error.
 */
export function decideVerdict(end: SandboxEnd): VerdictName {
  if (end.cancelled) return 'cancelled';
  if (end.compile && (end.compile.exit !== 0 || end.compile.signal !== 0)) return 'compile_error';
  if (end.oomKilled) return 'memory_limit';
  const run = end.run;
  if (!run) {
    if (end.deadlineHit) return 'timeout';
    // A sandbox killed from outside (exit 137 without Docker's OOMKilled) is a platform event,
    // not the program's memory: never guess memory_limit from the exit code alone.
    return 'internal_error';
  }
  if (run.cancelled) return 'cancelled';
  if (run.timeout) return 'timeout';
  if (run.outputLimit) return 'output_limit';
  if (run.cpuLimit) return 'cpu_limit';
  if (run.exit === 0 && run.signal === 0) return 'completed';
  return 'runtime_error';
}
