import { Elysia } from 'elysia';
import { node } from '@elysiajs/node';
import type { LanguageManifest, Logger, Registry } from '@muscode/common';
import type { Redis } from 'ioredis';
import { checkQuery, readBodyBytes, readJsonBody } from './http/body.js';
import { openapiDocs } from './http/openapi.js';
import { rateLimitHook, type RateLimits } from './http/rate-limit-hook.js';
import type { RateLimiter } from './http/rate-limit.js';
import { toErrorResponse } from './http/error-envelope.js';
import { wrongMethod, type RouteEntry } from './http/allowed-methods.js';
import type { Db } from './infra/db.js';
import type { ObjectStore } from './infra/object-store/index.js';
import {
  archiveMediaType,
  archiveRoutes,
  importPath,
  type ArchiveService,
} from './modules/archives/index.js';
import { authRoutes } from './modules/auth/index.js';
import type { AuthService } from './modules/auth/service.js';
import type { TokenService } from './modules/auth/tokens.js';
import { apiKeyRoutes } from './modules/api-keys/index.js';
import type { ApiKeyService } from './modules/api-keys/service.js';
import { executionRoutes } from './modules/executions/index.js';
import type { ExecutionService } from './modules/executions/service.js';
import { healthRoutes } from './modules/health/index.js';
import { metricsRoutes } from './modules/metrics/index.js';
import { runnerRoutes } from './modules/runners/index.js';
import { languageRoutes } from './modules/languages/index.js';
import type { RunnerRegistry } from './modules/runners/registry.js';
import { commentRoutes } from './modules/comments/index.js';
import type { CommentService } from './modules/comments/service.js';
import { fileRoutes } from './modules/files/index.js';
import type { FileService } from './modules/files/service.js';
import { projectRoutes, publicProjectRoutes } from './modules/projects/index.js';
import type { ProjectService } from './modules/projects/service.js';
import type { StatsRepo } from './modules/stats/repo.js';
import { publicTestSetRoutes, testSetRoutes } from './modules/test-sets/index.js';
import type { TestSetService } from './modules/test-sets/service.js';
import { statsRoutes } from './modules/stats/index.js';
import { errors } from './errors.js';
import { artifactRoutes, type ArtifactService } from './modules/artifacts/index.js';
import { judge0Routes } from './modules/judge0/index.js';
import { createCallbackSender, type CallbackOptions } from './modules/judge0/callback.js';
import { createJudge0Repo } from './modules/judge0/repo.js';
import { createJudge0Service } from './modules/judge0/service.js';
import { pistonRoutes } from './modules/piston/index.js';
import { createPistonService } from './modules/piston/service.js';

export interface AppDeps {
  db: Db;
  /** Artifacts, large outputs and archives (S3 or the embedded filesystem store). */
  objects: ObjectStore;
  /** Project archives (`GET /projects/{id}/archive`, `POST /projects/import`), and the largest
   * archive body read. */
  archives: { service: ArchiveService; maxBytes: number };
  /** Executions' artifacts (`GET /execute/{id}/artifacts[/{artifactId}]`), and who owns an execution. */
  artifacts: { service: ArtifactService; ownerOf: (executionId: string) => Promise<string | null> };
  redis: Redis;
  auth: AuthService;
  tokens: TokenService;
  executions: ExecutionService;
  projects: ProjectService;
  files: FileService;
  comments: CommentService;
  testSets: TestSetService;
  stats: StatsRepo;
  apiKeys: ApiKeyService;
  runners: RunnerRegistry;
  manifest: LanguageManifest;
  bodyLimitBytes: number;
  limiter: RateLimiter;
  rateLimits: RateLimits;
  /** Prometheus registry served at /metrics (outside /api/v1: not forwarded by the gateway). */
  metrics: Registry;
  log: Logger;
  /** Judge0 `callback_url` delivery (signing key, allowlist, timeout, retries). */
  judge0Callbacks: Omit<CallbackOptions, 'log'>;
}

/** Submissions one Judge0 batch may hold (Judge0's own default). */
const judge0MaxBatch = 20;

