import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@muscode/common';
import { ExecutionService } from '@muscode/proto/execution/v1';
import { RunnerService } from '@muscode/proto/runner/v1';
import { errors } from '../errors.js';
import { bearer } from './errors.js';
import type { executionRpc } from './execution-service.js';
import type { runnerRpc } from './runner-service.js';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * An UNAUTHENTICATED answer in the caller's protocol, sent without reading the request body:
 * gRPC and gRPC-Web as a trailers-only response, Connect streaming as an end-stream message,
 * Connect unary (and anything else) as HTTP 401 with the Connect error JSON.
 */
function refuseUnauthenticated(
  req: http2.Http2ServerRequest,
  res: http2.Http2ServerResponse,
  message: string,
): void {
  // The body is let through unread (not buffered), so the client sees the answer rather
  // than a reset stream.
  req.resume();
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/grpc')) {
    // Trailers-only: one HEADERS frame that ends the stream (clients read grpc-status there).
    res.stream.respond(
      {
        ':status': 200,
        'content-type': type,
        'grpc-status': '16',
        'grpc-message': encodeURIComponent(message),
      },
      { endStream: true },
    );
  } else if (type.startsWith('application/connect+')) {
    const json = Buffer.from(JSON.stringify({ error: { code: 'unauthenticated', message } }));
    const frame = Buffer.alloc(5 + json.length);
    frame.writeUInt8(0x02, 0);
    frame.writeUInt32BE(json.length, 1);
    json.copy(frame, 5);
    res.writeHead(200, { 'content-type': type });
    res.end(frame);
  } else {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'unauthenticated', message }));
  }
}

/**
 * The HTTP/2 cleartext server of the Connect/gRPC services: gRPC, gRPC-Web and Connect clients
 * all work against it. Runner agents authenticate with the shared runner token.
 */
export function createRpcServer(deps: {
  runnerToken: string;
  runner: ReturnType<typeof runnerRpc>;
  execution: ReturnType<typeof executionRpc>;
  log: Logger;
  /** Largest request message read (Connect's own default is 4 GiB). */
  readMaxBytes: number;
  /** Whether an ExecutionService bearer token is valid (asked before the body is read). */
  checkCredentials: (token: string) => Promise<boolean>;
}): http2.Http2Server {
  const requireRunner = (ctx: HandlerContext) => {
    const token = bearer(ctx.requestHeader);
    if (!token || !sameSecret(token, deps.runnerToken)) {
      throw errors.unauthorized('runner token required');
    }
  };
  const routes = (router: ConnectRouter) => {
    router.service(RunnerService, {
      report: (reqs, ctx) => {
        requireRunner(ctx);
        return deps.runner.report(reqs, ctx);
      },
      heartbeat: (req, ctx) => {
        requireRunner(ctx);
        return deps.runner.heartbeat(req, ctx);
      },
    });
    router.service(ExecutionService, deps.execution);
  };
  const adapter = connectNodeAdapter({ routes, readMaxBytes: deps.readMaxBytes });
  const runnerPath = `/${RunnerService.typeName}/`;
  const executionPath = `/${ExecutionService.typeName}/`;
  // Who may call is decided from the headers before any of the body is read: a caller without
  // credentials costs no read of its message (the handlers authenticate fully afterwards).
  const server = http2.createServer((req, res) => {
    const url = req.url ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (url.startsWith(runnerPath) && (!token || !sameSecret(token, deps.runnerToken))) {
      refuseUnauthenticated(req, res, 'runner token required');
      return;
    }
    if (url.startsWith(executionPath)) {
      if (!token) {
        refuseUnauthenticated(req, res, 'Send `authorization: Bearer <API key or access token>`.');
        return;
      }
      // Until this answers, the body waits in the stream's flow-control window (not read).
      deps.checkCredentials(token).then(
        (ok) => {
          if (ok) void adapter(req, res);
          else refuseUnauthenticated(req, res, 'The API key or access token is invalid, expired or revoked.');
        },
        () => void adapter(req, res),
      );
      return;
    }
    void adapter(req, res);
  });
  server.on('sessionError', (err) => deps.log.warn({ err: err.message }, 'http2 session error'));
  // Small frames go out at once (as gRPC servers do): with Nagle's algorithm a small frame can
  // wait for the peer's ACK of the last one.
  server.on('connection', (socket: Socket) => socket.setNoDelay(true));
  return server;
}
