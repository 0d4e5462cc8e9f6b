import {
  checkerSchema,
  languageLimits,
  type JobGrading,
  type JobLimits,
  type Language,
  type LanguageManifest,
  type LimitRange,
} from '@muscode/common';
import { errors } from '../../errors.js';
import type { ExecuteBody } from './model.js';

export interface SourceFile {
  path: string;
  /** Text, or with `encoding: "base64"` base64 of the file's bytes. */
  content: string;
  encoding?: 'base64';
}

/** The size of a file's bytes. */
export const sourceBytes = (f: SourceFile) =>
  f.encoding === 'base64' ? Buffer.byteLength(f.content, 'base64') : Buffer.byteLength(f.content);

/** Checks a limit from the request against its range; absent means the default. */
function pick(range: LimitRange, value: number | undefined, field: string, unit: string): number {
  if (value === undefined) return range.default;
  if (!Number.isFinite(value) || value < range.min || value > range.max) {
    throw errors.validation(`${field} must be between ${range.min} and ${range.max} ${unit}.`, {
      field,
      min: range.min,
      max: range.max,
    });
  }
  return value;
}

/** The limits of a job, from the request and the language's (else the manifest's) defaults and maxima. */
export function resolveLimits(
  m: LanguageManifest,
  body: Pick<
    ExecuteBody,
    | 'timeout'
    | 'memoryLimit'
    | 'cpuTime'
    | 'compileTimeout'
    | 'processes'
    | 'openFiles'
    | 'fileSize'
    | 'workspaceSize'
    | 'outputLimit'
  >,
  lang?: Pick<Language, 'limits'>,
): JobLimits {
  const l = lang ? languageLimits(m, lang) : m.limits;
  const whole = (range: LimitRange, value: number | undefined, field: string, unit: string) =>
    Math.round(pick(range, value, field, unit));
  return {
    timeoutMs: Math.round(pick(l.timeoutSeconds, body.timeout, 'timeout', 'seconds') * 1000),
    cpuTimeMs: Math.round(pick(l.cpuTimeSeconds, body.cpuTime, 'cpuTime', 'seconds') * 1000),
    compileTimeoutMs: Math.round(
      pick(l.compileTimeoutSeconds, body.compileTimeout, 'compileTimeout', 'seconds') * 1000,
    ),
    memoryMb: whole(l.memoryMb, body.memoryLimit, 'memoryLimit', 'MB'),
    cpus: l.cpus.default,
    processes: whole(l.processes, body.processes, 'processes', 'processes'),
    openFiles: whole(l.openFiles, body.openFiles, 'openFiles', 'files'),
    fileSizeBytes: whole(l.fileSizeBytes, body.fileSize, 'fileSize', 'bytes'),
    workspaceMb: whole(l.workspaceMb, body.workspaceSize, 'workspaceSize', 'MB'),
    outputBytes: whole(l.outputBytes, body.outputLimit, 'outputLimit', 'bytes'),
  };
}

// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const controlChars = /[\u0000-\u001f\u007f]/;

/**
 * A workspace-relative file path from a folder (the spec's `path`, such as "/src", is relative
 * to the project root) and a name: no absolute paths, no `..`, no empty segments, no NUL or
 * control characters. Anything else is a 400, never silently rewritten.
 */
export function normalizeFilePath(dir: string | undefined, name: string, field: string): string {
  const joined = [dir ?? '', name].join('/');
  if (controlChars.test(joined) || joined.includes('\\')) {
    throw errors.validation(`${field} must not contain control characters or backslashes.`, { field });
  }
  if (name.startsWith('/')) throw errors.validation(`${field} must be a relative name.`, { field });
  const segments = joined.split('/').filter((s) => s !== '');
  if (segments.length === 0) throw errors.validation(`${field} must name a file.`, { field });
  if (segments.some((s) => s === '.' || s === '..')) {
    throw errors.validation(`${field} must not contain "." or ".." segments.`, { field });
  }
  const path = segments.join('/');
  if (Buffer.byteLength(path) > 255) {
    throw errors.validation(`${field} must be at most 255 bytes long.`, { field });
  }
  return path;
}

/** The files and main file of a request, validated against the manifest's limits. */
export function resolveSource(
  m: LanguageManifest,
  lang: Language,
  body: Pick<ExecuteBody, 'code' | 'codeEncoding' | 'files' | 'mainFile'>,
): { files: SourceFile[]; mainFile: string } {
  if ((body.code === undefined) === (body.files === undefined)) {
    throw errors.validation('Send either code or files, not both or neither.', { field: 'code' });
  }
  const files: SourceFile[] =
    body.code !== undefined
      ? [
          body.codeEncoding === 'base64'
            ? { path: lang.mainFile, content: body.code, encoding: 'base64' as const }
            : { path: lang.mainFile, content: body.code },
        ]
      : (body.files ?? []).map((f, i) => ({
          path: normalizeFilePath(f.path, f.name, `files.${i}.name`),
          content: f.content,
        }));
  if (files.length > m.limits.files.max) {
    throw errors.validation(`At most ${m.limits.files.max} files are allowed.`, { field: 'files' });
  }
  const paths = new Set<string>();
  for (const f of files) {
    if (paths.has(f.path)) throw errors.validation(`File "${f.path}" is given twice.`, { field: 'files' });
    paths.add(f.path);
  }
  const total = files.reduce((n, f) => n + sourceBytes(f), 0);
  if (total > m.limits.codeBytes.max) {
    throw errors.validation(`The code must be at most ${m.limits.codeBytes.max} bytes.`, {
      field: body.code !== undefined ? 'code' : 'files',
    });
  }
  const mainFile =
    body.mainFile !== undefined
      ? normalizeFilePath(undefined, body.mainFile, 'mainFile')
      : body.code !== undefined
        ? lang.mainFile
        : (files.find((f) => f.path === lang.mainFile) ?? files[0])!.path;
  if (!paths.has(mainFile)) {
    throw errors.validation(`mainFile "${mainFile}" is not among the files.`, { field: 'mainFile' });
  }
  return { files, mainFile };
}

