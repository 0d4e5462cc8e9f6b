import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { createLogger, loadLanguageManifest, onShutdown, parseTrustedProxies } from '@muscode/common';
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { createDb } from './infra/db.js';
import { createRedis } from './infra/redis.js';
import { createAttemptCheck } from './infra/attempt-check.js';
import { createFairQueue } from './infra/fair-queue.js';
import { createStreams } from './infra/streams.js';
import { createRateLimiter } from './http/rate-limit.js';
import { createAuditRepo } from './modules/audit/repo.js';
import { createJtiDenylist } from './modules/auth/denylist.js';
import { createAuthRepo } from './modules/auth/repo.js';
import { createAuthService } from './modules/auth/service.js';
import { createTokenService, readPrivateKeyFile } from './modules/auth/tokens.js';
import { createApiKeyRepo } from './modules/api-keys/repo.js';
import { createApiKeyService } from './modules/api-keys/service.js';
import { createExecutionRepo } from './modules/executions/repo.js';
import { createExecutionService } from './modules/executions/service.js';
import { createIdempotency } from './modules/executions/idempotency.js';
import { createCommentRepo } from './modules/comments/repo.js';
import { createCommentService } from './modules/comments/service.js';
import { createFileRepo } from './modules/files/repo.js';
import { createFileService } from './modules/files/service.js';
import { createProjectRepo } from './modules/projects/repo.js';
import { createProjectService } from './modules/projects/service.js';
import { createStatsRepo } from './modules/stats/repo.js';
import { createAdmission } from './modules/admission/service.js';
import { createMetricsRepo } from './modules/metrics/repo.js';
import { createControlPlaneMetrics } from './modules/metrics/service.js';
import { createRunnerRegistry } from './modules/runners/registry.js';
import { createSweeperRepo } from './modules/sweeper/repo.js';
import { createSweeper } from './modules/sweeper/service.js';
import { executionRpc } from './rpc/execution-service.js';
import { heartbeat } from './rpc/heartbeat.js';
import { report } from './rpc/report.js';
import { createRpcServer } from './rpc/server.js';

const config = loadConfig(process.env);
const log = createLogger('control-plane', config.logLevel);
const manifest = loadLanguageManifest(config.manifestPath);

const configuredRegions = [
  ...new Set([
    config.defaultRegion,
    ...(config.regions ?? '')
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean),
  ]),
];
const db = await createDb(config.databaseUrl, config.databasePoolSize, {
  statementTimeoutMs: config.databaseStatementTimeoutMs,
  lockTimeoutMs: config.databaseLockTimeoutMs,
});
const redis = createRedis(config.redisUrl, log);
// Commands fail at once while Redis is away (no offline queue): give it a moment to connect
// before serving, but start anyway (requests answer 503 until it is there).
await Promise.race([once(redis, 'ready'), new Promise((r) => setTimeout(r, 5000).unref())]);
const streams = createStreams(redis, {
  prefix: config.redisPrefix,
  eventsMaxLen: config.eventsMaxLen,
  eventsTtlSeconds: config.eventsTtlSeconds,
  resultEventMaxBytes: config.resultEventMaxBytes,
});
const fairQueue = createFairQueue(redis, { prefix: config.redisPrefix });
const denylist = createJtiDenylist(redis, config.redisPrefix);
const audit = createAuditRepo(db);
const tokens = await createTokenService({
  privateKeyPem: readPrivateKeyFile(resolve(config.jwtPrivateKeyFile)),
  issuer: config.jwtIssuer,
  ttlSeconds: config.accessTokenTtlSeconds,
  isDenied: (jti) => denylist.isDenied(jti),
});
const runners = createRunnerRegistry(redis, {
  prefix: config.redisPrefix,
  ttlSeconds: config.runnerTtlSeconds,
});
const executionRepo = createExecutionRepo(db);
const apiKeys = createApiKeyService({ repo: createApiKeyRepo(db) });
const admission = createAdmission(redis, {
  prefix: config.redisPrefix,
  maxActivePerUser: config.maxActivePerUser,
  maxQueueLength: config.maxQueueLength,
  retryAfterSeconds: config.queueRetryAfterSeconds,
});
const metrics = createControlPlaneMetrics({
  redis,
  prefix: config.redisPrefix,
  defaultRegion: config.defaultRegion,
  runners,
  repo: createMetricsRepo(db),
});
const sweeper = createSweeper({
  redis,
  repo: createSweeperRepo(db),
  streams,
  log,
  onSwept: metrics.swept,
  opts: {
    prefix: config.redisPrefix,
    instanceId: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    intervalMs: config.sweepIntervalMs,
    graceMs: config.sweepGraceMs,
    maxAgeMs: config.sweepMaxAgeMs,
    maxAttempts: config.maxAttempts,
    batchSize: 200,
  },
});
const executions = createExecutionService({
  repo: executionRepo,
  streams,
  manifest,
  defaultRegion: config.defaultRegion,
  regions: configuredRegions,
  admission,
  log,
  waitMarginMs: config.executeWaitMarginSeconds * 1000,
  maxWaiters: config.executeMaxWaiters,
  audit,
  liveVersions: () => runners.liveVersions(),
  idempotency: createIdempotency(redis, {
    prefix: config.redisPrefix,
    ttlSeconds: config.idempotencyTtlSeconds,
  }),
  queue: fairQueue,
});
const auth = createAuthService({
  repo: createAuthRepo(db),
  tokens,
  refreshTtlSeconds: config.refreshTokenTtlSeconds,
  audit,
  denylist,
});

