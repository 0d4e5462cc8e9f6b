import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { clientAddress, type TrustedProxies } from '@muscode/common';

/** Methods the API has; anything else is refused at the edge with 405 and Allow. */
export const allowedMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const allowed = new Set<string>(allowedMethods);

/** A request refused at the edge: status line, envelope code and message, extra headers. */
export interface EdgeRefusal {
  status: string;
  code: string;
  message: string;
  headers?: [string, string][];
  /** Close the connection after the answer: the message framing itself cannot be trusted. */
  close?: boolean;
}

/** A 405 for a method the path (or the whole edge) does not answer; `allow` goes in Allow. */
export function methodNotAllowed(method: string, allow: readonly string[]): EdgeRefusal {
  return {
    status: '405 Method Not Allowed',
    code: 'method_not_allowed',
    message: `The method ${method} is not allowed here.`,
    headers: [['allow', allow.join(', ')]],
  };
}

/** The playground's files, served by the edge itself, answer only these. */
export const readMethods = ['GET', 'HEAD'] as const;

/**
 * A path with a dot segment (`.`/`..`, also percent-encoded), a backslash or an encoded slash
 * could be normalised by the control-plane (or a proxy behind us) to a route outside /api/v1.
 */
export function unsafePath(url: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(url);
  } catch {
    return true;
  }
  if (decoded.includes('\\') || /%2f|%5c/i.test(url)) return true;
  return decoded.split('/').some((segment) => segment === '.' || segment === '..');
}

/**
 * Checks what uWS let through but a proxy in front or the control-plane behind could read
 * differently (request smuggling), and the header budget. Returns null when the request is fine.
 */
export function checkRequest(req: HttpRequest, opts: { maxHeaderBytes: number }): EdgeRefusal | null {
  const method = req.getMethod().toUpperCase();
  if (!allowed.has(method)) return methodNotAllowed(method, allowedMethods);
  if (unsafePath(req.getUrl())) {
    return {
      status: '400 Bad Request',
      code: 'invalid_path',
      message: 'The path must not contain dot segments, backslashes or encoded slashes.',
    };
  }
  const lengths = new Set<string>();
  const encodings: string[] = [];
  let headerBytes = 0;
  req.forEach((k, v) => {
    headerBytes += k.length + v.length + 4;
    if (k === 'content-length') for (const part of v.split(',')) lengths.add(part.trim());
    if (k === 'transfer-encoding') encodings.push(v.trim().toLowerCase());
  });
  if (headerBytes > opts.maxHeaderBytes) {
    return {
      status: '431 Request Header Fields Too Large',
      code: 'headers_too_large',
      message: `The request headers exceed ${opts.maxHeaderBytes} bytes.`,
      close: true,
    };
  }
  if (lengths.size > 1 || [...lengths].some((l) => !/^\d{1,15}$/.test(l))) {
    return {
      status: '400 Bad Request',
      code: 'invalid_content_length',
      message: 'The request has conflicting or malformed Content-Length headers.',
      close: true,
    };
  }
  if (encodings.length > 0 && (encodings.length > 1 || encodings[0] !== 'chunked' || lengths.size > 0)) {
    return {
      status: '400 Bad Request',
      code: 'invalid_transfer_encoding',
      message: 'Only "Transfer-Encoding: chunked" (without Content-Length) is accepted.',
      close: true,
    };
  }
  return null;
}

/** Headers on every answer of the edge. */
export const securityHeaders: [string, string][] = [
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
];

/**
 * Headers the edge adds to a forwarded answer: tokens and account data are never cached, a 401
 * says how to authenticate (RFC 6750).
 */
export function answerHeaders(
  path: string,
  status: number,
  upstream: readonly [string, string][],
  sentToken: boolean,
): [string, string][] {
  const out: [string, string][] = [...securityHeaders];
  const has = (name: string) => upstream.some(([k]) => k === name);
  if ((path.startsWith('/api/v1/auth/') || status === 401) && !has('cache-control'))
    out.push(['cache-control', 'no-store']);
  if (status === 401 && !has('www-authenticate'))
    out.push([
      'www-authenticate',
      sentToken ? 'Bearer realm="muscode", error="invalid_token"' : 'Bearer realm="muscode"',
    ]);
  return out;
}

/**
 * The client's address for a request that does not pass its headers on (a WebSocket upgrade):
 * the socket's peer, or the right-most untrusted hop of `X-Forwarded-For` behind a trusted proxy.
 */
export function requestClientAddress(
  res: HttpResponse,
  req: HttpRequest,
  trustedProxies: TrustedProxies,
): string {
  const forwardedFor: string[] = [];
  req.forEach((k, v) => {
    if (k === 'x-forwarded-for') forwardedFor.push(v);
  });
  return clientAddress(Buffer.from(res.getRemoteAddressAsText()).toString(), forwardedFor, trustedProxies);
}
