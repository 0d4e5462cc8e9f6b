import { Elysia } from 'elysia';
import type { LanguageManifest } from '@muscode/common';
import { AppError } from '../../errors.js';
import { userOfCredential } from '../../http/key-auth.js';
import type { ApiKeyService } from '../api-keys/service.js';
import type { TokenService } from '../auth/tokens.js';
import { judge0Statuses } from './statuses.js';
import type { Judge0Service } from './service.js';
import { asJudge0Invalid } from './submission.js';
import { NotUtf8, parseFields } from './view.js';

type Set = { status?: number | string; headers: Record<string, string | number> };
type Headers = Record<string, string | undefined>;
type Query = Record<string, string | undefined>;

/** Errors in Judge0's shapes: 422 `{field: [message]}`, others `{error}`. */
function judge0Error(err: unknown, set: Set): unknown {
  const invalid = asJudge0Invalid(err);
  if (invalid) {
    set.status = 422;
    return { [invalid.field]: [invalid.message] };
  }
  if (err instanceof NotUtf8) {
    set.status = 400;
    return {
      error:
        'some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter',
    };
  }
  if (err instanceof AppError && err.status < 500) {
    set.status = err.status;
    if (err.retryAfterSeconds !== undefined) set.headers['retry-after'] = String(err.retryAfterSeconds);
    return { error: err.message };
  }
  throw err;
}

function flag(q: Query, name: string): boolean {
  const v = q[name];
  if (v === undefined || v === '' || v === 'false') return false;
  if (v === 'true') return true;
  throw new AppError(400, 'validation_failed', `${name} must be true or false.`, { field: name });
}

/**
 * Judge0 CE's REST API under /judge0. Credentials as Judge0 takes them (`X-Auth-Token`,
 * `X-Auth-User`), or `Authorization: Bearer`: a MUSCode API key or access token.
 */
export function judge0Routes(deps: {
  judge0: Judge0Service;
  apiKeys: ApiKeyService;
  tokens: TokenService;
  manifest: LanguageManifest;
  maxBatch: number;
}) {
  const { judge0 } = deps;
  const user = (h: Headers, scope: 'execute' | 'read') =>
    userOfCredential(h['x-auth-token'] ?? h['x-auth-user'] ?? h['authorization'], scope, deps);
  const handle =
    <C extends { set: Set; headers: Headers; query: Query }>(fn: (ctx: C) => Promise<unknown>) =>
    async (ctx: C) => {
      try {
        return await fn(ctx);
      } catch (err) {
        return judge0Error(err, ctx.set);
      }
    };
  const readOpts = (q: Query, fallback: string[]) => ({
    base64: flag(q, 'base64_encoded'),
    fields: parseFields(q['fields'], fallback),
  });
  const tokenList = (q: Query) => {
    const tokens = (q['tokens'] ?? '').split(',').filter((t) => t !== '');
    if (tokens.length === 0) throw new AppError(400, 'validation_failed', 'tokens is required.');
    if (tokens.length > deps.maxBatch) {
      throw new AppError(400, 'validation_failed', `number of tokens can't be greater than ${deps.maxBatch}`);
    }
    return tokens;
  };

  return new Elysia({ prefix: '/judge0' })
    .post(
      '/submissions',
      handle(async ({ headers, query, body, set, request }: Ctx) => {
        const userId = await user(headers, 'execute');
        const answer = await judge0.submit(userId, body, {
          ...readOpts(query, judge0.defaultFields),
          wait: flag(query, 'wait'),
          signal: request.signal,
        });
        set.status = 201;
        return answer;
      }),
    )
    .post(
      '/submissions/batch',
      handle(async ({ headers, query, body, set }: Ctx) => {
        const userId = await user(headers, 'execute');
        const list = (body as { submissions?: unknown } | null)?.submissions;
        if (!Array.isArray(list) || list.length === 0) {
          throw new AppError(400, 'validation_failed', 'submissions must be a non-empty array.');
        }
        if (list.length > deps.maxBatch) {
          throw new AppError(
            400,
            'validation_failed',
            `number of submissions in a batch can't be greater than ${deps.maxBatch}`,
          );
        }
        const opts = { ...readOpts(query, ['token']), wait: false };
        set.status = 201;
        // One by one: each takes quota and a queue slot in order; an invalid one answers its errors in place.
        const out: unknown[] = [];
        for (const s of list) {
          try {
            out.push(await judge0.submit(userId, s, opts));
          } catch (err) {
            const invalid = asJudge0Invalid(err);
            if (!invalid) throw err;
            out.push({ [invalid.field]: [invalid.message] });
          }
        }
        return out;
      }),
    )
    .get(
      '/submissions/batch',
      handle(async ({ headers, query }: Ctx) => {
        const userId = await user(headers, 'read');
        return {
          submissions: await judge0.read(userId, tokenList(query), readOpts(query, judge0.defaultFields)),
        };
      }),
    )
    .get(
      '/submissions/:token',
      handle(async ({ headers, query, params }: Ctx) => {
        const userId = await user(headers, 'read');
        return judge0.get(userId, params['token'] ?? '', readOpts(query, judge0.defaultFields));
      }),
    )
    .get('/languages', () => judge0.languages())
    .get('/languages/all', () => judge0.languages())
    .get(
      '/languages/:id',
      handle(async ({ params, set }: Ctx) => {
        const l = judge0.language(Number(params['id']));
        if (l) return l;
        set.status = 404;
        return { error: 'language not found' };
      }),
    )
    .get('/statuses', () => judge0Statuses.map((s) => ({ id: s.id, description: s.description })))
    .get('/about', () => ({
      version: '1.13.1',
      homepage: 'https://github.com/muscode',
      source_code: 'https://github.com/muscode',
      maintainer: 'MUSCode (Judge0 CE compatible API)',
    }))
    .get('/config_info', () => {
      const l = deps.manifest.limits;
      return {
        enable_wait_result: true,
        enable_compiler_options: false,
        allowed_languages_for_compile_options: [],
        enable_command_line_arguments: true,
        enable_submission_delete: false,
        enable_callbacks: false,
        enable_additional_files: false,
        cpu_time_limit: l.cpuTimeSeconds.default,
        max_cpu_time_limit: l.cpuTimeSeconds.max,
        wall_time_limit: l.timeoutSeconds.default,
        max_wall_time_limit: l.timeoutSeconds.max,
        memory_limit: l.memoryMb.default * 1024,
        max_memory_limit: l.memoryMb.max * 1024,
        max_processes_and_or_threads: l.processes.default,
        max_max_processes_and_or_threads: l.processes.max,
        max_file_size: Math.floor(l.fileSizeBytes.default / 1024),
        max_max_file_size: Math.floor(l.fileSizeBytes.max / 1024),
        number_of_runs: 1,
        max_number_of_runs: 1,
        redirect_stderr_to_stdout: false,
        enable_batched_submissions: true,
        max_submission_batch_size: deps.maxBatch,
        enable_network: false,
        allow_enable_network: false,
      };
    });
}

interface Ctx {
  headers: Headers;
  query: Query;
  params: Record<string, string | undefined>;
  body: unknown;
  set: Set;
  request: Request;
}
