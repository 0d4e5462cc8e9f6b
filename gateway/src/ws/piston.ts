import { constants } from 'node:os';
import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t, WebSocket } from 'uWebSockets.js';
import type { TrustedProxies } from '@muscode/common';
import { requestClientAddress } from '../http/edge.js';
import type { HttpClient } from '../http/client.js';
import { createUpstreamCall, type Upstream } from '../upstream.js';
import { control } from './control.js';
import { closeCodes } from './protocol.js';
import { closeSockets, createTokenBucket, endSession, type Session, type WsContext } from './session.js';
import { follow } from './subscribe.js';

/**
 * Piston v2's close codes and reasons, as engineer-man/piston sends them (api/src/api/v2.js,
 * router.ws('/connect'), at 0a844d0a3c040dfe3adf1e9d903b9ad4e5ede155).
 */
export const pistonClose = {
  alreadyInitialized: [4000, 'Already Initialized'],
  initializationTimeout: [4001, 'Initialization Timeout'],
  notifiedError: [4002, 'Notified Error'],
  notYetInitialized: [4003, 'Not yet initialized'],
  canOnlyWriteToStdin: [4004, 'Can only write to stdin'],
  invalidSignal: [4005, 'Invalid signal'],
  jobCompleted: [4999, 'Job Completed'],
} as const;

/** Signal names Piston takes in a `signal` message (its globals.SIGNALS: the Linux names). */
const signalNames = new Set(Object.keys(constants.signals));

/** Verdicts whose program MUSCode killed, which Piston reports as SIGKILL with no exit code. */
const killed = new Set(['timeout', 'cpu_limit', 'output_limit', 'memory_limit', 'cancelled']);

interface PistonData {
  credential: string;
  ip: string;
  session?: PistonSession;
}

/**
 * The control-plane's Piston endpoints behind the socket (control-plane/src/modules/piston):
 * start an interactive execution, read it, kill it, with the client's API key. Shaped as the
 * gateway's Upstream so the follow and stdin code of /api/v1/ws serve these sockets too.
 */
export function createPistonUpstream(opts: { baseUrl: string; timeoutMs: number; client: HttpClient }) {
  const call = createUpstreamCall(opts, {
    prefix: '/piston/api/v2/interactive',
    authorization: (caller) => caller.token,
    answer: (status, json) =>
      status >= 400
        ? { status, error: { code: 'piston', message: String(json?.message ?? 'refused') } }
        : { status, data: json },
  });
  const upstream: Upstream = {
    getExecution: (caller, executionId) => call('GET', `/${encodeURIComponent(executionId)}`, caller),
    submit: (caller, body) => call('POST', '', caller, body),
    cancel: (caller, executionId) => call('POST', `/${encodeURIComponent(executionId)}/kill`, caller, {}),
  };
  return upstream;
}

/** The key from `/piston/<key>/api/v2/connect`, else the `Authorization` header (Bearer or bare). */
function credentialOf(req: HttpRequest, fromPath: boolean): string {
  if (fromPath) return decodeURIComponent(req.getParameter(0) ?? '');
  return req.getHeader('authorization');
}

/**
 * One Piston socket: MUSCode's execution events (what follow() sends a /api/v1/ws session) are
 * written as Piston's `data`, `stage` and `exit` messages; any error is Piston's `error`
 * message followed by close 4002.
 */
