import { createHttpClient, type HttpClient } from './http/client.js';

/** What the control-plane answered: its envelope's data or error, and the HTTP status. */
export interface UpstreamAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the envelope's data is per endpoint
  data?: any;
  error?: { code: string; message: string; details?: unknown };
}

/** Who a call is made for: the WebSocket client's token and address. */
export interface UpstreamCaller {
  token: string;
  ip: string;
}

/** How the answers of one family of control-plane endpoints are read. */
export interface UpstreamRoutes {
  /** Prefix of every path, e.g. `/api/v1`. */
  prefix: string;
  /** The Authorization header for the caller's credential. */
  authorization: (caller: UpstreamCaller) => string;
  /** The answer from the HTTP status and the parsed JSON body. */
  answer: (status: number, json: any) => UpstreamAnswer; // eslint-disable-line @typescript-eslint/no-explicit-any -- per endpoint
}

/**
 * One call to the control-plane for a WebSocket client, with the client's own credential and
 * address (as the HTTP proxy sends it, so per-IP limits see the real client), within the
 * upstream timeout. A control-plane that cannot be reached is a 503 `unavailable`.
 */
export function createUpstreamCall(
  opts: { baseUrl: string; timeoutMs: number; client?: HttpClient },
  routes: UpstreamRoutes,
) {
  const client = opts.client ?? createHttpClient();
  return async function call(
    method: string,
    path: string,
    caller: UpstreamCaller,
    body?: unknown,
  ): Promise<UpstreamAnswer> {
    const headers: [string, string][] = [
      ['authorization', routes.authorization(caller)],
      ['x-forwarded-for', caller.ip],
    ];
    if (body !== undefined) headers.push(['content-type', 'application/json']);
    try {
      const res = await client.request(`${opts.baseUrl}${routes.prefix}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      const text = res.body.toString('utf8');
      return routes.answer(res.status, text ? JSON.parse(text) : {});
    } catch {
      return {
        status: 503,
        error: { code: 'unavailable', message: 'The API is unavailable; try again shortly.' },
      };
    }
  };
}

/**
 * Calls the control-plane's REST API on behalf of a WebSocket client, with the client's own
 * access token: the control-plane stays the one place that decides ownership and quotas.
 */
export function createUpstream(opts: { baseUrl: string; timeoutMs: number; client?: HttpClient }) {
  const call = createUpstreamCall(opts, {
    prefix: '/api/v1',
    authorization: (caller) => `Bearer ${caller.token}`,
    answer: (status, json: { data?: unknown; error?: UpstreamAnswer['error'] }) => ({
      status,
      data: json.data,
      error: json.error,
    }),
  });
  return {
    getExecution: (caller: UpstreamCaller, executionId: string) =>
      call('GET', `/execute/${encodeURIComponent(executionId)}`, caller),
    submit: (caller: UpstreamCaller, body: Record<string, unknown>) => call('POST', '/execute', caller, body),
    cancel: (caller: UpstreamCaller, executionId: string) =>
      call('POST', `/execute/${encodeURIComponent(executionId)}/cancel`, caller, {}),
  };
}

export type Upstream = ReturnType<typeof createUpstream>;
