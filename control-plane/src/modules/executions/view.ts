import { constants } from 'node:os';
import type { ExecutionRow, ExecutionSummaryRow, RecordedTest } from './repo.js';
import type { ArtifactsView } from '../artifacts/service.js';

// The first name of each number: SIGABRT for 6, not its alias SIGIOT (listed after it).
const signalNames = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals)) if (!signalNames.has(n)) signalNames.set(n, name);

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

/**
 * One test of a graded submission as the API shows it (`tests[]`, and WebSocket `test`). A
 * hidden test of a set the submitter does not own shows its verdict and measurements only.
 */
export function testView(t: RecordedTest) {
  const facts = {
    name: t.name,
    status: t.status,
    /** Wall and CPU time of this test's run, in seconds. */
    time: t.time / 1000,
    cpuTime: t.cpuTime / 1000,
    /** Peak memory of this test's run, in MB. */
    memory: Math.round((t.memory / 1024) * 100) / 100,
    exitCode: t.exitCode,
    signal: t.signal || null,
    signalName: signalName(t.signal),
  };
  if (t.hidden) return { ...facts, hidden: true as const };
  const out = encodeBytes(Buffer.from(t.stdout, 'base64'));
  const err = encodeBytes(Buffer.from(t.stderr, 'base64'));
  return {
    ...facts,
    output: out.data,
    outputEncoding: out.encoding,
    error: err.data,
    errorEncoding: err.encoding,
    outputTruncated: t.stdoutTruncated,
    errorTruncated: t.stderrTruncated,
    message: t.message,
  };
}

export type TestView = ReturnType<typeof testView>;

/** How a graded submission went: tests passed of all, and the first test that did not pass. */
export interface GradingSummary {
  passed: number;
  total: number;
  firstFailure: { index: number; name: string; status: string } | null;
}

/** `tests` and `summary` of a graded submission's answer; nothing for an ordinary run. */
function gradingView(tests: RecordedTest[] | null): { tests?: TestView[]; summary?: GradingSummary } {
  if (!tests) return {};
  const first = tests.findIndex((t) => t.status !== 'accepted');
  return {
    tests: tests.map(testView),
    summary: {
      passed: tests.filter((t) => t.status === 'accepted').length,
      total: tests.length,
      firstFailure:
        first < 0 ? null : { index: first, name: tests[first]!.name, status: tests[first]!.status },
    },
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** What the row alone does not hold: its artifacts, and streams whose stored output expired. */
export interface ViewExtras {
  artifacts?: ArtifactsView | null;
  outputExpired?: ('stdout' | 'stderr')[];
}

/**
 * The API's view of an execution: the spec's fields, plus what a careful client needs. The
 * row's output must be whole (a large one loaded from the object store, modules/executions/outputs.ts).
 */
export function executionView(row: ExecutionRow, extras: ViewExtras = {}) {
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
    ...gradingView(row.test_results as RecordedTest[] | null),
    /** Files the program left in /workspace/output (null: none were collected). */
    artifacts: extras.artifacts ?? null,
    ...(extras.outputExpired?.length ? { outputExpired: extras.outputExpired } : {}),
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