/** Caps of a graded submission's tests (README, "Grading"). */
export const gradingCaps = {
  /** Tests per submission. */
  maxTests: 100,
  /** Bytes of one test's stdin, and of one test's expected output. */
  maxTestBytes: 512 * 1024,
  /** Bytes of all tests' stdin and expected output together (the body's own cap is 2 MiB). */
  maxTotalBytes: 1024 * 1024,
};

/**
 * The grading of a request (`tests`, `checker`, `stopOnFirstFailure`), validated; undefined
 * for an ordinary run. `checker` and `stopOnFirstFailure` without `tests` are a 400 (they would
 * do nothing), and so are `stdin` and `interactive` with them (each test has its own stdin).
 */
export function resolveGrading(
  m: LanguageManifest,
  body: Pick<ExecuteBody, 'tests' | 'checker' | 'stopOnFirstFailure' | 'stdin' | 'interactive'>,
  limits: JobLimits,
  lang?: Pick<Language, 'limits'>,
): JobGrading | undefined {
  if (body.tests === undefined) {
    for (const field of ['checker', 'stopOnFirstFailure'] as const) {
      if (body[field] !== undefined) {
        throw errors.validation(`${field} applies to tests; send tests with it.`, { field });
      }
    }
    return undefined;
  }
  // The REST schema checks it too; the gRPC edge's spec comes here unchecked. A program
  // checker is resolved by the caller (checker.ts: its language, version and code).
  const checker = body.checker;
  if (checker !== undefined && checker.type !== 'program' && !checkerSchema.safeParse(checker).success) {
    throw errors.validation(
      'checker.type must be exact, trimmed, tokens, float (tolerances at least 0) or program (with language and code).',
      {
        field: 'checker',
      },
    );
  }
  const { maxTests, maxTestBytes, maxTotalBytes } = gradingCaps;
  if (body.tests.length === 0) throw errors.validation('tests must not be empty.', { field: 'tests' });
  if (body.tests.length > maxTests) {
    throw errors.validation(`At most ${maxTests} tests are allowed.`, { field: 'tests', max: maxTests });
  }
  if (body.interactive) {
    throw errors.validation('A graded submission cannot be interactive.', { field: 'interactive' });
  }
  if (body.stdin !== undefined && body.stdin !== '') {
    throw errors.validation('Give each test its own stdin instead of stdin.', { field: 'stdin' });
  }
  const l = lang ? languageLimits(m, lang) : m.limits;
  const names = new Set<string>();
  let total = 0;
  const tests = body.tests.map((test, i) => {
    const name = test.name ?? `test ${i + 1}`;
    if (names.has(name)) {
      throw errors.validation(`Test name "${name}" is given twice.`, { field: `tests.${i}.name` });
    }
    names.add(name);
    const stdin = Buffer.from(test.stdin, 'utf8');
    const expected = Buffer.from(test.expectedOutput, 'utf8');
    for (const [field, bytes] of [
      ['stdin', stdin],
      ['expectedOutput', expected],
    ] as const) {
      if (bytes.length > maxTestBytes) {
        throw errors.validation(`tests.${i}.${field} must be at most ${maxTestBytes} bytes.`, {
          field: `tests.${i}.${field}`,
          max: maxTestBytes,
        });
      }
    }
    total += stdin.length + expected.length;
    if (total > maxTotalBytes) {
      throw errors.validation(`The tests must be at most ${maxTotalBytes} bytes in all.`, {
        field: 'tests',
        max: maxTotalBytes,
      });
    }
    const timeoutMs =
      test.timeout === undefined
        ? undefined
        : Math.round(pick(l.timeoutSeconds, test.timeout, `tests.${i}.timeout`, 'seconds') * 1000);
    return {
      name,
      stdin: stdin.toString('base64'),
      expectedOutput: expected.toString('base64'),
      ...(timeoutMs === undefined || timeoutMs === limits.timeoutMs ? {} : { timeoutMs }),
    };
  });
  return {
    tests,
    checker: body.checker ?? { type: 'trimmed' },
    stopOnFirstFailure: body.stopOnFirstFailure ?? true,
  };
}

/** The longest a graded submission's runs may take in all (its tests one after another). */
export function gradingRunBudgetMs(grading: JobGrading, limits: JobLimits): number {
  return grading.tests.reduce((n, t) => n + (t.timeoutMs ?? limits.timeoutMs), 0);
}
