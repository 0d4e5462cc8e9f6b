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
import {
  createObjectStore,
  ensureBucket,
  objectPrefix,
  removePrefix,
  s3Options,
  startRetentionSweep,
} from './infra/object-store/index.js';
import { createStreams } from './infra/streams.js';
import { createRateLimiter } from './http/rate-limit.js';
import { createAuditRepo } from './modules/audit/repo.js';
import { createJtiDenylist } from './modules/auth/denylist.js';
import { createAuthRepo } from './modules/auth/repo.js';
import { createAuthService } from './modules/auth/service.js';
import { createTokenService, readPrivateKeyFile } from './modules/auth/tokens.js';
import { createApiKeyRepo } from './modules/api-keys/repo.js';
import { createArchiveRepo, createArchiveService } from './modules/archives/index.js';
import { createApiKeyService } from './modules/api-keys/service.js';
import { createArtifactRepo, createArtifactService } from './modules/artifacts/index.js';
import { createExecutionRepo } from './modules/executions/repo.js';
import { createOutputs, withOutputLimit } from './modules/executions/outputs.js';
import { createExecutionService } from './modules/executions/service.js';
import { createRecording } from './modules/executions/recording.js';
import { createIdempotency } from './modules/executions/idempotency.js';
import { createCommentRepo } from './modules/comments/repo.js';
import { createCommentService } from './modules/comments/service.js';
import { createFileRepo } from './modules/files/repo.js';
import { createFileService } from './modules/files/service.js';
import { createProjectRepo } from './modules/projects/repo.js';
import { startProjectPurge } from './modules/projects/purge.js';
import { createProjectService } from './modules/projects/service.js';
import { createTestSetRepo } from './modules/test-sets/repo.js';
import { createTestSetService } from './modules/test-sets/service.js';
import { createStatsRepo } from './modules/stats/repo.js';
import { createAdmission } from './modules/admission/service.js';
import { createMetricsRepo } from './modules/metrics/repo.js';
import { createControlPlaneMetrics } from './modules/metrics/service.js';
import { createRunnerRegistry } from './modules/runners/registry.js';
import { createSweeperRepo } from './modules/sweeper/repo.js';
import { createSweeper } from './modules/sweeper/service.js';
import { executionRpc } from './rpc/execution-service.js';
import { runnerRpc } from './rpc/runner-service.js';
import { createCredentialCheck } from './rpc/execution/auth.js';
import { createRpcServer } from './rpc/server.js';

const config = loadConfig(process.env);
const log = createLogger('control-plane', config.logLevel);
const manifest = withOutputLimit(loadLanguageManifest(config.manifestPath), config.maxOutputBytes);

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
const objects = createObjectStore(config);
log.info(
  {
    kind: objects.kind,
    ...(config.storageEndpoint
      ? { endpoint: config.storageEndpoint, bucket: config.storageBucket }
      : { dir: config.storageDir }),
  },
  'object store',
);
const s3 = s3Options(config);
// The local stack's bucket is made here; a production bucket exists already (HEAD only).
if (s3)
  await ensureBucket(s3).catch((err: Error) =>
    log.warn({ err: err.message }, 'object store bucket not reachable'),
  );
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
const artifacts = createArtifactService({
  repo: createArtifactRepo(db),
  store: objects,
  log: log.child({ component: 'artifacts' }),
  ...(config.artifactUrlSecret
    ? { signing: { secret: config.artifactUrlSecret, ttlSeconds: config.artifactUrlTtlSeconds } }
    : {}),
});
const outputs = createOutputs({
  store: objects,
  inlineBytes: config.storageOutputInlineBytes,
  log: log.child({ component: 'outputs' }),
});
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
const testSets = createTestSetService({
  repo: createTestSetRepo(db),
  manifest,
  audit,
  maxPerUser: config.maxTestSetsPerUser,
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
  ...(config.artifactsMaxCount > 0
    ? {
        artifactLimits: {
          maxCount: config.artifactsMaxCount,
          maxFileBytes: config.artifactsMaxFileBytes,
          maxBytes: config.artifactsMaxBytes,
        },
      }
    : {}),
  artifacts,
  outputs,
  testSets,
});
const auth = createAuthService({
  repo: createAuthRepo(db),
  tokens,
  refreshTtlSeconds: config.refreshTokenTtlSeconds,
  audit,
  denylist,
});