export function createPistonSession(ws: WebSocket<PistonData>, data: PistonData, ctx: WsContext) {
  let compileOpen = false;
  let compileStreamed = false;
  const raw = (m: Record<string, unknown>) => {
    if (s.closed) return;
    ws.send(JSON.stringify(m), false);
    if (ws.getBufferedAmount() > ctx.maxBufferedBytes)
      s.close(closeCodes.slowConsumer, 'slow consumer: too much unread data');
  };
  const endCompile = (code: number) => {
    if (!compileOpen) return;
    compileOpen = false;
    raw({ type: 'exit', stage: 'compile', code, signal: null });
    raw({ type: 'stage', stage: 'run' });
  };
  const fail = (message: string) => {
    raw({ type: 'error', message });
    s.close(...pistonClose.notifiedError);
  };
  const s: Session & {
    executionId?: string;
    finished: boolean;
    /** Whether `init` came, and stdin sent before the execution had started. */
    state: { initialized: boolean; pending: string[] };
    rawSend(m: Record<string, unknown>): void;
    startStages(compiled: boolean): void;
    fail(message: string): void;
  } = {
    caller: { userId: '', expiresAt: Number.MAX_SAFE_INTEGER },
    token: data.credential,
    ip: data.ip,
    subs: new Map(),
    owned: new Set(),
    cleanup: [],
    closed: false,
    finished: false,
    state: { initialized: false, pending: [] },
    rawSend: (m) => raw(m),
    admit: createTokenBucket(ctx.messagesPerSecond, ctx.messagesPerSecond * 2),
    startStages(compiled) {
      compileOpen = compiled;
      raw({ type: 'stage', stage: compiled ? 'compile' : 'run' });
    },
    fail,
    send(m) {
      switch (m['type']) {
        case 'output': {
          const text =
            m['encoding'] === 'base64'
              ? Buffer.from(String(m['data']), 'base64').toString('utf8')
              : String(m['data']);
          // Piston streams the compiler's output during the compile stage; MUSCode's is one stream.
          if (m['stream'] === 'compile') {
            compileStreamed = true;
            return raw({ type: 'data', stream: 'stderr', data: text });
          }
          endCompile(0);
          return raw({ type: 'data', stream: m['stream'], data: text });
        }
        case 'result': {
          s.finished = true;
          const status = String(m['status']);
          if (compileOpen && status === 'compile_error') {
            const output = m['compilationError'];
            if (!compileStreamed && typeof output === 'string' && output !== '') {
              raw({ type: 'data', stream: 'stderr', data: output });
            }
            compileOpen = false;
            raw({
              type: 'exit',
              stage: 'compile',
              code: typeof m['exitCode'] === 'number' && m['exitCode'] !== 0 ? m['exitCode'] : 1,
              signal: null,
            });
            return s.close(...pistonClose.jobCompleted);
          }
          endCompile(0);
          const signal =
            typeof m['signalName'] === 'string' ? m['signalName'] : killed.has(status) ? 'SIGKILL' : null;
          raw({ type: 'exit', stage: 'run', code: signal ? null : (m['exitCode'] ?? null), signal });
          return s.close(...pistonClose.jobCompleted);
        }
        case 'error':
          return fail(String(m['message']));
        default:
          // `status` (queued, running): Piston has no such message.
          return;
      }
    },
    error(_code, message) {
      fail(message);
    },
    relay(apiError, [, message]) {
      fail(apiError?.message ?? message);
    },
    close(code, reason) {
      if (s.closed) return;
      s.closed = true;
      ws.end(code, reason);
    },
  };
  return s;
}

type PistonSession = ReturnType<typeof createPistonSession>;

/** Piston's `init` → a MUSCode interactive execution, then its stages as Piston reports them. */
async function init(ctx: WsContext, s: PistonSession, m: Record<string, unknown>): Promise<void> {
  // The init message is Piston's execute body with a `type` (which the control-plane ignores).
  const r = await ctx.upstream.submit(s, m);
  if (r.status !== 201 && r.status !== 200)
    return s.fail(r.error?.message ?? 'The execution could not start.');
  const started = r.data as {
    executionId: string;
    language: string;
    version: string | null;
    compiled: boolean;
  };
  s.executionId = started.executionId;
  s.owned.add(started.executionId);
  // The socket went while the execution was starting: nobody will read or end it.
  if (s.closed) {
    void ctx.upstream.cancel(s, started.executionId);
    return;
  }
  // The runtime and first stage, then the execution's events as data/stage/exit messages.
  s.rawSend({ type: 'runtime', language: started.language, version: started.version });
  s.startStages(started.compiled);
  follow(ctx, s, started.executionId, 0);
  for (const data of s.state.pending.splice(0)) {
    await control(ctx, s, started.executionId, {
      type: 'stdin',
      data: Buffer.from(data, 'utf8').toString('base64'),
    });
  }
}

