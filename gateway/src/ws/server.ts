import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocket } from 'uWebSockets.js';
import type { TrustedProxies } from '@muscode/common';
import { requestClientAddress } from '../http/edge.js';
import { AuthError, type TokenVerifier } from '../auth.js';
import { control } from './control.js';
import { execute } from './execute.js';
import { clientMessage, closeCodes } from './protocol.js';
import {
  closeSockets,
  createSession,
  endSession,
  type Session,
  type UserData,
  type WsContext,
} from './session.js';
import { subscribe, unsubscribe } from './subscribe.js';

const textDecoder = new TextDecoder();

/** The access token from `?token=` or from `Sec-WebSocket-Protocol: bearer, <token>`. */
function tokenOf(req: HttpRequest): { token: string | null; protocol: string } {
  const fromQuery = new URLSearchParams(req.getQuery() ?? '').get('token');
  if (fromQuery) return { token: fromQuery, protocol: '' };
  const offered = req
    .getHeader('sec-websocket-protocol')
    .split(',')
    .map((p) => p.trim());
  const i = offered.indexOf('bearer');
  const token = i >= 0 ? offered[i + 1] : undefined;
  return token ? { token, protocol: 'bearer' } : { token: null, protocol: '' };
}

function authClose(err: unknown): { code: number; reason: string } {
  if (err instanceof AuthError) {
    if (err.reason === 'expired') return { code: closeCodes.tokenExpired, reason: 'access token expired' };
    if (err.reason === 'unavailable')
      return { code: closeCodes.tryAgainLater, reason: 'cannot verify tokens now' };
    if (err.reason === 'missing') return { code: closeCodes.unauthorized, reason: 'access token required' };
  }
  return { code: closeCodes.unauthorized, reason: 'invalid access token' };
}

async function dispatch(ctx: WsContext, s: Session, raw: string): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return s.error('invalid_message', 'Messages must be JSON objects with a "type".');
  }
  const parsed = clientMessage.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return s.error(
      'invalid_message',
      issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'Invalid message.',
    );
  }
  const m = parsed.data;
  switch (m.type) {
    case 'ping':
      return s.send({ type: 'pong' });
    case 'subscribe':
      return subscribe(ctx, s, m.executionId, m.fromSeq);
    case 'unsubscribe':
      return unsubscribe(s, m.executionId);
    case 'execute':
      return execute(ctx, s, m);
    case 'stdin':
      return control(ctx, s, m.executionId, {
        type: 'stdin',
        data: m.encoding === 'base64' ? m.data : Buffer.from(m.data, 'utf8').toString('base64'),
      });
    case 'stdin_close':
      return control(ctx, s, m.executionId, { type: 'stdin_close' });
    case 'cancel':
      return control(ctx, s, m.executionId, { type: 'cancel' });
  }
}

/**
 * GET /api/v1/ws: the WebSocket API. The token is verified during the upgrade; a bad one still
 * upgrades and is then closed with 4001/4002 and a reason, because browsers cannot read the
 * status of a refused upgrade.
 */
export function mountWebSocket(
  app: TemplatedApp,
  ctx: WsContext,
  opts: {
    verify: TokenVerifier;
    maxMessageBytes: number;
    idleTimeoutSeconds: number;
    trustedProxies: TrustedProxies;
    /** Open connections one user may hold on this gateway. */
    maxSocketsPerUser: number;
  },
) {
  const sockets = new Set<WebSocket<UserData>>();
  const perUser = new Map<string, number>();
  app.ws<UserData>('/api/v1/ws', {
    maxPayloadLength: opts.maxMessageBytes,
    idleTimeout: opts.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    // Our own bound (config) closes slow clients; uWS must not silently drop messages before it.
    maxBackpressure: ctx.maxBufferedBytes * 4 + opts.maxMessageBytes,
    upgrade: (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => {
      const key = req.getHeader('sec-websocket-key');
      const extensions = req.getHeader('sec-websocket-extensions');
      const { token, protocol } = tokenOf(req);
      const ip = requestClientAddress(res, req, opts.trustedProxies);
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      const upgrade = (data: UserData) => {
        if (aborted) return;
        res.cork(() => res.upgrade<UserData>(data, key, protocol, extensions, context));
      };
      opts.verify(token).then(
        (caller) => upgrade({ caller, token: token ?? '', ip }),
        (err: unknown) => upgrade({ token: '', ip, authError: authClose(err) }),
      );
    },
    open: (ws) => {
      const data = ws.getUserData();
      if (data.authError || !data.caller || ctx.draining()) {
        const { code, reason } = data.authError ?? { code: closeCodes.goingAway, reason: 'shutting down' };
        ws.end(code, reason);
        return;
      }
      const userId = data.caller.userId;
      const open = perUser.get(userId) ?? 0;
      if (open >= opts.maxSocketsPerUser) {
        ws.end(closeCodes.tooManyConnections, 'too many connections for this user');
        return;
      }
      perUser.set(userId, open + 1);
      data.counted = true;
      sockets.add(ws);
      const session = createSession(ws, { caller: data.caller, token: data.token, ip: data.ip }, ctx);
      data.session = session;
      // A connection lives no longer than the token it was opened with.
      const msLeft = Math.min(data.caller.expiresAt * 1000 - Date.now(), 2 ** 31 - 1);
      const timer = setTimeout(() => session.close(closeCodes.tokenExpired, 'access token expired'), msLeft);
      timer.unref();
      session.cleanup.push(() => clearTimeout(timer));
    },
    message: (ws, message) => {
      const s = ws.getUserData().session;
      if (!s) return;
      if (!s.admit()) return s.error('rate_limited', 'Too many messages; slow down.');
      const raw = textDecoder.decode(message);
      dispatch(ctx, s, raw).catch((err: unknown) => {
        ctx.log.error({ err }, 'websocket message failed');
        s.error('internal_error', 'Something went wrong on our side.');
      });
    },
    close: (ws) => {
      sockets.delete(ws);
      const data = ws.getUserData();
      if (data.counted && data.caller) {
        const left = (perUser.get(data.caller.userId) ?? 1) - 1;
        if (left > 0) perUser.set(data.caller.userId, left);
        else perUser.delete(data.caller.userId);
      }
      const s = ws.getUserData().session;
      if (s) endSession(s);
    },
  });
  return {
    connections: () => sockets.size,
    /** Closes every connection, telling clients to reconnect elsewhere. */
    closeAll(code: number, reason: string): void {
      closeSockets(sockets, code, reason);
    },
    /** Executions still being followed by this gateway's clients. */
    activeFollows: () => ctx.fanout.stats().watches,
  };
}
