import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@muscode/common';
import { ExecutionService } from '@muscode/proto/execution/v1';
import { RunnerService } from '@muscode/proto/runner/v1';
import { bearer } from './errors.js';
import type { executionRpc } from './execution-service.js';
import type { heartbeat } from './heartbeat.js';
import type { report } from './report.js';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The HTTP/2 cleartext server of the Connect/gRPC services: gRPC, gRPC-Web and Connect clients
 * all work against it. Runner agents authenticate with the shared runner token.
 */
export function createRpcServer(deps: {
  runnerToken: string;
  report: ReturnType<typeof report>;
  heartbeat: ReturnType<typeof heartbeat>;
  execution: ReturnType<typeof executionRpc>;
  log: Logger;
}): http2.Http2Server {
  const requireRunner = (ctx: HandlerContext) => {
    const token = bearer(ctx.requestHeader);
    if (!token || !sameSecret(token, deps.runnerToken)) {
      throw new ConnectError('runner token required', Code.Unauthenticated);
    }
  };
  const routes = (router: ConnectRouter) => {
    router.service(RunnerService, {
      report: (reqs, ctx) => {
        requireRunner(ctx);
        return deps.report(reqs, ctx);
      },
      heartbeat: (req, ctx) => {
        requireRunner(ctx);
        return deps.heartbeat(req, ctx);
      },
    });
    router.service(ExecutionService, deps.execution);
  };
  const server = http2.createServer(connectNodeAdapter({ routes }));
  server.on('sessionError', (err) => deps.log.warn({ err: err.message }, 'http2 session error'));
  // Small frames go out at once (as gRPC servers do): with Nagle's algorithm a small frame can
  // wait for the peer's ACK of the last one.
  server.on('connection', (socket: Socket) => socket.setNoDelay(true));
  return server;
}
