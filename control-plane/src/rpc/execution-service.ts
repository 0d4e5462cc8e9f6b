import type { ServiceImpl } from '@connectrpc/connect';
import type { Redis } from 'ioredis';
import type { LanguageManifest, Logger } from '@muscode/common';
import type { ExecutionService as ExecutionServiceDesc } from '@muscode/proto/execution/v1';
import type { Streams } from '../infra/streams.js';
import type { ApiKeyService } from '../modules/api-keys/service.js';
import type { TokenService } from '../modules/auth/tokens.js';
import type { ExecutionService } from '../modules/executions/service.js';
import type { RunnerRegistry } from '../modules/runners/registry.js';
import type { RateLimiter } from '../http/rate-limit.js';
import { guarded } from './errors.js';
import { createRpcAuth } from './execution/auth.js';
import { cancel } from './execution/cancel.js';
import { execute } from './execution/execute.js';
import { get } from './execution/get.js';
import { interact } from './execution/interact.js';
import { listLanguages } from './execution/list-languages.js';
import { submit } from './execution/submit.js';

/**
 * `muscode.execution.v1.ExecutionService` for internal tools, authenticated by API key or
 * access token. One RPC per file under execution/; this only wires them.
 */
export function executionRpc(deps: {
  executions: ExecutionService;
  tokens: TokenService;
  apiKeys: ApiKeyService;
  streams: Streams;
  redis: Redis;
  manifest: LanguageManifest;
  runners: RunnerRegistry;
  log: Logger;
  /** The REST API's rate limiter and per-user limit, applied to every call. */
  limiter?: RateLimiter;
  perUserLimit?: number;
}): ServiceImpl<typeof ExecutionServiceDesc> {
  const log = deps.log.child({ component: 'execution-rpc' });
  const auth = createRpcAuth(deps);
  const d = { ...deps, auth, log };
  return {
    submit: guarded(log, submit(d)),
    get: guarded(log, get(d)),
    cancel: guarded(log, cancel(d)),
    listLanguages: guarded(log, listLanguages(d)),
    execute: execute(d),
    interact: interact(d),
  };
}
