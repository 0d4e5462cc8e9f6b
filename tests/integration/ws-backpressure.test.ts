import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser } from '../support/api.js';
import { gatewayHealth, startGateway } from '../support/gateway.js';
import type { Proc } from '../support/stack.js';
import { WsClient, wsExecute } from '../support/ws.js';

const bound = 256 * 1024;

describe('WebSocket backpressure', () => {
  let gw: { apiUrl: string; healthUrl: string; proc: Proc };

  beforeAll(async () => {
    gw = await startGateway('gateway-small-buffer', {
      GATEWAY_WS_MAX_BUFFERED_BYTES: String(bound),
      GATEWAY_WS_MAX_SUBSCRIPTIONS: '4',
    });
  });
  afterAll(async () => {
    await gw?.proc.stop();
  });

  it('cuts off a client that stops reading, and the gateway stays small', async () => {
    const user = await newUser();
    // An execution with a lot of output to replay (about 60 KB on each of stdout and stderr).
    const setup = await WsClient.connect(user.token, { base: gw.apiUrl });
    const id = await wsExecute(setup, {
      language: 'python',
      code: "import sys\nfor i in range(600):\n    print('o' * 99)\n    print('e' * 99, file=sys.stderr)\n",
    });
    await setup.result(id);
    const perReplay = setup.bytes(id, 'stdout').length + setup.bytes(id, 'stderr').length;
    expect(perReplay).toBeGreaterThan(100_000);
    setup.close();

    const slow = await WsClient.connect(user.token, { base: gw.apiUrl });
    (slow.socket as unknown as { _socket: Socket })._socket.pause();
    const before = await gatewayHealth(gw.healthUrl);
    expect(before.websockets).toBe(1);

    // Ask for the same output again and again without reading any of it.
    let requested = 0;
    let peakRss = before.memory.rss as number;
    let open = true;
    for (let i = 0; i < 400 && open; i++) {
      slow.send({ type: 'subscribe', executionId: id, fromSeq: 0 });
      await new Promise((r) => setTimeout(r, 40));
      slow.send({ type: 'unsubscribe', executionId: id });
      requested += perReplay;
      if (i % 5 === 4) {
        const h = await gatewayHealth(gw.healthUrl);
        peakRss = Math.max(peakRss, h.memory.rss as number);
        open = h.websockets > 0;
      }
    }
    expect(open).toBe(false);
    // Cut off for not reading: it had asked for several times the bound, and the gateway held
    // on to a bounded amount, not everything that was asked for.
    expect(requested).toBeGreaterThan(4 * bound);
    expect(peakRss - before.memory.rss).toBeLessThan(Math.max(requested / 2, 64 * 1024 * 1024));

    (slow.socket as unknown as { _socket: Socket })._socket.resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(4008);
    expect(closed.reason).toMatch(/slow consumer/);
    expect((await gatewayHealth(gw.healthUrl)).follows.watches).toBe(0);
  });
});
