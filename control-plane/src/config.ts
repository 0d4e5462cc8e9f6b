import { env, loadEnvConfig } from '@muscode/common';

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
      manifestPath: env.optionalString(),
      logLevel: env.logLevel(),
    },
    source,
  );
}

export type Config = ReturnType<typeof loadConfig>;
