import WebSocket from 'ws';
import { apiUrl } from './api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
export type WsMessage = Record<string, any> & { type: string; receivedAt: number };

/** The WebSocket URL of a gateway whose REST base is `base` (default: the test stack's). */
export function wsUrl(base = apiUrl()): string {
  return `${base.replace(/^http/, 'ws')}/ws`;
}

/** A test client of /api/v1/ws that keeps every message it receives. */
export class WsClient {
  readonly messages: WsMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push({ ...(JSON.parse(data.toString()) as WsMessage), receivedAt: Date.now() });
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  /** Connects with the token in `?token=` (or in Sec-WebSocket-Protocol with `protocol`). */
  static async connect(
    token: string | null,
    opts: { base?: string; via?: 'query' | 'protocol'; autoPong?: boolean } = {},
  ): Promise<WsClient> {
    const url = wsUrl(opts.base);
    const options = { autoPong: opts.autoPong ?? true };
    const socket =
      token === null
        ? new WebSocket(url, options)
        : opts.via === 'protocol'
          ? new WebSocket(url, ['bearer', token], options)
          : new WebSocket(`${url}?token=${encodeURIComponent(token)}`, options);
    const client = new WsClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  send(message: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Waits for the first message (from index `from`) matching `pred`. */
  async next(pred: (m: WsMessage) => boolean, timeoutMs = 30_000, from = 0): Promise<WsMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(pred);
      if (found) return found;
      if (this.socket.readyState === WebSocket.CLOSED) {
        throw new Error(`socket closed while waiting; got ${JSON.stringify(this.messages.slice(-5))}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting; got ${JSON.stringify(this.messages.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the result of an execution. */
  result(executionId: string, timeoutMs = 60_000): Promise<WsMessage> {
    return this.next((m) => m.type === 'result' && m.executionId === executionId, timeoutMs);
  }

  /** Output messages of an execution, in arrival order. */
  outputs(executionId: string, stream = 'stdout'): WsMessage[] {
    return this.messages.filter(
      (m) => m.type === 'output' && m.executionId === executionId && m.stream === stream,
    );
  }

  /** The bytes of an execution's stream as received. */
  bytes(executionId: string, stream = 'stdout'): Buffer {
    return Buffer.concat(
      this.outputs(executionId, stream).map((m) =>
        Buffer.from(m['data'] as string, m['encoding'] as BufferEncoding),
      ),
    );
  }

  close(): void {
    this.socket.close();
  }
}

/** Sends `execute` and waits for its queued status; returns the execution id. */
export async function wsExecute(client: WsClient, body: Record<string, unknown>): Promise<string> {
  const requestId = Math.random().toString(36).slice(2);
  client.send({ type: 'execute', requestId, ...body });
  const first = await client.next(
    (m) => m.requestId === requestId && (m.type === 'status' || m.type === 'error'),
    30_000,
  );
  if (first.type === 'error') throw new Error(`execute failed: ${JSON.stringify(first)}`);
  return first['executionId'] as string;
}
