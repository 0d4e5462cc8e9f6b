import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { api, newUser } from '../support/api.js';
import { startGateway } from '../support/gateway.js';
import { WsClient } from '../support/ws.js';

describe('WebSocket follow of an execution that ends without a result event', () => {
  it('looks the execution up after a quiet spell and sends its result', async () => {
    const gw = await startGateway('gateway-stale', { GATEWAY_WS_STALE_FOLLOW_MS: '1000' });
    const db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      const user = await newUser();
      // A region without agents: the job waits in its queue and no event is ever written.
      const submitted = await api('POST', '/execute', {
        token: user.token,
        body: { language: 'python', code: 'print(1)', region: 'no-agents-here' },
      });
      expect(submitted.status).toBe(200);
      const id = submitted.body.data.executionId as string;
      const ws = await WsClient.connect(user.token, { base: gw.apiUrl });
      ws.send({ type: 'subscribe', executionId: id });
      await new Promise((r) => setTimeout(r, 1500));
      expect(ws.messages.some((m) => m.type === 'result')).toBe(false);

      // What a sweeper failing a stuck execution does to its row, with no event.
      await db.query(
        `UPDATE executions SET status = 'internal_error', message = 'stuck', completed_at = now() WHERE id = $1`,
        [id],
      );
      const result = await ws.result(id, 15_000);
      expect(result).toMatchObject({ status: 'internal_error', message: 'stuck', seq: 0 });
      ws.send({ type: 'unsubscribe', executionId: id });
      expect((await ws.next((m) => m.type === 'error')).code).toBe('not_subscribed');
      ws.close();
    } finally {
      await db.end();
      await gw.proc.stop();
    }
  });
});
