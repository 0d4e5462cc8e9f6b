import { listRuntimes, type LanguageManifest, type LiveVersions } from '@muscode/common';
import { AppError } from '../../errors.js';
import type { ExecuteBody } from '../executions/model.js';
import type { ExecutionService } from '../executions/service.js';
import type { ExecutionView } from '../executions/view.js';

/** A Piston request error: 400 `{ message }`, as Piston answers. */
export class PistonInvalid extends Error {}

const bad = (message: string) => new PistonInvalid(message);

function optionalNumber(r: Record<string, unknown>, field: string): number | undefined {
  const v = r[field];
  if (v === undefined || v === null || v === -1) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`${field} must be a number`);
  return v;
}

function decode(content: string, encoding: unknown, i: number): string {
  switch (encoding) {
    case undefined:
    case null:
    case 'utf8':
      return content;
    case 'base64':
      return Buffer.from(content, 'base64').toString('utf8');
    case 'hex':
      return Buffer.from(content, 'hex').toString('utf8');
    default:
      throw bad(`files[${i}].encoding must be one of utf8, base64, hex`);
  }
}

/** A MUSCode validation error (a bad version, a limit out of range) as Piston's 400. */
function asPistonInvalid(err: unknown): unknown {
  return err instanceof AppError && err.status === 400 ? bad(err.message) : err;
}

/** A Piston v2 execute body as a MUSCode execute request. */
export function parseExecute(raw: unknown): ExecuteBody {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('body must be a JSON object');
  const r = raw as Record<string, unknown>;
  const { language, version, files, stdin, args } = r;
  if (typeof language !== 'string' || language === '') throw bad('language is required as a string');
  if (typeof version !== 'string' || version === '') throw bad('version is required as a string');
  if (!Array.isArray(files) || files.length === 0) throw bad('files is required as an array');
  const parsed = files.map((f: unknown, i) => {
    if (typeof f !== 'object' || f === null) throw bad(`files[${i}] must be an object`);
    const { name, content, encoding } = f as Record<string, unknown>;
    if (typeof content !== 'string') throw bad(`files[${i}].content is required as a string`);
    if (name !== undefined && typeof name !== 'string') throw bad(`files[${i}].name must be a string`);
    return { name, content: decode(content, encoding, i) };
  });
  if (stdin !== undefined && typeof stdin !== 'string') throw bad('stdin must be a string');
  if (args !== undefined && (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))) {
    throw bad('args must be an array of strings');
  }
  const runTimeout = optionalNumber(r, 'run_timeout');
  const compileTimeout = optionalNumber(r, 'compile_timeout');
  const runMemory = optionalNumber(r, 'run_memory_limit');
  optionalNumber(r, 'compile_memory_limit');
  const named = parsed.every((f) => typeof f.name === 'string' && f.name !== '');
  return {
    language,
    version: version === '*' ? undefined : version,
    // Unnamed files (piston-client sends one): the first is the program, in the language's main file.
    ...(named
      ? {
          files: parsed.map((f) => ({ name: f.name as string, content: f.content })),
          mainFile: parsed[0]!.name as string,
        }
      : { code: parsed[0]!.content }),
    ...(stdin ? { stdin } : {}),
    ...(args && (args as string[]).length > 0 ? { args: args as string[] } : {}),
    ...(runTimeout !== undefined ? { timeout: runTimeout / 1000 } : {}),
    ...(compileTimeout !== undefined ? { compileTimeout: compileTimeout / 1000 } : {}),
    ...(runMemory !== undefined ? { memoryLimit: Math.max(1, Math.ceil(runMemory / 1024 / 1024)) } : {}),
  };
}

const text = (data: string, encoding: 'utf8' | 'base64') =>
  encoding === 'base64' ? Buffer.from(data, 'base64').toString('utf8') : data;

