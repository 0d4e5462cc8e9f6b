import type { ExecutionView } from '../executions/view.js';
import { judge0StatusOf } from './statuses.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The fields GET /submissions/{token} answers without `?fields=` (Judge0's
 * SubmissionSerializer.default_fields, judge0 v1.13.1 app/serializers/submission_serializer.rb).
 */
export const defaultFields = [
  'token',
  'time',
  'memory',
  'stdout',
  'stderr',
  'compile_output',
  'message',
  'status',
];

/** Every field Judge0 has (its submissions columns but `id`, plus `status` and `language`). */
export const allFields = [
  'source_code',
  'language_id',
  'stdin',
  'expected_output',
  'stdout',
  'status_id',
  'created_at',
  'finished_at',
  'time',
  'memory',
  'stderr',
  'token',
  'number_of_runs',
  'cpu_time_limit',
  'cpu_extra_time',
  'wall_time_limit',
  'memory_limit',
  'stack_limit',
  'max_processes_and_or_threads',
  'enable_per_process_and_thread_time_limit',
  'enable_per_process_and_thread_memory_limit',
  'max_file_size',
  'compile_output',
  'exit_code',
  'exit_signal',
  'message',
  'wall_time',
  'compiler_options',
  'command_line_arguments',
  'redirect_stderr_to_stdout',
  'callback_url',
  'additional_files',
  'enable_network',
  'status',
  'language',
];

/** Thrown when output is not UTF-8 and the client did not ask for base64 (Judge0 answers 400 too). */
export class NotUtf8 extends Error {}

/** `?fields=` naming fields Judge0 does not have: Judge0 answers 400 `invalid fields: [a, b]`. */
export class InvalidFields extends Error {
  constructor(readonly fields: string[]) {
    super(`invalid fields: [${fields.join(', ')}]`);
  }
}

/** Base64 as Ruby's `Base64.encode64` writes it (Judge0's): lines of 60 characters, each ending "\n". */
export function rubyBase64(b: Buffer): string {
  const s = b.toString('base64');
  let out = '';
  for (let i = 0; i < s.length; i += 60) out += `${s.slice(i, i + 60)}\n`;
  return out;
}

function encode(b: Buffer | null, base64: boolean): string | null {
  if (b === null || b.length === 0) return null;
  if (base64) return rubyBase64(b);
  try {
    return utf8.decode(b);
  } catch {
    throw new NotUtf8();
  }
}

/** What the Judge0 table and the execution row add to the execution's view. */
export interface Judge0Extra {
  language_id: number;
  expected_output: Buffer | null;
  command_line_arguments?: string | null;
  callback_url?: string | null;
  source_code?: Buffer | null;
  stdin?: Buffer | null;
  limits?: Record<string, unknown> | null;
}

const num = (v: unknown, scale = 1) => (typeof v === 'number' ? v / scale : null);

/** A MUSCode execution as a Judge0 submission, limited to `fields`. */
export function submissionView(
  v: ExecutionView,
  j: Judge0Extra | undefined,
  opts: { base64: boolean; fields: string[]; languageName?: (id: number) => string | null },
): Record<string, unknown> {
  const stdout = Buffer.from(v.output, v.outputEncoding);
  const stderr = Buffer.from(v.error, v.errorEncoding);
  const status = judge0StatusOf({
    status: v.status,
    exitCode: v.exitCode,
    signal: v.signal,
    stdout,
    expectedOutput: j?.expected_output ?? null,
  });
  const final = v.status !== 'queued' && v.status !== 'running';
  // Judge0 clears the run's measurements after a compilation error, and never ran one on an
  // internal error; a run killed by a signal has exit code 0 there (isolate writes none).
  const ran = final && v.status !== 'compile_error' && v.status !== 'internal_error';
  const limits = j?.limits ?? null;
  const all: Record<string, () => unknown> = {
    source_code: () => encode(j?.source_code ?? null, opts.base64),
    language_id: () => j?.language_id ?? null,
    stdin: () => encode(j?.stdin ?? null, opts.base64),
    expected_output: () => encode(j?.expected_output ?? null, opts.base64),
    stdout: () => (final ? encode(stdout, opts.base64) : null),
    status_id: () => status.id,
    created_at: () => v.createdAt,
    finished_at: () => v.completedAt,
    time: () => (ran && v.cpuTime !== null ? v.cpuTime.toFixed(3) : null),
    memory: () => (ran && v.memoryUsed !== null ? Math.round(v.memoryUsed * 1024) : null),
    stderr: () => (final ? encode(stderr, opts.base64) : null),
    token: () => v.executionId,
    number_of_runs: () => 1,
    cpu_time_limit: () => num(limits?.['cpuTimeMs'] ?? limits?.['timeoutMs'], 1000),
    cpu_extra_time: () => 0,
    wall_time_limit: () => num(limits?.['timeoutMs'], 1000),
    memory_limit: () => num(limits?.['memoryMb'], 1 / 1024),
    stack_limit: () => null,
    max_processes_and_or_threads: () => num(limits?.['processes']),
    enable_per_process_and_thread_time_limit: () => false,
    enable_per_process_and_thread_memory_limit: () => false,
    max_file_size: () => {
      const bytes = num(limits?.['fileSizeBytes']);
      return bytes === null ? null : Math.floor(bytes / 1024);
    },
    compile_output: () =>
      v.compilationError ? encode(Buffer.from(v.compilationError, 'utf8'), opts.base64) : null,
    exit_code: () => (ran ? (v.exitCode ?? 0) : null),
    exit_signal: () => (ran ? v.signal : null),
    message: () => (v.message ? encode(Buffer.from(v.message, 'utf8'), opts.base64) : null),
    wall_time: () => (ran && v.executionTime !== null ? v.executionTime.toFixed(3) : null),
    compiler_options: () => null,
    command_line_arguments: () => j?.command_line_arguments ?? null,
    redirect_stderr_to_stdout: () => false,
    callback_url: () => j?.callback_url ?? null,
    additional_files: () => null,
    enable_network: () => false,
    status: () => ({ id: status.id, description: status.description }),
    language: () => (j ? { id: j.language_id, name: opts.languageName?.(j.language_id) ?? null } : null),
  };
  const out: Record<string, unknown> = {};
  for (const f of opts.fields) {
    const get = all[f];
    if (get) out[f] = get();
  }
  return out;
}

/**
 * `?fields=a,b` (or `*`) as the list of fields to answer, as Judge0's Fields::Submission reads
 * it: unknown names are an InvalidFields error, none at all means the fallback.
 */
export function parseFields(raw: string | undefined, fallback: string[]): string[] {
  const names = (raw ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  const invalid = names.filter((f) => f !== '*' && !allFields.includes(f));
  if (invalid.length > 0) throw new InvalidFields(invalid);
  if (names.includes('*')) return allFields;
  return names.length > 0 ? [...new Set(names)] : fallback;
}
