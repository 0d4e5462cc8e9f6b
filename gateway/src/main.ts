import { createLogger, onShutdown } from '@muscode/common';
import { loadConfig } from './config.js';
import { createProxy } from './http/proxy.js';
import { uws, uwsImplementation } from './uws.js';

const config = loadConfig(process.env);
const log = createLogger('gateway', config.logLevel);
const implementation = uwsImplementation();
if (implementation === 'native') log.info('uWebSockets.js native binary loaded');
else log.warn('uWebSockets.js native binary did NOT load; running the slower Node.js fallback');

const proxy = createProxy({
  upstream: config.controlPlaneUrl.replace(/\/$/, ''),
  bodyLimitBytes: config.bodyLimitBytes,
  timeoutMs: config.upstreamTimeoutMs,
  log,
});

const app = uws
  .App()
  .any('/api/v1/*', proxy)
  .get('/healthz', (res) => {
    res
      .writeHeader('content-type', 'application/json')
      .end(JSON.stringify({ status: 'ok', uws: implementation }));
  })
  .any('/*', (res) => {
    res
      .writeStatus('404 Not Found')
      .writeHeader('content-type', 'application/json')
      .end(
        JSON.stringify({ success: false, error: { code: 'route_not_found', message: 'No such endpoint.' } }),
      );
  });

let listenSocket: uws.us_listen_socket | false = false;
app.listen(config.host, config.port, (socket) => {
  listenSocket = socket;
  if (!socket) {
    log.fatal({ port: config.port }, 'could not listen');
    process.exit(1);
  }
  log.info({ url: `http://${config.host}:${config.port}`, uws: implementation }, 'gateway listening');
});

onShutdown(log, async () => {
  if (listenSocket) uws.us_listen_socket_close(listenSocket);
  listenSocket = false;
});
