import type { WebSocket } from 'uWebSockets.js';
import type { ControlWriter, Logger } from '@muscode/common';
import type { Caller } from '../auth.js';
import type { Fanout } from '../fanout.js';
import type { Upstream } from '../upstream.js';
import { closeCodes } from './protocol.js';
import type { WsErrorCode } from './error-codes.js';

/** What every message handler may use. */
export interface WsContext {
  fanout: Fanout;
  upstream: Upstream;
  /** Writes stdin, stdin_close and cancel to executions' control streams. */
  control: ControlWriter;
  maxSubscriptions: number;
  maxBufferedBytes: number;
  messagesPerSecond: number;
  /** See GATEWAY_WS_STALE_FOLLOW_MS. */
  staleFollowMs: number;
  /** True once the gateway is shutting down: no new executions or subscriptions. */
  draining: () => boolean;
  log: Logger;
}

/** One authenticated WebSocket connection. */
export interface Session {
  readonly caller: Caller;
  readonly token: string;
  /** The client's address, forwarded to the control-plane. */
  readonly ip: string;
  /** Followed executions and the function that stops following each. */
  readonly subs: Map<string, () => void>;
  /** Executions the control-plane confirmed belong to this caller. */
  readonly owned: Set<string>;
  /** Run once when the connection ends. */
  readonly cleanup: (() => void)[];
  closed: boolean;
  /** Takes one message from the connection's rate budget; false when it is spent. */
  admit(): boolean;
  send(message: Record<string, unknown>): void;
  error(code: WsErrorCode, message: string, extra?: Record<string, unknown>): void;
  /** An error the API answered, with its own code and message (or the fallback's). */
  relay(
    apiError: { code?: string; message?: string } | undefined,
    fallback: [WsErrorCode, string],
    extra?: Record<string, unknown>,
  ): void;
  close(code: number, reason: string): void;
}

export interface UserData {
  caller?: Caller;
  token: string;
  ip: string;
  authError?: { code: number; reason: string };
  session?: Session;
  /** Counted against the user's open connections. */
  counted?: boolean;
}

export function createSession(
  ws: WebSocket<UserData>,
  data: { caller: Caller; token: string; ip: string },
  ctx: WsContext,
): Session {
  const { caller } = data;
  const s: Session = {
    caller,
    token: data.token,
    ip: data.ip,
    subs: new Map(),
    owned: new Set(),
    cleanup: [],
    closed: false,
    admit: createTokenBucket(ctx.messagesPerSecond, ctx.messagesPerSecond * 2),
    send(message) {
      if (s.closed) return;
      ws.send(JSON.stringify(message), false);
      // The bound on what one client may hold in the gateway's memory.
      if (ws.getBufferedAmount() > ctx.maxBufferedBytes) {
        ctx.log.info(
          { userId: caller.userId, buffered: ws.getBufferedAmount() },
          'slow consumer disconnected',
        );
        s.close(closeCodes.slowConsumer, 'slow consumer: too much unread data');
      }
    },
    error(code, message, extra = {}) {
      s.send({ type: 'error', code, message, ...extra });
    },
    relay(apiError, [code, message], extra = {}) {
      s.send({
        type: 'error',
        code: apiError?.code ?? code,
        message: apiError?.message ?? message,
        ...extra,
      });
    },
    close(code, reason) {
      if (s.closed) return;
      s.closed = true;
      ws.end(code, reason);
    },
  };
  return s;
}

/** Stops everything a closed connection was following. */
export function endSession(s: Session): void {
  s.closed = true;
  for (const stop of s.subs.values()) stop();
  s.subs.clear();
  for (const fn of s.cleanup.splice(0)) fn();
}

/** A token bucket: `rate` tokens a second, at most `burst` saved up. */
export function createTokenBucket(rate: number, burst: number, now: () => number = Date.now): () => boolean {
  let tokens = burst;
  let last = now();
  return () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * rate);
    last = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/**
 * Closes every socket of a set with `code`: through its session where it has one (so the
 * session's state ends too), else directly (a socket still before its first message).
 */
export function closeSockets(
  sockets: Set<WebSocket<{ session?: Session }>>,
  code: number,
  reason: string,
): void {
  for (const ws of [...sockets]) {
    const s = ws.getUserData().session;
    if (s) s.close(code, reason);
    else ws.end(code, reason);
  }
}