/** Piston's stage status codes. */
function stageStatus(v: ExecutionView): string | null {
  switch (v.status) {
    case 'timeout':
    case 'cpu_limit':
      return 'TO';
    case 'output_limit':
      return 'OL';
    case 'internal_error':
    case 'cancelled':
      return 'XX';
    case 'runtime_error':
      return v.signal ? 'SG' : 'RE';
    // Named one by one, so a new verdict is a type error here until it has its Piston code.
    case 'queued':
    case 'running':
    case 'completed':
    case 'compile_error':
    case 'memory_limit':
      return v.signal ? 'SG' : null;
  }
}

/** A MUSCode execution as Piston's execute answer. */
export function executeView(v: ExecutionView, compiled: boolean) {
  const stdout = text(v.output, v.outputEncoding);
  const stderr = text(v.error, v.errorEncoding);
  const compileFailed = v.status === 'compile_error';
  const run = {
    stdout: compileFailed ? '' : stdout,
    stderr: compileFailed ? '' : stderr,
    output: compileFailed ? '' : stdout + stderr,
    code: compileFailed ? null : v.exitCode,
    signal: compileFailed ? null : v.signalName,
    message: compileFailed ? null : v.message,
    status: compileFailed ? null : stageStatus(v),
    cpu_time: v.cpuTime === null ? null : Math.round(v.cpuTime * 1000),
    wall_time: v.executionTime === null ? null : Math.round(v.executionTime * 1000),
    memory: v.memoryUsed === null ? null : Math.round(v.memoryUsed * 1024 * 1024),
  };
  const compileOutput = v.compilationError ?? '';
  return {
    language: v.language,
    version: v.version,
    run,
    ...(compiled
      ? {
          compile: {
            stdout: '',
            stderr: compileOutput,
            output: compileOutput,
            code: compileFailed ? 1 : 0,
            signal: null,
            message: compileFailed ? v.message : null,
            status: compileFailed ? 'RE' : null,
          },
        }
      : {}),
  };
}

/** Piston v2's API over the one execution service. */
export function createPistonService(deps: {
  executions: ExecutionService;
  manifest: LanguageManifest;
  liveVersions: () => Promise<LiveVersions>;
}) {
  /** The request as MUSCode's, and whether its language compiles (Piston's compile stage). */
  function resolve(raw: unknown): { body: ExecuteBody; compiled: boolean } {
    const body = parseExecute(raw);
    const lang = deps.manifest.languages.find(
      (l) => l.id === body.language || l.aliases.includes(body.language),
    );
    if (!lang) throw bad(`${body.language}-${body.version ?? '*'} runtime is unknown`);
    return { body, compiled: Boolean(lang.compile) };
  }

  return {
    runtimes: async () => {
      const live = await deps.liveVersions();
      return listRuntimes(deps.manifest, live)
        .filter((r) => r.available)
        .map((r) => ({ language: r.language, version: r.version, aliases: r.aliases }));
    },

    async execute(userId: string, raw: unknown, signal?: AbortSignal) {
      const { body, compiled } = resolve(raw);
      try {
        const view = await deps.executions.submitAndWait(userId, body, { signal });
        return executeView(view, compiled);
      } catch (err) {
        throw asPistonInvalid(err);
      }
    },

    /**
     * Starts the interactive execution of a WebSocket `init` message (the gateway's
     * /api/v2/connect): stdin stays open for `data` messages. Answers what the gateway needs
     * for Piston's `runtime` and `stage` messages.
     */
    async startInteractive(userId: string, raw: unknown) {
      const { body, compiled } = resolve(raw);
      try {
        const { executionId } = await deps.executions.submit(userId, { ...body, interactive: true });
        const view = await deps.executions.get(userId, executionId);
        return { executionId, language: view.language, version: view.version, compiled };
      } catch (err) {
        throw asPistonInvalid(err);
      }
    },

    /** The caller's execution as MUSCode's view (what the gateway follows). */
    view: (userId: string, executionId: string) => deps.executions.get(userId, executionId.toLowerCase()),

    /** Piston's `signal` message: the program is killed (MUSCode's cancel). */
    cancel: (userId: string, executionId: string) =>
      deps.executions.cancel(userId, executionId.toLowerCase()),
  };
}

export type PistonService = ReturnType<typeof createPistonService>;
