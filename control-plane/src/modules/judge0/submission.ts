import { isUtf8 } from 'node:buffer';
import { AppError } from '../../errors.js';
import type { ExecuteBody } from '../executions/model.js';
import { judge0Language } from './languages.js';

/** A Judge0 request error: 422 with `{ field: [message] }`, as Judge0 answers invalid submissions. */
export class Judge0Invalid extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ParsedSubmission {
  body: ExecuteBody;
  languageId: number;
  expectedOutput: Buffer | null;
  callbackUrl: string | null;
  commandLineArguments: string | null;
}

const numberFields = [
  'cpu_time_limit',
  'cpu_extra_time',
  'wall_time_limit',
  'memory_limit',
  'stack_limit',
  'max_processes_and_or_threads',
  'max_file_size',
  'number_of_runs',
] as const;

/** Splits `command_line_arguments` as a shell would split plain words and quoted strings. */
export function splitArguments(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of s.matchAll(re)) out.push(m[1]?.replace(/\\(.)/g, '$1') ?? m[2] ?? m[3] ?? '');
  return out;
}

function text(raw: Record<string, unknown>, field: string, base64: boolean): Buffer | null {
  const v = raw[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Judge0Invalid(field, 'must be a string');
  if (!base64) return Buffer.from(v, 'utf8');
  if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(v)) throw new Judge0Invalid(field, 'is not valid base64');
  return Buffer.from(v, 'base64');
}

/** A Judge0 submission body as a MUSCode execute request. */
export function parseSubmission(raw: unknown, base64: boolean): ParsedSubmission {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Judge0Invalid('base', 'the body must be a JSON object');
  }
  const r = raw as Record<string, unknown>;
  const languageId = r['language_id'];
  if (languageId === undefined || languageId === null)
    throw new Judge0Invalid('language_id', "can't be blank");
  const id = typeof languageId === 'string' ? Number(languageId) : languageId;
  if (typeof id !== 'number' || !Number.isInteger(id))
    throw new Judge0Invalid('language_id', 'is not a number');
  const lang = judge0Language(id);
  if (!lang) throw new Judge0Invalid('language_id', `language with id ${id} doesn't exist`);
  const source = text(r, 'source_code', base64);
  if (source === null || source.length === 0) throw new Judge0Invalid('source_code', "can't be blank");
  const num: Partial<Record<(typeof numberFields)[number], number>> = {};
  for (const f of numberFields) {
    const v = r[f];
    if (v === undefined || v === null) continue;
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Judge0Invalid(f, 'is not a number');
    num[f] = n;
  }
  if (num.number_of_runs !== undefined && num.number_of_runs !== 1) {
    throw new Judge0Invalid('number_of_runs', 'must be 1 here (each submission runs once)');
  }
  for (const [field, why] of [
    ['compiler_options', 'compiler options are not supported'],
    ['additional_files', 'additional files are not supported'],
  ] as const) {
    const v = r[field];
    if (v !== undefined && v !== null && v !== '') throw new Judge0Invalid(field, why);
  }
  for (const field of ['redirect_stderr_to_stdout', 'enable_network'] as const) {
    if (r[field] === true) throw new Judge0Invalid(field, 'is not supported');
  }
  const argsRaw = r['command_line_arguments'];
  if (argsRaw !== undefined && argsRaw !== null && typeof argsRaw !== 'string') {
    throw new Judge0Invalid('command_line_arguments', 'must be a string');
  }
  const callback = r['callback_url'];
  if (callback !== undefined && callback !== null && typeof callback !== 'string') {
    throw new Judge0Invalid('callback_url', 'must be a string');
  }
  const stdin = text(r, 'stdin', base64);
  const body: ExecuteBody = {
    language: lang.language,
    version: lang.series,
    // As bytes when they are not UTF-8 (base64-encoded source may be anything).
    ...(isUtf8(source)
      ? { code: source.toString('utf8') }
      : { code: source.toString('base64'), codeEncoding: 'base64' as const }),
    // As bytes: base64-encoded stdin may be anything, UTF-8 or not.
    ...(stdin && stdin.length > 0
      ? { stdin: stdin.toString('base64'), stdinEncoding: 'base64' as const }
      : {}),
    ...(num.cpu_time_limit !== undefined ? { cpuTime: num.cpu_time_limit } : {}),
    ...(num.wall_time_limit !== undefined ? { timeout: num.wall_time_limit } : {}),
    ...(num.memory_limit !== undefined ? { memoryLimit: Math.ceil(num.memory_limit / 1024) } : {}),
    ...(num.max_file_size !== undefined ? { fileSize: num.max_file_size * 1024 } : {}),
    ...(num.max_processes_and_or_threads !== undefined
      ? { processes: num.max_processes_and_or_threads }
      : {}),
    ...(argsRaw ? { args: splitArguments(argsRaw) } : {}),
  };
  return {
    body,
    languageId: id,
    expectedOutput: text(r, 'expected_output', base64),
    callbackUrl: callback || null,
    commandLineArguments: argsRaw || null,
  };
}

/** MUSCode's limit fields as Judge0's, with the factor from MUSCode's unit to Judge0's. */
const limitFields: Record<string, [string, number]> = {
  cpuTime: ['cpu_time_limit', 1],
  timeout: ['wall_time_limit', 1],
  memoryLimit: ['memory_limit', 1024],
  fileSize: ['max_file_size', 1 / 1024],
  processes: ['max_processes_and_or_threads', 1],
};

/**
 * A limit out of MUSCode's range as Judge0 (Rails' numericality) words it:
 * `{"wall_time_limit": ["must be less than or equal to 150"]}`. Null for other errors.
 */
export function limitInvalid(err: unknown, body: ExecuteBody): Judge0Invalid | null {
  if (!(err instanceof AppError) || err.status !== 400) return null;
  const d = err.details as { field?: string; min?: number; max?: number } | undefined;
  const judge0 = d?.field ? limitFields[d.field] : undefined;
  const value = d?.field ? (body as Record<string, unknown>)[d.field] : undefined;
  if (!judge0 || typeof value !== 'number' || d?.min === undefined || d.max === undefined) return null;
  const [field, factor] = judge0;
  const bound = (n: number) => Number((n * factor).toFixed(6));
  return value > d.max
    ? new Judge0Invalid(field, `must be less than or equal to ${bound(d.max)}`)
    : new Judge0Invalid(field, `must be greater than or equal to ${bound(d.min)}`);
}

/** A MUSCode validation error (a limit out of range, a bad version) in Judge0's 422 shape. */
export function asJudge0Invalid(err: unknown): Judge0Invalid | null {
  if (err instanceof Judge0Invalid) return err;
  if (err instanceof AppError && err.status === 400) {
    const field = (err.details as { field?: string } | undefined)?.field ?? 'base';
    const judge0Field =
      {
        cpuTime: 'cpu_time_limit',
        timeout: 'wall_time_limit',
        memoryLimit: 'memory_limit',
        fileSize: 'max_file_size',
        processes: 'max_processes_and_or_threads',
        code: 'source_code',
        args: 'command_line_arguments',
        version: 'language_id',
        language: 'language_id',
      }[field] ?? field;
    return new Judge0Invalid(judge0Field, err.message);
  }
  return null;
}
