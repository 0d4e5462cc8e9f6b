import { Elysia } from 'elysia';
import type { LanguageManifest } from '@muscode/common';
import { AppError } from '../../errors.js';
import { userOfCredential } from '../../http/key-auth.js';
import type { ApiKeyService } from '../api-keys/service.js';
import type { TokenService } from '../auth/tokens.js';
import { judge0Statuses } from './statuses.js';
import { Judge0Refused, notUtf8Message, type Judge0Service } from './service.js';
import { asJudge0Invalid } from './submission.js';
import { InvalidFields, NotUtf8, parseFields } from './view.js';

/** A 400 `{error}` with Judge0's own message (batch sizes, tokens). */
class Judge0BadRequest extends Error {}

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
    return { error: notUtf8Message };
  }
  if (err instanceof InvalidFields || err instanceof Judge0Refused || err instanceof Judge0BadRequest) {
    set.status = 400;
    return { error: err.message };
  }
  if (err instanceof AppError && err.status < 500) {
    set.status = err.status;
    if (err.retryAfterSeconds !== undefined) set.headers['retry-after'] = String(err.retryAfterSeconds);
    return { error: err.message };
  }
  throw err;
}

/** Judge0 reads its boolean query parameters as `params[name] == "true"`: anything else is false. */
const flag = (q: Query, name: string): boolean => q[name] === 'true';

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
  callbacksEnabled: boolean;
  callbackTries: number;
  callbackTimeoutSeconds: number;
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
  // Judge0's messages for batch sizes (SubmissionsController#batch_create, #batch_show).
  const batchSize = (n: number) => {
    if (n > deps.maxBatch) {
      throw new Judge0BadRequest(
        `number of submissions in a batch should be less than or equal to ${deps.maxBatch}`,
      );
    }
    if (n === 0) throw new Judge0BadRequest('there should be at least one submission in a batch');
  };
  const tokenList = (q: Query) => {
    const tokens = (q['tokens'] ?? '')
      .trim()
      .split(',')
      .filter((t) => t !== '');
    batchSize(tokens.length);
    return tokens;
  };

  return (
    new Elysia({ prefix: '/judge0' })
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
          const given = (body as { submissions?: unknown } | null)?.submissions;
          const list: unknown[] = Array.isArray(given) ? given : [];
          batchSize(list.length);
          // Judge0 ignores `fields` here and answers tokens.
          const opts = { base64: flag(query, 'base64_encoded'), fields: ['token'], wait: false };
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
          // 201 when at least one was created, else 422 (Judge0's batch_create).
          set.status = out.some((o) => typeof (o as { token?: unknown }).token === 'string') ? 201 : 422;
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
      .delete(
        '/submissions/:token',
        handle(async ({ headers, query, params }: Ctx) => {
          const userId = await user(headers, 'execute');
          return judge0.remove(
            userId,
            params['token'] ?? '',
            parseFields(query['fields'], judge0.defaultFields),
          );
        }),
      )
      // Judge0's credential checks: 200 when the header's credential is good, else 401 / 403.
      .post(
        '/authenticate',
        handle(async ({ headers, set }: Ctx) => {
          await user(headers, 'read');
          set.status = 200;
          return '';
        }),
      )
      .post(
        '/authorize',
        handle(async ({ headers, set }: Ctx) => {
          await user(headers, 'execute');
          set.status = 200;
          return '';
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
          maintenance_mode: false,
          enable_submission_delete: true,
          enable_callbacks: deps.callbacksEnabled,
          callbacks_max_tries: deps.callbackTries,
          callbacks_timeout: deps.callbackTimeoutSeconds,
          enable_additional_files: false,
          cpu_time_limit: l.cpuTimeSeconds.default,
          max_cpu_time_limit: l.cpuTimeSeconds.max,
          cpu_extra_time: 0,
          max_cpu_extra_time: 0,
          wall_time_limit: l.timeoutSeconds.default,
          max_wall_time_limit: l.timeoutSeconds.max,
          memory_limit: l.memoryMb.default * 1024,
          max_memory_limit: l.memoryMb.max * 1024,
          stack_limit: null,
          max_stack_limit: null,
          max_processes_and_or_threads: l.processes.default,
          max_max_processes_and_or_threads: l.processes.max,
          enable_per_process_and_thread_time_limit: false,
          allow_enable_per_process_and_thread_time_limit: false,
          enable_per_process_and_thread_memory_limit: false,
          allow_enable_per_process_and_thread_memory_limit: false,
          max_file_size: Math.floor(l.fileSizeBytes.default / 1024),
          max_max_file_size: Math.floor(l.fileSizeBytes.max / 1024),
          number_of_runs: 1,
          max_number_of_runs: 1,
          redirect_stderr_to_stdout: false,
          max_extract_size: 0,
          enable_batched_submissions: true,
          max_submission_batch_size: deps.maxBatch,
          submission_cache_duration: 0,
          use_docs_as_homepage: false,
          enable_network: false,
          allow_enable_network: false,
        };
      })
  );
}

interface Ctx {
  headers: Headers;
  query: Query;
  params: Record<string, string | undefined>;
  body: unknown;
  set: Set;
  request: Request;
}