/** The REST API under /api/v1. Every error leaves in the spec's envelope. */
export function createApp(deps: AppDeps) {
  const log = deps.log.child({ component: 'http' });
  // Filled once every route is registered below; read by the 404 handler to tell 405 from 404.
  const table: { routes: readonly RouteEntry[] } = { routes: [] };
  const app = new Elysia({ adapter: node() })
    .onRequest(rateLimitHook(deps.limiter, deps.tokens, deps.rateLimits))
    .onRequest(({ request }) => checkQuery(request.url))
    .onParse(async ({ request, contentType }) => {
      if (request.method === 'GET' || request.method === 'HEAD') return undefined;
      const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
      const path = new URL(request.url).pathname;
      // A project archive comes as raw zip bytes, bounded like any body.
      if (path === importPath) {
        if (type !== archiveMediaType) throw errors.unsupportedMediaType();
        return readBodyBytes(request, deps.archives.maxBytes);
      }
      // Piston clients (piston-client) send their JSON as text/plain: /piston takes any type.
      if (!path.startsWith('/piston/') && type !== '' && type !== 'application/json') {
        throw errors.unsupportedMediaType();
      }
      // The REST API wants its JSON labelled; other prefixes (the Piston-compatible API) may not.
      const typed = type !== '' || !path.startsWith('/api/v1');
      return readJsonBody(request, deps.bodyLimitBytes, { typed });
    })
    .onError(({ code, error, set, request }) => {
      const wrong = code === 'NOT_FOUND' ? wrongMethod(table.routes, request) : undefined;
      if (wrong) set.headers.allow = wrong.allow;
      const { status, body, retryAfterSeconds } = toErrorResponse(code, wrong?.error ?? error, log);
      set.status = status;
      if (retryAfterSeconds !== undefined) set.headers['retry-after'] = String(retryAfterSeconds);
      return body;
    })
    .use(openapiDocs())
    .group('/api/v1', (api) =>
      api
        .use(authRoutes(deps.auth, deps.tokens))
        .use(executionRoutes(deps.executions, deps.tokens))
        .use(artifactRoutes(deps.artifacts.service, deps.artifacts.ownerOf, deps.tokens))
        .use(publicProjectRoutes(deps.projects, deps.tokens))
        .use(archiveRoutes(deps.archives.service, deps.tokens))
        .use(projectRoutes(deps.projects, deps.tokens))
        .use(fileRoutes(deps.files, deps.tokens))
        .use(commentRoutes(deps.comments, deps.tokens))
        .use(publicTestSetRoutes(deps.testSets, deps.tokens))
        .use(testSetRoutes(deps.testSets, deps.tokens))
        .use(statsRoutes(deps.stats, deps.tokens))
        .use(apiKeyRoutes(deps.apiKeys, deps.tokens))
        .use(languageRoutes(deps.manifest, deps.runners))
        .use(healthRoutes(deps.db, deps.redis, deps.runners, deps.tokens, deps.objects))
        .use(runnerRoutes(deps.runners, deps.tokens)),
    )
    .use(
      judge0Routes({
        judge0: createJudge0Service({
          executions: deps.executions,
          repo: createJudge0Repo(deps.db),
          manifest: deps.manifest,
          maxBatch: judge0MaxBatch,
          callbacks: createCallbackSender({
            ...deps.judge0Callbacks,
            log: log.child({ component: 'judge0' }),
          }),
          log: log.child({ component: 'judge0' }),
        }),
        apiKeys: deps.apiKeys,
        tokens: deps.tokens,
        manifest: deps.manifest,
        maxBatch: judge0MaxBatch,
        callbacksEnabled: Boolean(deps.judge0Callbacks.secret),
        callbackTries: deps.judge0Callbacks.tries,
        callbackTimeoutSeconds: deps.judge0Callbacks.timeoutMs / 1000,
      }),
    )
    .use(
      pistonRoutes({
        piston: createPistonService({
          executions: deps.executions,
          manifest: deps.manifest,
          liveVersions: () => deps.runners.liveVersions(),
        }),
        apiKeys: deps.apiKeys,
        tokens: deps.tokens,
      }),
    )
    .use(metricsRoutes(deps.metrics));
  table.routes = app.routes;
  return app;
}

export type App = ReturnType<typeof createApp>;
