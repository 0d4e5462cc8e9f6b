import { Redis } from 'ioredis';
import {
  createControlWriter,
  Gauge,
  createLogger,
  createMetricsRegistry,
  onShutdown,
  parseTrustedProxies,
  redisKeys,
  serveMetrics,
} from '@muscode/common';
import { createTokenVerifier } from './auth.js';
import { loadConfig } from './config.js';
import { createFanout } from './fanout.js';
import { createHttpClient } from './http/client.js';
import { createRequire } from 'node:module';
import { checkRequest, methodNotAllowed, readMethods } from './http/edge.js';
import { createProxy, refuse } from './http/proxy.js';
import { hasStatic, loadStaticFiles, serveStatic, staticDir } from './http/static.js';
import { createUpstream } from './upstream.js';
import { uws, uwsImplementation } from './uws.js';
import { closeCodes } from './ws/protocol.js';
import { createPistonUpstream, mountPistonWebSocket } from './ws/piston.js';
import { mountWebSocket } from './ws/server.js';

const config = loadConfig(process.env);
const log = createLogger('gateway', config.logLevel);
const implementation = uwsImplementation();
const uwsBuild = createRequire(import.meta.url)('uWebSockets.js/package.json') as {
  name: string;
  version: string;
};
if (implementation === 'native')
  log.info({ package: uwsBuild.name, version: uwsBuild.version }, 'uWebSockets.js native binary loaded');
else
  log.warn(
    { package: uwsBuild.name, version: uwsBuild.version },
    'uWebSockets.js native binary did NOT load; running the slower Node.js fallback',
  );
const trustedProxies = parseTrustedProxies(config.trustedProxies);

const upstreamBase = config.controlPlaneUrl.replace(/\/$/, '');
// One pool of kept-alive connections to the control-plane for the proxy and WebSocket calls.
const client = createHttpClient();
const proxy = createProxy({
  upstream: upstreamBase,
  bodyLimitBytes: config.bodyLimitBytes,
  bodyDiscardBytes: config.bodyDiscardBytes,
  bodyDiscardMs: config.bodyDiscardMs,
  maxHeaderBytes: config.maxHeaderBytes,
  timeoutMs: config.upstreamTimeoutMs,
  retryAfterSeconds: config.upstreamRetryAfterSeconds,
  trustedProxies,
  log,
  client,
});

const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
const fanout = createFanout({
  redis,
  prefix: config.redisPrefix,
  blockMs: config.fanoutBlockMs,
  batch: config.fanoutBatch,
  log,
});
fanout.start();
let draining = false;

const app = uws.App();
const wsContext = {
  fanout,
  upstream: createUpstream({ baseUrl: upstreamBase, timeoutMs: config.upstreamTimeoutMs, client }),
  control: createControlWriter(redis, {
    prefix: config.redisPrefix,
    maxLen: config.controlMaxLen,
    ttlSeconds: config.controlTtlSeconds,
  }),
  maxSubscriptions: config.wsMaxSubscriptions,
  maxBufferedBytes: config.wsMaxBufferedBytes,
  messagesPerSecond: config.wsMessagesPerSecond,
  staleFollowMs: config.wsStaleFollowMs,
  draining: () => draining,
  log: log.child({ component: 'ws' }),
};
const ws = mountWebSocket(app, wsContext, {
  verify: createTokenVerifier({
    jwksUrl: `${upstreamBase}/api/v1/auth/jwks`,
    issuer: config.jwtIssuer,
    cacheSeconds: config.jwksCacheSeconds,
    isRevoked: async (jti) => (await redis.exists(redisKeys(config.redisPrefix).deniedJti(jti))) === 1,
  }),
  maxMessageBytes: config.wsMaxMessageBytes,
  idleTimeoutSeconds: config.wsIdleTimeoutSeconds,
  trustedProxies,
  maxSocketsPerUser: config.wsMaxSocketsPerUser,
});

