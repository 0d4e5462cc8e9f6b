/** The final statuses of an execution: each is also its verdict. */
export const finalStatuses = [
  'completed',
  'runtime_error',
  'timeout',
  'cpu_limit',
  'memory_limit',
  'output_limit',
  'compile_error',
  'cancelled',
  'internal_error',
] as const;

export type FinalStatus = (typeof finalStatuses)[number];

/** Every status an execution can have, in lifecycle order. */
export const executionStatuses = ['queued', 'running', ...finalStatuses] as const;

const finalSet: ReadonlySet<string> = new Set(finalStatuses);

export function isFinalStatus(status: string): status is FinalStatus {
  return finalSet.has(status);
}
