import { env, loadEnvConfig } from '@muscode/common';
import { z } from 'zod';

/** Every setting of the control-plane, read once in main.ts from CP_* variables. */
export function loadConfig(source: NodeJS.ProcessEnv) {
  return loadEnvConfig(
    'CP_',
    {
      host: env.string('127.0.0.1'),
      /** REST API (HTTP/1.1, Elysia). */
      httpPort: env.port(8081),
      /** Connect/gRPC services (HTTP/2 cleartext): runner agents and internal tools. */
      rpcPort: env.port(8082),
      databaseUrl: env.string('postgres://muscode:muscode-local@127.0.0.1:5432/muscode'),
      databasePoolSize: env.int(10, 1),
      /** A statement that runs, or waits for a lock, longer than this fails and the request
       * answers 503 with Retry-After (a locked table, an overloaded database). */
      databaseStatementTimeoutMs: env.int(15_000, 100),
      databaseLockTimeoutMs: env.int(2000, 1),
      redisUrl: env.string('redis://127.0.0.1:6379'),
      /** Prefix of every Redis key, so several stacks can share one Redis. */
      redisPrefix: env.string('muscode:'),
      defaultRegion: env.string('local'),
      /** Regions a submission may name (comma-separated; the default region always counts).
       * Any other is a 400: a job queued for a region no agent reads would wait forever. */
      regions: env.optionalString(),
      /** PEM (PKCS#8) Ed25519 key that signs access tokens. */
      jwtPrivateKeyFile: env.string('.state/jwt-ed25519.pem'),
      jwtIssuer: env.string('muscode'),
      accessTokenTtlSeconds: env.int(900, 30),
      refreshTokenTtlSeconds: env.int(30 * 24 * 3600, 60),
      /** Shared secret runner agents present on the Connect stream; required (no default). */
      runnerToken: env.secret(),
      /** A runner that has not sent a heartbeat for this long is gone. */
      runnerTtlSeconds: env.int(15, 2),
      /** Events kept per execution stream, and how long the stream lives after its last event. */
      eventsMaxLen: env.int(10000, 100),
      eventsTtlSeconds: env.int(3600, 10),
      /** Largest result event (JSON bytes) that carries the whole execution, so watchers need
       * no read of the row; a larger one goes without it (its output is in the stream already). */
      resultEventMaxBytes: env.int(256 * 1024, 0),
      /** Largest Connect/gRPC request message read, in bytes (Connect's own default is 4 GiB):
       * room for a runner's result with stdout, stderr and compile output at their maxima. */
      rpcReadMaxBytes: env.int(8 * 1024 * 1024, 64 * 1024),
      /** Largest request body accepted, in bytes. */
      bodyLimitBytes: env.int(2 * 1024 * 1024, 1024),
      /** Fixed rate-limit window, and requests allowed per window per client address / user / login address. */
      rateLimitWindowSeconds: env.int(60, 1),
      /** Peers whose X-Forwarded-For is believed (the gateways; IPs and CIDRs, or `none`): the
       * client is the right-most hop that is not one of them, else the socket peer itself. */
      trustedProxies: env.string('127.0.0.0/8,::1'),
      rateLimitPerIp: env.int(600, 1),
      rateLimitPerUser: env.int(300, 1),
      rateLimitLoginPerIp: env.int(10, 1),
      /** Accounts registered per window per client address (mass sign-up). */
      rateLimitRegisterPerIp: env.int(5, 1),
      /** How long `POST /execute?wait=true` waits beyond the execution's own time limits. */
      executeWaitMarginSeconds: env.int(15, 1),
      /** Requests of one instance that may wait (`?wait=true`) at once (they share one Redis reader). */
      executeMaxWaiters: env.int(200, 1),
      /** HMAC-SHA256 key that signs Judge0 callbacks; unset, `callback_url` is refused. */
      judge0CallbackSecret: env.optionalString(),
      /** Callback hosts, IPs or CIDRs allowed although private, loopback or link-local (comma-separated). */
      judge0CallbackAllow: env.optionalString(),
      /** Each callback attempt's timeout; attempts in all; first retry delay (doubling). */
      judge0CallbackTimeoutSeconds: env.int(5, 1),
      judge0CallbackTries: env.int(5, 1),
      judge0CallbackRetryMs: env.int(1000, 10),
      /** How long an Idempotency-Key of `POST /execute` is remembered (per user). */
      idempotencyTtlSeconds: env.int(24 * 3600, 60),
      /** Executions one user may have queued or running at once; more get 429. */
      maxActivePerUser: env.int(8, 1),
      /** Jobs a region's queue may hold (waiting plus running); past it submissions get 429. */
      maxQueueLength: env.int(5000, 1),
      /** How often the fair dispatcher moves waiting jobs into free runner slots. */
      dispatchIntervalMs: env.int(250, 10),
      /** Retry-After of those 429 answers. */
      queueRetryAfterSeconds: env.int(5, 1),
      /** Attempts per execution (keep equal to the agents' AGENT_MAX_ATTEMPTS). */
      maxAttempts: env.int(3, 1),
      /** The sweeper: how often it runs, how old an execution must be before it is looked at,
       * and the age at which a queued or running execution is failed whatever its state. */
      sweepIntervalMs: env.int(30_000, 100),
      sweepGraceMs: env.int(60_000, 0),
      sweepMaxAgeMs: env.int(2 * 3600 * 1000, 1000),
      /** Largest file of a project, and most files in one project. */
      maxFileBytes: env.int(1024 * 1024, 1),
      maxFilesPerProject: env.int(200, 1),
      /** File content one project answer (GET /projects/{id}) carries in all; files past it are
       * listed with `content: null, contentOmitted: true` (read each on its own route). */
      projectInlineContentBytes: env.int(1024 * 1024, 0),
      /** Comments one project holds (deleted ones count), and replies (at any depth) under one
       * top-level comment; past either, a new comment is a 409. */
      maxCommentsPerProject: env.int(10_000, 1),
      maxRepliesPerComment: env.int(200, 1),
      /** Stored test sets one user may hold (each at most the inline tests' 1 MiB); past it, 409. */
      maxTestSetsPerUser: env.int(100, 1),
      /** Replies one page of `GET /projects/{id}/comments` carries in all (keep it at least
       * maxRepliesPerComment, so a page of one thread is always whole). */
      commentListMaxReplies: env.int(1000, 1),
      /** A deleted project (files, comments, stars) is purged this long after its deletion;
       * until then its files' bytes count against the owner's storage quota. */
      deletedProjectRetentionSeconds: env.int(24 * 3600, 0),
      projectPurgeIntervalMs: env.int(60_000, 100),
      /** Files one project run may send in all (`POST /projects/{id}/run`), as a body would. */
      projectRunMaxBytes: env.int(2 * 1024 * 1024, 1024),
      /** Object storage (artifacts, large outputs, archives): an S3-compatible endpoint, or,
       * unset, the embedded filesystem store under `storageDir` (one machine only). */
      storageEndpoint: env.optionalString(),
      storageBucket: env.string('muscode'),
      storageRegion: env.string('us-east-1'),
      storageAccessKey: env.optionalString(),
      /** Never logged; required with an endpoint. */
      storageSecretKey: env.optionalString(),
      /** Path-style URLs (MinIO, Ceph RGW, the local stack); false = virtual-hosted (AWS, R2). */
      storageForcePathStyle: env.bool(true),
      /** Prepended to every object key, so deployments can share one bucket. */
      storagePrefix: z
        .string()
        .regex(/^([A-Za-z0-9._-]+\/)*$/)
        .default(''),
      storageDir: env.string('.state/objects'),
      /** How long an execution's objects (artifacts, large outputs) are kept, and how often the
       * sweep that removes older ones runs. */
      storageRetentionHours: env.int(7 * 24, 1),
      storageSweepIntervalMs: env.int(10 * 60 * 1000, 1000),
      /** A result's stdout or stderr longer than this is kept in the object store, not the row. */
      storageOutputInlineBytes: env.int(1024 * 1024, 0),
      /** Raises the largest `outputLimit` a submission may ask for (bytes per stream) above the
       * manifest's; a result with that much output also needs CP_RPC_READ_MAX_BYTES above twice it. */
      maxOutputBytes: env.int(0, 0),
      /** Artifacts: files a program leaves under /workspace/output, collected after every run
       * within these limits (most files, bytes of one, bytes of all); 0 files turns it off. */
      artifactsMaxCount: env.int(100, 0),
      artifactsMaxFileBytes: env.int(8 * 1024 * 1024, 1),
      artifactsMaxBytes: env.int(16 * 1024 * 1024, 1),
      /** HMAC key of token-free artifact download URLs (the same on every control-plane; unset:
       * none are made), and how long one is valid. Never logged. */
      artifactUrlSecret: env.optionalString(),
      artifactUrlTtlSeconds: env.int(300, 10),
      /** `POST /projects/import`: largest zip body, most bytes its files may expand to, and the
       * largest expanded : compressed ratio of one entry (zip bombs), checked before inflating. */
      archiveMaxBytes: env.int(8 * 1024 * 1024, 1024),
      archiveMaxTotalBytes: env.int(32 * 1024 * 1024, 1024),
      archiveMaxRatio: env.int(100, 1),
      manifestPath: env.optionalString(),
      logLevel: env.logLevel(),
    },
    source,
  );
}

export type Config = ReturnType<typeof loadConfig>;
