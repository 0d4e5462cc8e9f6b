import { describe, expect, it } from 'vitest';
import { api, apiUrl, newUser } from '../support/api.js';
import { randomId } from '../support/stack.js';

describe('hostile request bodies', () => {
  it('a 10 MB body is refused with 413 in the envelope', async () => {
    const user = await newUser();
    const r = await api('POST', '/projects', {
      token: user.token,
      rawBody: JSON.stringify({ name: 'x', language: 'python', description: 'x'.repeat(10 * 1024 * 1024) }),
    });
    expect(r.status).toBe(413);
    expect(r.body.success).toBe(false);
  });

  it('1,000-deep JSON is a 400, not a crash', async () => {
    const user = await newUser();
    const deep = '{"a":'.repeat(1000) + '1' + '}'.repeat(1000);
    for (const path of ['/projects', '/execute', '/auth/login']) {
      const r = await api('POST', path, { token: user.token, rawBody: deep });
      expect([path, r.status]).toEqual([path, 400]);
      expect(r.body.error.code).toBe('validation_failed');
    }
    // Still alive.
    expect((await api('GET', '/auth/me', { token: user.token })).status).toBe(200);
  });

  it('bounds string lengths with a 400 naming the field', async () => {
    const user = await newUser();
    const long = await api('POST', '/auth/register', {
      body: { email: `${'a'.repeat(300)}@example.com`, password: 'Secure-Pass-123', username: 'abc' },
    });
    expect(long.status).toBe(400);
    expect(long.body.error.details.field).toBe('email');
    const p = await api('POST', '/projects', {
      token: user.token,
      body: { name: 'n'.repeat(10_000), language: 'python' },
    });
    expect(p.status).toBe(400);
    expect(p.body.error.details.field).toBe('name');
  });

  it('never mass-assigns role on registration', async () => {
    const id = randomId();
    const r = await api('POST', '/auth/register', {
      body: {
        email: `mass-${id}@example.com`,
        password: 'Secure-Pass-123',
        username: `mass_${id}`,
        role: 'admin',
        is_active: true,
        email_verified: true,
      },
    });
    if (r.status === 201) {
      const me = await api('GET', '/auth/me', { token: r.body.data.token });
      expect(me.body.data.role).toBe('user');
    } else {
      expect(r.status).toBe(400);
    }
  });

  it('treats SQL-injection strings in every string field as plain text', async () => {
    const user = await newUser();
    const evil = "x'); DROP TABLE projects; --";
    const p = await api('POST', '/projects', {
      token: user.token,
      body: { name: evil, description: evil, language: 'python' },
    });
    expect(p.status).toBe(201);
    const f = await api('POST', `/projects/${p.body.data.id}/files`, {
      token: user.token,
      body: { name: "a';--.py", path: "/x' OR '1'='1", content: evil },
    });
    expect(f.status).toBe(201);
    const c = await api('POST', `/projects/${p.body.data.id}/comments`, {
      token: user.token,
      body: { content: evil },
    });
    expect(c.status).toBe(201);
    const got = await api('GET', `/projects/${p.body.data.id}`, { token: user.token });
    expect(got.body.data).toMatchObject({ name: evil, description: evil });
    expect(got.body.data.files[0]).toMatchObject({ name: "a';--.py", path: "/x' OR '1'='1", content: evil });
    const login = await api('POST', '/auth/login', {
      body: { email: "' OR '1'='1' --@x.io", password: evil },
    });
    expect(login.status).toBe(401);
    expect(
      (await api('GET', `/projects/${encodeURIComponent("' OR 1=1 --")}`, { token: user.token })).status,
    ).toBe(404);
    expect((await api('GET', '/projects', { token: user.token })).body.data.pagination.total).toBe(1);
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3 document generated from the routes, and a docs page', async () => {
    const r = await fetch(`${apiUrl()}/openapi.json`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      '/api/v1/auth/refresh',
      '/api/v1/auth/logout',
      '/api/v1/execute',
      '/api/v1/execute/{executionId}/cancel',
      '/api/v1/executions',
      '/api/v1/projects',
      '/api/v1/projects/{projectId}/files/{fileId}',
      '/api/v1/projects/{projectId}/star',
      '/api/v1/projects/{projectId}/comments',
      '/api/v1/stats',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    const create = doc.paths['/api/v1/projects']!['post'] as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
    };
    const schema = Object.values(create.requestBody.content)[0]!.schema;
    expect(Object.keys(schema.properties).sort()).toEqual([
      'description',
      'language',
      'name',
      'version',
      'visibility',
    ]);
    const page = await fetch(`${apiUrl()}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });
});
