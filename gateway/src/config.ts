import { env, loadEnvConfig } from '@muscode/common';

/** Every setting of a gateway, read once in main.ts from GATEWAY_* variables. */
export function loadConfig(source: NodeJS.ProcessEnv) {
  return loadEnvConfig(
    'GATEWAY_',
    {
      host: env.string('0.0.0.0'),
      port: env.port(8080),
      /** REST base of the control-plane that /api/v1 is forwarded to. */
      controlPlaneUrl: env.string('http://127.0.0.1:8081'),
      /** Largest request body forwarded, in bytes. */
      bodyLimitBytes: env.int(2 * 1024 * 1024, 1024),
      /** A body past the cap is still read and dropped up to this many bytes (or for this long),
       * so a client that sends its whole body before reading gets the 413, not a reset. */
      bodyDiscardBytes: env.int(64 * 1024 * 1024, 0),
      bodyDiscardMs: env.int(10_000, 0),
      /** Largest request head (all header names and values), in bytes; more gets 431. uWS itself
       * resets a connection whose head passes its own buffer (~60 KB) and ignores more than 49
       * headers: put nginx in front (deploy/nginx/muscode.conf) for a clean 431/400 there. */
      maxHeaderBytes: env.int(16 * 1024, 1024),
      /**
       * Time allowed for the control-plane to answer a forwarded request. Must be longer than the
       * longest `POST /execute?wait=true`: run 30 s + compile 60 s + CP_EXECUTE_WAIT_MARGIN_SECONDS.
       */
      upstreamTimeoutMs: env.int(135_000, 100),
      /** Retry-After of the 503 answered while the control-plane cannot be reached. */
      upstreamRetryAfterSeconds: env.int(5, 1),
      /**
       * Proxies in front of the gateway (IPs and CIDRs, comma separated; unset: none). Only from
       * these is X-Forwarded-For believed: the client is the right-most hop that is not one of them.
       */
      trustedProxies: env.optionalString(),
      /** Redis holding the execution event streams (the same one the control-plane writes). */
      redisUrl: env.string('redis://127.0.0.1:6379'),
      redisPrefix: env.string('muscode:'),
      /** Issuer the control-plane puts in access tokens. */
      jwtIssuer: env.string('muscode'),
      /** How long the control-plane's JWKS is cached before it is fetched again. */
      jwksCacheSeconds: env.int(600, 1),
      /** A WebSocket client whose unsent data passes this many bytes is disconnected (4008). */
      wsMaxBufferedBytes: env.int(1024 * 1024, 1024),
      /** Largest message a WebSocket client may send, in bytes. */
      wsMaxMessageBytes: env.int(1024 * 1024, 1024),
      /** Seconds without traffic before a WebSocket is closed; uWS pings idle clients before that. */
      wsIdleTimeoutSeconds: env.int(60, 8),
      /** Messages a WebSocket client may send per second (a burst of twice this is allowed). */
      wsMessagesPerSecond: env.int(100, 1),
      /**
       * A followed execution without events for this long is looked up once: if it became final
       * without a result event (e.g. failed by a sweeper), its result is sent.
       */
      wsStaleFollowMs: env.int(15_000, 100),
      /** Executions one WebSocket may follow at once. */
      wsMaxSubscriptions: env.int(32, 1),
      /** WebSocket connections one user may hold open on one gateway; more are closed with 4029. */
      wsMaxSocketsPerUser: env.int(8, 1),
      /** Piston's /api/v2/connect: a socket that sends no `init` this long is closed (4001), as Piston does after 1 s. */
      pistonInitTimeoutMs: env.int(1000, 100),
      /** Longest time one XREAD of the fan-out loop blocks. */
      fanoutBlockMs: env.int(5000, 10),
      /** Stream entries read per stream and call by the fan-out loop. */
      fanoutBatch: env.int(256, 1),
      /** Length and lifetime of control streams written for stdin and cancel (as the control-plane's). */
      controlMaxLen: env.int(10000, 100),
      controlTtlSeconds: env.int(3600, 10),
      /** On shutdown, time given to running subscriptions to finish before sockets are closed. */
      shutdownDrainMs: env.int(10_000, 0),
      /** Prometheus /metrics on a port of its own; 0 picks a free one (logged). */
      metricsHost: env.string('127.0.0.1'),
      metricsPort: env.port(0),
      logLevel: env.logLevel(),
    },
    source,
  );
}

export type Config = ReturnType<typeof loadConfig>;