const fileLimits = { maxFileBytes: config.maxFileBytes, maxFilesPerProject: config.maxFilesPerProject };
const projectRepo = createProjectRepo(db);
const projects = createProjectService({
  repo: projectRepo,
  manifest,
  executions,
  audit,
  liveVersions: () => runners.liveVersions(),
  limits: { inlineContentBytes: config.projectInlineContentBytes, runMaxBytes: config.projectRunMaxBytes },
  // A failure leaves objects for the operator, never a failed delete.
  onDeleted: (id) =>
    removePrefix(objects, objectPrefix.project(id)).catch((err: Error) =>
      log.warn({ err: err.message, projectId: id }, 'objects of a deleted project not removed'),
    ),
});
const files = createFileService({
  repo: createFileRepo(db, fileLimits),
  manifest,
  limits: fileLimits,
  audit,
});
const archives = createArchiveService({
  repo: createArchiveRepo(db),
  projects,
  manifest,
  audit,
  limits: {
    maxFiles: config.maxFilesPerProject,
    maxFileBytes: config.maxFileBytes,
    maxTotalBytes: config.archiveMaxTotalBytes,
    maxRatio: config.archiveMaxRatio,
  },
});
const commentLimits = {
  maxPerProject: config.maxCommentsPerProject,
  maxRepliesPerThread: config.maxRepliesPerComment,
  maxListedReplies: Math.max(config.commentListMaxReplies, config.maxRepliesPerComment),
};
const comments = createCommentService({ repo: createCommentRepo(db, commentLimits), limits: commentLimits });

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
  objects,
  archives: { service: archives, maxBytes: config.archiveMaxBytes },
  artifacts: { service: artifacts, ownerOf: (id) => executionRepo.ownerOf(id) },
  redis,
  auth,
  tokens,
  executions,
  projects,
  files,
  comments,
  testSets,
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

const recording = createRecording({
  repo: executionRepo,
  streams,
  log: log.child({ component: 'report' }),
  observe: metrics,
  checkAttempt: createAttemptCheck(redis, { prefix: config.redisPrefix }),
  artifacts,
  outputs,
});
const rpc = createRpcServer({
  runnerToken: config.runnerToken,
  checkCredentials: createCredentialCheck({ tokens, apiKeys }),
  runner: runnerRpc({
    recording,
    runners,
    ttlSeconds: config.runnerTtlSeconds,
    onBeat: (region) => {
      metrics.heartbeat(region);
      // A beat may bring slots (a new or recovered agent): use them at once.
      void fairQueue.dispatch(region).catch(() => undefined);
    },
    log,
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
const retention = startRetentionSweep(objects, {
  retentionMs: config.storageRetentionHours * 3600 * 1000,
  intervalMs: config.storageSweepIntervalMs,
  log,
  // Artifact rows first (expired, their bytes back to the owners' quotas), then every object.
  before: (cutoff) => artifacts.expire(cutoff),
});
const projectPurge = startProjectPurge(projectRepo, {
  retentionMs: config.deletedProjectRetentionSeconds * 1000,
  intervalMs: config.projectPurgeIntervalMs,
  batchSize: 100,
  log,
});
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
  retention.stop();
  projectPurge.stop();
  await sweeper.stop();
  await httpServer?.stop();
  await new Promise<void>((done) => {
    rpc.close(() => done());
    // Streams of agents end when their jobs do; do not wait forever for them.
    setTimeout(done, 5000).unref();
  });
  await db.end();
  await objects.close();
  streams.close();
  redis.disconnect();
});
