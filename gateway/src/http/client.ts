import http from 'node:http';

export interface ClientResponse {
  status: number;
  statusText: string;
  /** Header name (lower-case) and value pairs, repeated headers kept apart (set-cookie). */
  headers: [string, string][];
  body: Buffer;
}

export interface HttpClient {
  request(
    url: string,
    init: { method: string; headers: [string, string][]; body?: Buffer | undefined; signal: AbortSignal },
  ): Promise<ClientResponse>;
  close(): void;
}

/**
 * HTTP/1.1 to the control-plane over a pool of kept-alive connections (node:http: less work per
 * request than fetch, which the gateway does for every API call). Idle connections are closed
 * after `idleMs`, before the control-plane's own keep-alive timeout (Node's default 5 s) could
 * close one under a request being sent on it.
 */
export function createHttpClient(opts: { idleMs?: number } = {}): HttpClient {
  const agent = new http.Agent({ keepAlive: true, timeout: opts.idleMs ?? 4000, scheduling: 'lifo' });
  return {
    request(url, init) {
      // An object (not a raw array), so node:http still adds Host; repeated names stay apart.
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of init.headers) {
        const had = headers[k];
        headers[k] = had === undefined ? v : [...(Array.isArray(had) ? had : [had]), v];
      }
      if (init.body !== undefined) headers['content-length'] = String(init.body.length);
      return new Promise<ClientResponse>((resolve, reject) => {
        const req = http.request(url, { method: init.method, headers, agent, signal: init.signal }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('close', () => {
            if (!res.complete) reject(new Error('the response was cut short'));
          });
          res.on('end', () => {
            const headers: [string, string][] = [];
            for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
              headers.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
            }
            resolve({
              status: res.statusCode ?? 502,
              statusText: res.statusMessage ?? '',
              headers,
              body: Buffer.concat(chunks),
            });
          });
        });
        req.on('error', reject);
        req.end(init.body);
      });
    },
    close: () => agent.destroy(),
  };
}
