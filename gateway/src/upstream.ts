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

/**
 * Calls the control-plane's REST API on behalf of a WebSocket client, with the client's own
 * access token: the control-plane stays the one place that decides ownership and quotas.
 */
export function createUpstream(opts: { baseUrl: string; timeoutMs: number; client?: HttpClient }) {
  const client = opts.client ?? createHttpClient();
  async function call(
    method: string,
    path: string,
    caller: UpstreamCaller,
    body?: unknown,
  ): Promise<UpstreamAnswer> {
    // The client's address, as the HTTP proxy sends it, so per-IP limits see the real client.
    const headers: [string, string][] = [
      ['authorization', `Bearer ${caller.token}`],
      ['x-forwarded-for', caller.ip],
    ];
    if (body !== undefined) headers.push(['content-type', 'application/json']);
    try {
      const res = await client.request(`${opts.baseUrl}/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      const text = res.body.toString('utf8');
      const json = text ? (JSON.parse(text) as { data?: unknown; error?: UpstreamAnswer['error'] }) : {};
      return { status: res.status, data: json.data, error: json.error };
    } catch {
      return {
        status: 503,
        error: { code: 'unavailable', message: 'The API is unavailable; try again shortly.' },
      };
    }
  }
  return {
    getExecution: (caller: UpstreamCaller, executionId: string) =>
      call('GET', `/execute/${encodeURIComponent(executionId)}`, caller),
    submit: (caller: UpstreamCaller, body: Record<string, unknown>) => call('POST', '/execute', caller, body),
    cancel: (caller: UpstreamCaller, executionId: string) =>
      call('POST', `/execute/${encodeURIComponent(executionId)}/cancel`, caller, {}),
  };
}

export type Upstream = ReturnType<typeof createUpstream>;
