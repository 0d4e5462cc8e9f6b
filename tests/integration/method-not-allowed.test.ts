import { describe, expect, it } from 'vitest';
import { apiUrl, newUser } from '../support/api.js';
import { WsClient } from '../support/ws.js';

const origin = () => apiUrl().replace(/\/api\/v1$/, '');

describe('a wrong method on an existing route', () => {
  it('is a 405 with Allow and the methods in the envelope (control-plane, through the gateway)', async () => {
    const res = await fetch(`${apiUrl()}/auth/login`, { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const body = await res.json();
    expect(body).toMatchObject({
      success: false,
      error: { code: 'method_not_allowed', details: { allow: ['POST'] } },
    });
  });

  it('lists every method of a parameterised route', async () => {
    const res = await fetch(`${apiUrl()}/projects/00000000-0000-0000-0000-000000000000`, { method: 'POST' });
    expect(res.status).toBe(405);
    const allow = (res.headers.get('allow') ?? '').split(', ');
    expect(allow).toEqual(expect.arrayContaining(['GET', 'HEAD', 'DELETE']));
  });

  it('keeps 404 for a path no route has', async () => {
    const res = await fetch(`${apiUrl()}/no-such-thing`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
  });

  it("is a 405 for the gateway's own /healthz and playground files", async () => {
    const health = await fetch(`${origin()}/healthz`, { method: 'POST' });
    expect(health.status).toBe(405);
    expect(health.headers.get('allow')).toBe('GET');
    expect(((await health.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
    const page = await fetch(`${origin()}/`, { method: 'DELETE' });
    expect(page.status).toBe(405);
    expect(page.headers.get('allow')).toBe('GET, HEAD');
  });

  it('is a 405 with Allow: GET for the WebSocket path, whose upgrade still works', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${apiUrl()}/ws`, { method, body: method === 'DELETE' ? undefined : '{}' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
    }
    const user = await newUser();
    const client = await WsClient.connect(user.token);
    client.socket.close();
  });
});
