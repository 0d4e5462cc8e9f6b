import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Logger } from '@muscode/common';
import { createHttpClient, type HttpClient } from './client.js';

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

function envelope(code: string, message: string): string {
  return JSON.stringify({ success: false, error: { code, message } });
}

/** Writes a whole response unless the client has gone. */
function send(
  res: HttpResponse,
  state: { aborted: boolean },
  status: string,
  headers: [string, string][],
  body: string | Uint8Array,
): void {
  if (state.aborted) return;
  res.cork(() => {
    res.writeStatus(status);
    for (const [k, v] of headers) res.writeHeader(k, v);
    res.end(body);
  });
}

/**
 * Forwards an /api/v1 request to the control-plane: the body is read with a cap (413 past
 * it), hop-by-hop headers are dropped, and the client's address goes in X-Forwarded-For.
 */
export function createProxy(opts: {
  upstream: string;
  bodyLimitBytes: number;
  timeoutMs: number;
  log: Logger;
  client?: HttpClient;
}) {
  const client = opts.client ?? createHttpClient();
  const json: [string, string][] = [['content-type', 'application/json']];
  return (res: HttpResponse, req: HttpRequest): void => {
    // uWS request objects live only until this function returns: copy what we need now.
    const method = req.getMethod().toUpperCase();
    const query = req.getQuery();
    const url = `${opts.upstream}${req.getUrl()}${query ? `?${query}` : ''}`;
    const headers: [string, string][] = [];
    req.forEach((k, v) => {
      if (!hopByHop.has(k) && k !== 'x-forwarded-for') headers.push([k, v]);
    });
    headers.push(['x-forwarded-for', Buffer.from(res.getRemoteAddressAsText()).toString()]);
    const declared = Number(req.getHeader('content-length') || '0');

    const state = { aborted: false };
    const controller = new AbortController();
    res.onAborted(() => {
      state.aborted = true;
      controller.abort();
    });
    if (declared > opts.bodyLimitBytes) {
      send(
        res,
        state,
        '413 Payload Too Large',
        json,
        envelope('payload_too_large', `The request body exceeds ${opts.bodyLimitBytes} bytes.`),
      );
      return;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    res.onData((chunk, isLast) => {
      if (tooLarge) return;
      size += chunk.byteLength;
      if (size > opts.bodyLimitBytes) {
        tooLarge = true;
        send(
          res,
          state,
          '413 Payload Too Large',
          json,
          envelope('payload_too_large', `The request body exceeds ${opts.bodyLimitBytes} bytes.`),
        );
        return;
      }
      // uWS reuses the chunk's memory after this callback: copy it.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!isLast) return;
      const body = method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks);
      const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
      client
        .request(url, { method, headers, body, signal: controller.signal })
        .then((upstream) => {
          const out = upstream.headers.filter(([k]) => !hopByHop.has(k));
          send(res, state, `${upstream.status} ${upstream.statusText}`, out, upstream.body);
        })
        .catch((err: unknown) => {
          if (state.aborted) return;
          opts.log.warn({ err: (err as Error).message, method }, 'control-plane unreachable');
          send(
            res,
            state,
            '502 Bad Gateway',
            json,
            envelope('bad_gateway', 'The API is unreachable; try again shortly.'),
          );
        })
        .finally(() => clearTimeout(timer));
    });
  };
}
