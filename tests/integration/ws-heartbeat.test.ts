import { describe, expect, it } from 'vitest';
import { newUser } from '../support/api.js';
import { startGateway } from '../support/gateway.js';
import { WsClient } from '../support/ws.js';

describe('WebSocket heartbeats', () => {
  it('pings idle clients, keeps those that answer and closes those that do not', async () => {
    const gw = await startGateway('gateway-heartbeat', { GATEWAY_WS_IDLE_TIMEOUT_SECONDS: '8' });
    try {
      const user = await newUser();
      const alive = await WsClient.connect(user.token, { base: gw.apiUrl });
      const silent = await WsClient.connect(user.token, { base: gw.apiUrl, autoPong: false });
      // What the silent client saw, in order: it must be pinged (and not answer) before the close.
      const seen: string[] = [];
      silent.socket.on('ping', () => seen.push('ping'));
      silent.socket.on('close', () => seen.push('close'));
      await Promise.race([silent.closed, new Promise((r) => setTimeout(r, 30_000))]);
      expect(silent.socket.readyState).toBe(silent.socket.CLOSED);
      expect(seen[0]).toBe('ping');
      expect(seen.at(-1)).toBe('close');
      // The client that answered the same pings is still connected and served.
      expect(alive.socket.readyState).toBe(alive.socket.OPEN);
      alive.send({ type: 'ping' });
      await alive.next((m) => m.type === 'pong');
      alive.close();
    } finally {
      await gw.proc.stop();
    }
  });
});
