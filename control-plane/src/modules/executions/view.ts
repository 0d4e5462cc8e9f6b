import { constants } from 'node:os';
import type { ExecutionRow, ExecutionSummaryRow } from './repo.js';

const signalNames = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** `SIGKILL` for 9: the name of the signal that ended the program, null if none. */
export function signalName(signal: number | null): string | null {
  return signal ? (signalNames.get(signal) ?? `SIG${signal}`) : null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text as UTF-8 when it is valid UTF-8, else base64, so no byte is lost in JSON. */
export function encodeBytes(bytes: Buffer | null): { data: string; encoding: 'utf8' | 'base64' } {
  if (!bytes || bytes.length === 0) return { data: '', encoding: 'utf8' };
  try {
    return { data: utf8.decode(bytes), encoding: 'utf8' };
  } catch {
    return { data: bytes.toString('base64'), encoding: 'base64' };
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The API's view of an execution: the spec's fields, plus what a careful client needs. */
export function executionView(row: ExecutionRow) {
  const out = encodeBytes(row.stdout);
  const err = encodeBytes(row.stderr);
  return {
    executionId: row.id,
    language: row.language,
    /** The language version it ran with (null for executions from before versions). */
    version: row.language_version,
    status: row.status,
    output: out.data,
    outputEncoding: out.encoding,
    error: err.data,
    errorEncoding: err.encoding,
    outputTruncated: row.stdout_truncated,
    errorTruncated: row.stderr_truncated,
    /** Wall time of the program, in seconds. */
    executionTime: row.execution_time_ms === null ? null : row.execution_time_ms / 1000,
    /** CPU time of the program, in seconds. */
    cpuTime: row.cpu_time_ms === null ? null : row.cpu_time_ms / 1000,
    /** Peak memory of the program, in MB (measured, not the limit). */
    memoryUsed: row.memory_used_kb === null ? null : Math.round((row.memory_used_kb / 1024) * 100) / 100,
    exitCode: row.exit_code,
    signal: row.signal || null,
    signalName: signalName(row.signal),
    compilationError: row.compilation_error,
    message: row.message,
    createdAt: iso(row.created_at),
    startedAt: iso(row.started_at),
    completedAt: iso(row.completed_at),
  };
}

export type ExecutionView = ReturnType<typeof executionView>;

/** One line of the caller's history: the outcome without the output. */
export function executionSummaryView(row: ExecutionSummaryRow) {
  return {
    executionId: row.id,
    projectId: row.project_id,
    language: row.language,
    version: row.language_version,
    status: row.status,
    exitCode: row.exit_code,
    executionTime: row.execution_time_ms === null ? null : row.execution_time_ms / 1000,
    cpuTime: row.cpu_time_ms === null ? null : row.cpu_time_ms / 1000,
    memoryUsed: row.memory_used_kb === null ? null : Math.round((row.memory_used_kb / 1024) * 100) / 100,
    createdAt: iso(row.created_at),
    completedAt: iso(row.completed_at),
  };
}
