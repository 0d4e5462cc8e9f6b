import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { newUser } from '../support/api.js';
import { startGateway } from '../support/gateway.js';
import { WsClient, wsExecute } from '../support/ws.js';

const ticker = (lines: number) =>
  `import time\nfor i in range(${lines}):\n    print('line', i, flush=True)\n    time.sleep(0.1)\n`;
const expected = (lines: number) => Array.from({ length: lines }, (_, i) => `line ${i}\n`).join('');

describe('WebSocket gateway shutdown', () => {
  it('drains running executions to their result, refuses new work, then closes with 1001', async () => {
    const gw = await startGateway('gateway-shutdown', { GATEWAY_SHUTDOWN_DRAIN_MS: '30000' });
    try {
      const user = await newUser();
      const ws = await WsClient.connect(user.token, { base: gw.apiUrl });
      const idle = await WsClient.connect(user.token, { base: gw.apiUrl });
      const id = await wsExecute(ws, { language: 'python', code: ticker(15) });
      await ws.next((m) => m.type === 'output' && m.executionId === id);

      gw.proc.child.kill('SIGTERM');
      const exited = once(gw.proc.child, 'exit');
      // Let the gateway see the signal, then try to start something new on it.
      await new Promise((r) => setTimeout(r, 300));
      const before = idle.messages.length;
      idle.send({ type: 'subscribe', executionId: id });
      expect((await idle.next((m) => m.type === 'error', 10_000, before)).code).toBe('shutting_down');

      const result = await ws.result(id);
      expect(result['status']).toBe('completed');
      expect(ws.bytes(id).toString()).toBe(expected(15));
      expect(await ws.closed).toMatchObject({ code: 1001 });
      expect(await idle.closed).toMatchObject({ code: 1001 });
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      await expect(WsClient.connect(user.token, { base: gw.apiUrl })).rejects.toThrow();
    } finally {
      await gw.proc.stop();
    }
  });
});