/** One client message, with Piston's answers to wrong ones. */
async function onMessage(ctx: WsContext, s: PistonSession, text: string): Promise<void> {
  const { state } = s;
  let m: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('messages must be JSON objects');
    m = parsed as Record<string, unknown>;
  } catch (err) {
    return s.fail((err as Error).message);
  }
  switch (m['type']) {
    case 'init':
      if (state.initialized) return s.close(...pistonClose.alreadyInitialized);
      state.initialized = true;
      return init(ctx, s, m);
    case 'data':
      if (!state.initialized) return s.close(...pistonClose.notYetInitialized);
      if (m['stream'] !== 'stdin') return s.close(...pistonClose.canOnlyWriteToStdin);
      if (typeof m['data'] !== 'string') return s.fail('data must be a string');
      if (!s.executionId) {
        state.pending.push(m['data']);
        return;
      }
      return control(ctx, s, s.executionId, {
        type: 'stdin',
        data: Buffer.from(m['data'], 'utf8').toString('base64'),
      });
    case 'signal':
      if (!state.initialized) return s.close(...pistonClose.notYetInitialized);
      if (typeof m['signal'] !== 'string' || !signalNames.has(m['signal']))
        return s.close(...pistonClose.invalidSignal);
      // MUSCode kills the program (cancel); the exit message reports it.
      if (s.executionId) return control(ctx, s, s.executionId, { type: 'cancel' });
      return;
    default:
      // Piston ignores messages of other types.
      return;
  }
}

/**
 * Piston v2's interactive WebSocket, `/piston/api/v2/connect` and `/piston/<key>/api/v2/connect`:
 * `init`, `data` (stdin) and `signal` from the client; `runtime`, `stage`, `data`, `exit` and
 * `error` from the server, with Piston's close codes. The execution is an interactive MUSCode
 * execution started through the control-plane with the client's API key.
 */
export function mountPistonWebSocket(
  app: TemplatedApp,
  ctx: WsContext,
  opts: {
    maxMessageBytes: number;
    idleTimeoutSeconds: number;
    trustedProxies: TrustedProxies;
    initTimeoutMs: number;
  },
) {
  const sockets = new Set<WebSocket<PistonData>>();
  const behavior = (fromPath: boolean) => ({
    maxPayloadLength: opts.maxMessageBytes,
    idleTimeout: opts.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    maxBackpressure: ctx.maxBufferedBytes * 4 + opts.maxMessageBytes,
    upgrade: (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => {
      const ip = requestClientAddress(res, req, opts.trustedProxies);
      res.upgrade<PistonData>(
        { credential: credentialOf(req, fromPath), ip },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws: WebSocket<PistonData>) => {
      if (ctx.draining()) return ws.end(closeCodes.goingAway, 'shutting down');
      sockets.add(ws);
      const data = ws.getUserData();
      const s = createPistonSession(ws, data, ctx);
      data.session = s;
      const timer = setTimeout(() => {
        if (!s.state.initialized) s.close(...pistonClose.initializationTimeout);
      }, opts.initTimeoutMs);
      s.cleanup.push(() => clearTimeout(timer));
    },
    message: (ws: WebSocket<PistonData>, message: ArrayBuffer) => {
      const s = ws.getUserData().session;
      if (!s) return;
      if (!s.admit()) return s.fail('Too many messages; slow down.');
      onMessage(ctx, s, Buffer.from(message).toString('utf8')).catch((err: unknown) => {
        ctx.log.error({ err }, 'piston websocket message failed');
        s.fail('Something went wrong on our side.');
      });
    },
    close: (ws: WebSocket<PistonData>) => {
      sockets.delete(ws);
      const s = ws.getUserData().session;
      if (!s) return;
      endSession(s);
      // A socket that goes before its program ends takes the program with it.
      if (s.executionId && !s.finished) void ctx.upstream.cancel(s, s.executionId);
    },
  });
  app.ws<PistonData>('/piston/api/v2/connect', behavior(false));
  app.ws<PistonData>('/piston/:key/api/v2/connect', behavior(true));
  return {
    connections: () => sockets.size,
    closeAll(code: number, reason: string): void {
      closeSockets(sockets, code, reason);
    },
  };
}