const fileLimits = { maxFileBytes: config.maxFileBytes, maxFilesPerProject: config.maxFilesPerProject };
const projects = createProjectService({
  repo: createProjectRepo(db),
  manifest,
  executions,
  audit,
  liveVersions: () => runners.liveVersions(),
});
const files = createFileService({
  repo: createFileRepo(db, fileLimits),
  manifest,
  limits: fileLimits,
  audit,
});
const comments = createCommentService({ repo: createCommentRepo(db) });

const limiter = createRateLimiter(redis, {
  prefix: config.redisPrefix,
  windowSeconds: config.rateLimitWindowSeconds,
  log,
});
const app = createApp({
  judge0Callbacks: {
    secret: config.judge0CallbackSecret,
    allow: config.judge0CallbackAllow,
    timeoutMs: config.judge0CallbackTimeoutSeconds * 1000,
    tries: config.judge0CallbackTries,
    retryMs: config.judge0CallbackRetryMs,
  },
  db,
  redis,
  auth,
  tokens,
  executions,
  projects,
  files,
  comments,
  stats: createStatsRepo(db),
  apiKeys,
  runners,
  manifest,
  bodyLimitBytes: config.bodyLimitBytes,
  limiter,
  rateLimits: {
    trustedProxies: parseTrustedProxies(config.trustedProxies),
    perIp: config.rateLimitPerIp,
    perUser: config.rateLimitPerUser,
    loginPerIp: config.rateLimitLoginPerIp,
    registerPerIp: config.rateLimitRegisterPerIp,
  },
  metrics: metrics.registry,
  log,
});
let httpServer: { stop(): unknown } | undefined;
app.listen({ hostname: config.host, port: config.httpPort, reusePort: false }, (server) => {
  httpServer = server;
});

const rpc = createRpcServer({
  runnerToken: config.runnerToken,
  report: report({
    repo: executionRepo,
    streams,
    log: log.child({ component: 'report' }),
    observe: metrics,
    checkAttempt: createAttemptCheck(redis, { prefix: config.redisPrefix }),
  }),
  heartbeat: heartbeat({
    runners,
    ttlSeconds: config.runnerTtlSeconds,
    onBeat: (region) => {
      metrics.heartbeat(region);
      // A beat may bring slots (a new or recovered agent): use them at once.
      void fairQueue.dispatch(region).catch(() => undefined);
    },
  }),
  execution: executionRpc({
    executions,
    tokens,
    apiKeys,
    streams,
    redis,
    manifest,
    runners,
    log,
    limiter,
    perUserLimit: config.rateLimitPerUser,
  }),
  log,
  readMaxBytes: config.rpcReadMaxBytes,
});
rpc.listen(config.rpcPort, config.host);
await once(rpc, 'listening');
log.info(
  { http: `http://${config.host}:${config.httpPort}`, rpc: `http://${config.host}:${config.rpcPort}` },
  'control-plane listening',
);
sweeper.start();
// Slots free when agents delete finished jobs from the stream; the dispatcher fills them from
// the fair queue (each run is one atomic script, so several control-planes may run it).
let dispatchFailing = false;
const dispatcher = setInterval(() => {
  fairQueue.dispatchAll().then(
    () => {
      dispatchFailing = false;
    },
    (err: unknown) => {
      if (!dispatchFailing) log.warn({ err: (err as Error).message }, 'fair dispatch failed; retrying');
      dispatchFailing = true;
    },
  );
}, config.dispatchIntervalMs);

onShutdown(log, async () => {
  clearInterval(dispatcher);
  await sweeper.stop();
  await httpServer?.stop();
  await new Promise<void>((done) => {
    rpc.close(() => done());
    // Streams of agents end when their jobs do; do not wait forever for them.
    setTimeout(done, 5000).unref();
  });
  await db.end();
  streams.close();
  redis.disconnect();
});
