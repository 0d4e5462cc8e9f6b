import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newUser, waitForResult } from '../support/api.js';
import { startGateway } from '../support/gateway.js';
import type { Proc } from '../support/stack.js';
import { WsClient, wsExecute, type WsMessage } from '../support/ws.js';

const ticker = (lines: number) =>
  `import time\nfor i in range(${lines}):\n    print('line', i, flush=True)\n    time.sleep(0.1)\n`;
const expected = (lines: number) => Array.from({ length: lines }, (_, i) => `line ${i}\n`).join('');

/** Every seq from 1 to the result's, each exactly once, across the given message lists. */
function expectContiguous(executionId: string, ...lists: WsMessage[][]) {
  const seqs = lists
    .flat()
    .filter((m) => m.executionId === executionId && m.seq > 0)
    .map((m) => m.seq as number);
  const last = Math.max(...seqs);
  expect(seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1));
}

describe('WebSocket fan-out', () => {
  let second: { apiUrl: string; proc: Proc };

  beforeAll(async () => {
    second = await startGateway('gateway-2');
  });
  afterAll(async () => {
    await second?.proc.stop();
  });

  it('resumes after a reconnect with fromSeq: nothing lost, nothing repeated', async () => {
    const user = await newUser();
    const first = await WsClient.connect(user.token);
    const id = await wsExecute(first, { language: 'python', code: ticker(20) });
    // Chunks need not be whole lines: wait for the bytes.
    await first.next(() => first.bytes(id).toString().includes('line 4\n'));
    first.socket.terminate();
    await first.closed;
    const seen = first.messages.filter((m) => m.executionId === id && m.seq > 0);
    const lastSeq = Math.max(...seen.map((m) => m.seq as number));
    expect(first.messages.some((m) => m.type === 'result')).toBe(false);

    // Reconnect to the other gateway, as a client behind a load balancer might.
    const again = await WsClient.connect(user.token, { base: second.apiUrl });
    again.send({ type: 'subscribe', executionId: id, fromSeq: lastSeq });
    const result = await again.result(id);
    expect(result['status']).toBe('completed');
    expect(again.messages.filter((m) => m.seq > 0 && m.type !== 'result').every((m) => m.seq > lastSeq)).toBe(
      true,
    );
    expect(Buffer.concat([first.bytes(id), again.bytes(id)]).toString()).toBe(expected(20));
    expectContiguous(id, seen, again.messages);
    again.close();
  });

  it('replays a finished execution to a late subscriber', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    const id = await wsExecute(ws, { language: 'python', code: ticker(3) });
    await ws.result(id);
    ws.close();
    const late = await WsClient.connect(user.token);
    late.send({ type: 'subscribe', executionId: id, fromSeq: 0 });
    await late.result(id);
    expect(late.bytes(id).toString()).toBe(expected(3));
    expectContiguous(id, late.messages);
    late.close();
  });

  it('says so when the events asked for are no longer kept', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    const id = await wsExecute(ws, { language: 'python', code: ticker(5) });
    await ws.result(id);
    ws.close();
    // What MAXLEN trimming does to a long execution's stream: its oldest entries go.
    const redis = new Redis(inject('redisUrl'));
    const key = `${inject('redisPrefix')}exec:{${id}}:events`;
    const entries = await redis.xrange(key, '-', '+');
    await redis.xtrim(key, 'MINID', entries[3]![0]);
    redis.disconnect();

    const late = await WsClient.connect(user.token);
    late.send({ type: 'subscribe', executionId: id, fromSeq: 1 });
    const result = await late.result(id);
    const warning = late.messages.find((m) => m.type === 'error');
    expect(warning).toMatchObject({
      code: 'events_trimmed',
      executionId: id,
      fromSeq: 1,
      availableFromSeq: 4,
    });
    expect(late.messages.filter((m) => m.seq > 0).map((m) => m.seq as number)[0]).toBe(4);
    expect(result['output']).toBe(expected(5));
    late.close();
  });

  it('two gateways fan out the same execution to their clients', async () => {
    const user = await newUser();
    const a = await WsClient.connect(user.token);
    const b = await WsClient.connect(user.token, { base: second.apiUrl });
    const id = await wsExecute(a, { language: 'python', code: ticker(15) });
    b.send({ type: 'subscribe', executionId: id });
    const [ra, rb] = await Promise.all([a.result(id), b.result(id)]);
    expect(ra['status']).toBe('completed');
    expect(rb['status']).toBe('completed');
    expect(a.bytes(id).toString()).toBe(expected(15));
    expect(b.bytes(id).toString()).toBe(expected(15));
    const outputSeqs = (c: WsClient) => c.outputs(id).map((m) => m.seq as number);
    expect(outputSeqs(b)).toEqual(outputSeqs(a));
    a.close();
    b.close();
  });

  it('follows many executions of many clients over one gateway', async () => {
    const user = await newUser();
    const clients = await Promise.all([0, 1, 2, 3].map(() => WsClient.connect(user.token)));
    const ids = await Promise.all(clients.map((c) => wsExecute(c, { language: 'python', code: ticker(5) })));
    // Every client also watches the next client's execution.
    clients.forEach((c, i) => c.send({ type: 'subscribe', executionId: ids[(i + 1) % ids.length] }));
    for (const [i, c] of clients.entries()) {
      for (const id of [ids[i]!, ids[(i + 1) % ids.length]!]) {
        await c.result(id);
        expect(c.bytes(id).toString()).toBe(expected(5));
      }
    }
    for (const id of ids) expect((await waitForResult(user.token, id)).status).toBe('completed');
    for (const c of clients) c.close();
  });
});
