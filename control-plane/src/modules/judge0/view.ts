import type { ExecutionView } from '../executions/view.js';
import { judge0StatusOf } from './statuses.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The fields GET /submissions/{token} answers without `?fields=` (Judge0's defaults). */
export const defaultFields = [
  'token',
  'stdout',
  'time',
  'memory',
  'stderr',
  'compile_output',
  'message',
  'status',
];

export const allFields = [
  'token',
  'language_id',
  'stdout',
  'stderr',
  'compile_output',
  'message',
  'exit_code',
  'exit_signal',
  'status',
  'status_id',
  'created_at',
  'finished_at',
  'time',
  'wall_time',
  'memory',
  'expected_output',
];

/** Thrown when output is not UTF-8 and the client did not ask for base64 (Judge0 answers 400 too). */
export class NotUtf8 extends Error {}

const bytes = (data: string, encoding: 'utf8' | 'base64') => Buffer.from(data, encoding);

function encode(b: Buffer | null, base64: boolean): string | null {
  if (b === null || b.length === 0) return null;
  if (base64) return b.toString('base64');
  try {
    return utf8.decode(b);
  } catch {
    throw new NotUtf8();
  }
}

/** A MUSCode execution as a Judge0 submission, limited to `fields`. */
export function submissionView(
  v: ExecutionView,
  j: { language_id: number; expected_output: Buffer | null } | undefined,
  opts: { base64: boolean; fields: string[] },
): Record<string, unknown> {
  const stdout = bytes(v.output, v.outputEncoding);
  const stderr = bytes(v.error, v.errorEncoding);
  const status = judge0StatusOf({
    status: v.status,
    exitCode: v.exitCode,
    signal: v.signal,
    stdout,
    expectedOutput: j?.expected_output ?? null,
  });
  const final = v.status !== 'queued' && v.status !== 'running';
  const all: Record<string, () => unknown> = {
    token: () => v.executionId,
    language_id: () => j?.language_id ?? null,
    stdout: () => (final ? encode(stdout, opts.base64) : null),
    stderr: () => (final ? encode(stderr, opts.base64) : null),
    compile_output: () =>
      v.compilationError ? encode(Buffer.from(v.compilationError, 'utf8'), opts.base64) : null,
    message: () => (v.message ? encode(Buffer.from(v.message, 'utf8'), opts.base64) : null),
    exit_code: () => (final ? v.exitCode : null),
    exit_signal: () => v.signal,
    status: () => ({ id: status.id, description: status.description }),
    status_id: () => status.id,
    created_at: () => v.createdAt,
    finished_at: () => v.completedAt,
    time: () => (v.cpuTime === null ? null : v.cpuTime.toFixed(3)),
    wall_time: () => (v.executionTime === null ? null : v.executionTime.toFixed(3)),
    memory: () => (v.memoryUsed === null ? null : Math.round(v.memoryUsed * 1024)),
    expected_output: () => encode(j?.expected_output ?? null, opts.base64),
  };
  const out: Record<string, unknown> = {};
  for (const f of opts.fields) {
    const get = all[f];
    if (get) out[f] = get();
  }
  return out;
}

/** `?fields=a,b` (or `*`) as the list of fields to answer. */
export function parseFields(raw: string | undefined, fallback: string[]): string[] {
  if (raw === undefined || raw === '') return fallback;
  if (raw.trim() === '*') return allFields;
  return raw
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
}
