import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { clientAddress, type Logger, type TrustedProxies } from '@muscode/common';
import { createHttpClient, type HttpClient } from './client.js';
import { answerHeaders, checkRequest, securityHeaders, type EdgeRefusal } from './edge.js';

// Hop-by-hop headers are the connection's, not the message's (RFC 9110 §7.6.1).
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);
// Said by uWS itself on every answer; the control-plane's own are not passed on either.
const dropFromUpstream = new Set([...hopByHop, 'x-powered-by', 'server']);

export function envelope(code: string, message: string): string {
  return JSON.stringify({ success: false, error: { code, message } });
}

const json: [string, string][] = [['content-type', 'application/json'], ...securityHeaders];

/** Writes a whole response unless the client has gone; `close` ends the connection after it. */
function send(
  res: HttpResponse,
  state: { aborted: boolean; sent: boolean },
  status: string,
  headers: readonly [string, string][],
  body: string | Uint8Array,
  close = false,
): void {
  if (state.aborted || state.sent) return;
  state.sent = true;
  res.cork(() => {
    res.writeStatus(status);
    for (const [k, v] of headers) res.writeHeader(k, v);
    res.end(body, close);
  });
}

/** Answers a request refused at the edge, in the envelope. */
export function refuse(res: HttpResponse, r: EdgeRefusal, state = { aborted: false, sent: false }): void {
  send(res, state, r.status, [...json, ...(r.headers ?? [])], envelope(r.code, r.message), r.close);
}

export interface ProxyOptions {
  upstream: string;
  bodyLimitBytes: number;
  /** A body past the cap is still read (and dropped) up to this many bytes, so the client reads the 413. */
  bodyDiscardBytes: number;
  /** ... for at most this long. */
  bodyDiscardMs: number;
  maxHeaderBytes: number;
  timeoutMs: number;
  retryAfterSeconds: number;
  trustedProxies: TrustedProxies;
  log: Logger;
  client?: HttpClient;
}

/** Why a call to the control-plane failed, as the client should hear it. */
function upstreamFailure(timedOut: boolean, retryAfter: number): EdgeRefusal {
  if (timedOut)
    return {
      status: '504 Gateway Timeout',
      code: 'gateway_timeout',
      message: 'The API did not answer in time.',
    };
  // No answer at all: the control-plane is down or restarting; a retry soon may succeed.
  return {
    status: '503 Service Unavailable',
    code: 'unavailable',
    message: 'The API is unavailable; try again shortly.',
    headers: [['retry-after', String(retryAfter)]],
  };
}

/**
 * Forwards an /api/v1 request to the control-plane: requests uWS parsed but a proxy could read
 * differently are refused (see edge.ts), the body is read with a cap (413 past it, after reading
 * and dropping the rest up to a bound, as nginx's lingering close does, so a client that sends
 * its whole body before reading sees the 413 and not a reset), hop-by-hop headers are dropped,
 * and the client's address (see GATEWAY_TRUSTED_PROXIES) goes in X-Forwarded-For.
 */
export function createProxy(opts: ProxyOptions) {
  const client = opts.client ?? createHttpClient();
  const tooLarge: EdgeRefusal = {
    status: '413 Payload Too Large',
    code: 'payload_too_large',
    message: `The request body exceeds ${opts.bodyLimitBytes} bytes.`,
  };
  return (res: HttpResponse, req: HttpRequest): void => {
    const state = { aborted: false, sent: false };
    const controller = new AbortController();
    res.onAborted(() => {
      state.aborted = true;
      controller.abort();
    });
    const refusal = checkRequest(req, { maxHeaderBytes: opts.maxHeaderBytes });
    if (refusal) {
      refuse(res, refusal, state);
      return;
    }
    // uWS request objects live only until this function returns: copy what we need now.
    const method = req.getMethod().toUpperCase();
    const path = req.getUrl();
    const query = req.getQuery();
    const url = `${opts.upstream}${path}${query ? `?${query}` : ''}`;
    const headers: [string, string][] = [];
    const forwardedFor: string[] = [];
    req.forEach((k, v) => {
      if (k === 'x-forwarded-for') forwardedFor.push(v);
      else if (!hopByHop.has(k)) headers.push([k, v]);
    });
    const peer = Buffer.from(res.getRemoteAddressAsText()).toString();
    headers.push(['x-forwarded-for', clientAddress(peer, forwardedFor, opts.trustedProxies)]);
    const sentToken = req.getHeader('authorization') !== '';
    const declared = Number(req.getHeader('content-length') || '0');
    const expectsContinue = req.getHeader('expect').toLowerCase() === '100-continue';

    // A client waiting for 100 Continue has not sent its body: answer now and close.
    if (declared > opts.bodyLimitBytes && expectsContinue) {
      refuse(res, { ...tooLarge, close: true }, state);
      return;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    let discarding = declared > opts.bodyLimitBytes;
    let discardTimer: NodeJS.Timeout | undefined;
    const startDiscarding = () => {
      discarding = true;
      chunks.length = 0;
      // A client trickling its body slowly still gets its answer, and the connection is closed.
      discardTimer = setTimeout(() => refuse(res, { ...tooLarge, close: true }, state), opts.bodyDiscardMs);
      discardTimer.unref();
    };
    if (discarding) startDiscarding();
    res.onData((chunk, isLast) => {
      if (state.sent) return;
      size += chunk.byteLength;
      if (!discarding && size > opts.bodyLimitBytes) startDiscarding();
      if (discarding) {
        if (isLast || size > opts.bodyDiscardBytes) {
          clearTimeout(discardTimer);
          // The whole body was read: the connection can be kept; past the bound it is closed.
          refuse(res, { ...tooLarge, close: !isLast }, state);
        }
        return;
      }
      // uWS reuses the chunk's memory after this callback: copy it.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!isLast) return;
      const body = method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, opts.timeoutMs);
      client
        .request(url, { method, headers, body, signal: controller.signal })
        .then((upstream) => {
          const out = upstream.headers.filter(([k]) => !dropFromUpstream.has(k));
          out.push(...answerHeaders(path, upstream.status, out, sentToken));
          send(res, state, `${upstream.status} ${upstream.statusText}`, out, upstream.body);
        })
        .catch((err: unknown) => {
          if (state.aborted) return;
          opts.log.warn({ err: (err as Error).message, method, timedOut }, 'control-plane unreachable');
          refuse(res, upstreamFailure(timedOut, opts.retryAfterSeconds), state);
        })
        .finally(() => clearTimeout(timer));
    });
  };
}
