import {
  languageLimits,
  type JobLimits,
  type Language,
  type LanguageManifest,
  type LimitRange,
} from '@muscode/common';
import { errors } from '../../errors.js';
import type { ExecuteBody } from './model.js';

export interface SourceFile {
  path: string;
  content: string;
}

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
  body: Pick<ExecuteBody, 'code' | 'files' | 'mainFile'>,
): { files: SourceFile[]; mainFile: string } {
  if ((body.code === undefined) === (body.files === undefined)) {
    throw errors.validation('Send either code or files, not both or neither.', { field: 'code' });
  }
  const files: SourceFile[] =
    body.code !== undefined
      ? [{ path: lang.mainFile, content: body.code }]
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
  const total = files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
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