// Piston v2's interactive WebSocket: its own protocol, the control-plane's Piston endpoints behind it.
const pistonWs = mountPistonWebSocket(
  app,
  {
    ...wsContext,
    upstream: createPistonUpstream({ baseUrl: upstreamBase, timeoutMs: config.upstreamTimeoutMs, client }),
    log: log.child({ component: 'piston-ws' }),
  },
  {
    maxMessageBytes: config.wsMaxMessageBytes,
    idleTimeoutSeconds: config.wsIdleTimeoutSeconds,
    trustedProxies,
    initTimeoutMs: config.pistonInitTimeoutMs,
  },
);

const staticFiles = loadStaticFiles(staticDir(process.env));
log.info({ files: staticFiles.size }, 'static files loaded');

app
  // The WebSocket API answers GET (the upgrade) alone; uWS prefers the ws route's GET to this.
  .any('/api/v1/ws', (res, req) => {
    res.onAborted(() => undefined);
    refuse(res, methodNotAllowed(req.getMethod().toUpperCase(), ['GET']));
  })
  .any('/api/v1/*', proxy)
  // The Judge0 CE and Piston v2 compatible APIs (control-plane modules judge0/ and piston/).
  .any('/judge0/*', proxy)
  .any('/piston/*', proxy)
  .get('/healthz', (res) => {
    const memory = process.memoryUsage();
    res.writeHeader('content-type', 'application/json').end(
      JSON.stringify({
        status: draining ? 'draining' : 'ok',
        uws: implementation,
        websockets: ws.connections(),
        follows: fanout.stats(),
        memory: { rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external },
      }),
    );
  })
  .any('/*', (res, req) => {
    // Edge refusals first (methods, paths, header size), then the playground's files, then 404.
    const refusal = checkRequest(req, { maxHeaderBytes: config.maxHeaderBytes });
    if (!refusal && serveStatic(staticFiles, res, req)) return;
    res.onAborted(() => undefined);
    refuse(res, refusal ?? ownPathRefusal(req.getMethod().toUpperCase(), req.getUrl()));
  });

/** A path the edge serves itself asked with another method is a 405; anything else a 404. */
function ownPathRefusal(method: string, url: string) {
  if (url === '/healthz') return methodNotAllowed(method, ['GET']);
  if (hasStatic(staticFiles, url)) return methodNotAllowed(method, readMethods);
  return { status: '404 Not Found', code: 'route_not_found', message: 'No such endpoint.' };
}

let listenSocket: uws.us_listen_socket | false = false;
app.listen(config.host, config.port, (socket) => {
  listenSocket = socket;
  if (!socket) {
    log.fatal({ port: config.port }, 'could not listen');
    process.exit(1);
  }
  log.info({ url: `http://${config.host}:${config.port}`, uws: implementation }, 'gateway listening');
});

// Prometheus on a port of its own (never the public one).
const metrics = createMetricsRegistry('gateway');
new Gauge({
  name: 'muscode_gateway_active_follows',
  help: 'Executions whose events this gateway is streaming to WebSocket clients now.',
  registers: [metrics],
  collect() {
    this.set(ws.activeFollows());
  },
});
const metricsServer = await serveMetrics(metrics, config.metricsHost, config.metricsPort);
log.info({ metricsPort: metricsServer.port }, 'metrics listening');

onShutdown(log, async () => {
  // Stop accepting, let running executions finish streaming, then tell the rest to reconnect.
  draining = true;
  if (listenSocket) uws.us_listen_socket_close(listenSocket);
  listenSocket = false;
  const deadline = Date.now() + config.shutdownDrainMs;
  while (ws.activeFollows() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  ws.closeAll(closeCodes.goingAway, 'gateway shutting down');
  pistonWs.closeAll(closeCodes.goingAway, 'gateway shutting down');
  await fanout.stop();
  await metricsServer.close();
  client.close();
  redis.disconnect();
});
