import { beforeAll, describe, expect, it } from 'vitest';
import { api, newUser } from '../support/api.js';
import { servedDocument } from '../support/openapi.js';

let served: Awaited<ReturnType<typeof servedDocument>>;
const conforms: (typeof served)['conforms'] = (...args) => served.conforms(...args);

beforeAll(async () => {
  served = await servedDocument();
});

describe('the OpenAPI document describes the answers', () => {
  it('gives every /api/v1 operation a JSON or bytes success answer and the error envelope', () => {
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(served.doc.paths)) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const [method, op] of Object.entries(ops)) {
        const r = op.responses ?? {};
        const success = Object.keys(r).filter((s) => /^2\d\d$/.test(s) && r[s]?.content);
        if (success.length === 0) missing.push(`${method.toUpperCase()} ${path}: no 2xx answer`);
        for (const range of ['4XX', '5XX']) {
          if (!JSON.stringify(r[range] ?? {}).includes('#/components/schemas/ErrorEnvelope'))
            missing.push(`${method.toUpperCase()} ${path}: no ${range} error envelope`);
        }
      }
    }
    expect(missing).toEqual([]);
    // Every named shape an answer refers to is in the document.
    const refs = [...JSON.stringify(served.doc.paths).matchAll(/#\/components\/schemas\/(\w+)/g)].map(
      (m) => m[1],
    );
    expect(refs.filter((n) => !(n! in served.doc.components.schemas))).toEqual([]);
  });

  it('rejects an answer that is not the documented one (the check can fail)', async () => {
    const user = await newUser();
    const me = await api('GET', '/auth/me', { token: user.token });
    conforms('GET', '/api/v1/auth/me', me, 200);
    const withoutEmail: Record<string, unknown> = { ...me.body.data };
    delete withoutEmail['email'];
    expect(
      served.errorsOf('GET', '/api/v1/auth/me', { status: 200, body: { ...me.body, data: withoutEmail } }),
    ).not.toEqual([]);
    expect(
      served.errorsOf('GET', '/api/v1/auth/me', {
        status: 200,
        body: { success: true, data: { ...me.body.data, id: 7 } },
      }),
    ).not.toEqual([]);
  });

  it('accounts, projects, files, stars, comments and API keys answer as documented', async () => {
    const id = Math.random().toString(36).slice(2, 10);
    const creds = { email: `doc-${id}@example.com`, password: `Secure-${id}-Pass1`, username: `doc_${id}` };
    conforms('POST', '/api/v1/auth/register', await api('POST', '/auth/register', { body: creds }), 201);
    const login = conforms(
      'POST',
      '/api/v1/auth/login',
      await api('POST', '/auth/login', { body: { email: creds.email, password: creds.password } }),
      200,
    );
    const token = login.body.data.token as string;
    const refreshed = conforms(
      'POST',
      '/api/v1/auth/refresh',
      await api('POST', '/auth/refresh', { body: { refreshToken: login.body.data.refreshToken } }),
      200,
    );
    conforms('GET', '/api/v1/auth/jwks', await api('GET', '/auth/jwks'), 200);
    conforms('GET', '/api/v1/stats', await api('GET', '/stats', { token }), 200);
    conforms('GET', '/api/v1/languages', await api('GET', '/languages'), 200);
    const health = await api('GET', '/health');
    conforms('GET', '/api/v1/health', health, health.status === 200 ? 200 : 503);

    const p = conforms(
      'POST',
      '/api/v1/projects',
      await api('POST', '/projects', {
        token,
        body: { name: 'Documented', language: 'python', visibility: 'public' },
      }),
      201,
    ).body.data as { id: string };
    const file = conforms(
      'POST',
      '/api/v1/projects/{projectId}/files',
      await api('POST', `/projects/${p.id}/files`, {
        token,
        body: { name: 'main.py', path: '/src', content: 'print(1)', isMain: true },
      }),
      201,
    ).body.data as { id: string };
    const fileOf = `/projects/${p.id}/files/${file.id}`;
    conforms('GET', '/api/v1/projects/{projectId}/files/{fileId}', await api('GET', fileOf, { token }), 200);
    conforms(
      'PUT',
      '/api/v1/projects/{projectId}/files/{fileId}',
      await api('PUT', fileOf, { token, body: { content: 'print(2)' } }),
      200,
    );
    conforms('GET', '/api/v1/projects/{projectId}', await api('GET', `/projects/${p.id}`, { token }), 200);
    conforms(
      'PATCH',
      '/api/v1/projects/{projectId}',
      await api('PATCH', `/projects/${p.id}`, { token, body: { description: 'd' } }),
      200,
    );
    conforms(
      'PUT',
      '/api/v1/projects/{projectId}',
      await api('PUT', `/projects/${p.id}`, {
        token,
        body: { name: 'Documented', language: 'python', visibility: 'public' },
      }),
      200,
    );
    conforms('GET', '/api/v1/projects', await api('GET', '/projects', { token }), 200);
    conforms('GET', '/api/v1/projects/public', await api('GET', '/projects/public?limit=5'), 200);

    const other = await newUser();
    conforms(
      'PUT',
      '/api/v1/projects/{projectId}/star',
      await api('PUT', `/projects/${p.id}/star`, { token: other.token }),
      200,
    );
    conforms(
      'DELETE',
      '/api/v1/projects/{projectId}/star',
      await api('DELETE', `/projects/${p.id}/star`, { token: other.token }),
      200,
    );
    conforms(
      'POST',
      '/api/v1/projects/{projectId}/fork',
      await api('POST', `/projects/${p.id}/fork`, { token: other.token }),
      201,
    );
    const comment = conforms(
      'POST',
      '/api/v1/projects/{projectId}/comments',
      await api('POST', `/projects/${p.id}/comments`, { token: other.token, body: { content: 'nice' } }),
      201,
    ).body.data as { id: string };
    conforms(
      'POST',
      '/api/v1/projects/{projectId}/comments',
      await api('POST', `/projects/${p.id}/comments`, {
        token,
        body: { content: 'thanks', parentId: comment.id },
      }),
      201,
    );
    const thread = conforms(
      'GET',
      '/api/v1/projects/{projectId}/comments',
      await api('GET', `/projects/${p.id}/comments`),
      200,
    );
    expect(thread.body.data.comments[0].replies).toHaveLength(1);
    const commentOf = `/projects/${p.id}/comments/${comment.id}`;
    conforms(
      'PATCH',
      '/api/v1/projects/{projectId}/comments/{commentId}',
      await api('PATCH', commentOf, { token: other.token, body: { content: 'very nice' } }),
      200,
    );
    conforms(
      'DELETE',
      '/api/v1/projects/{projectId}/comments/{commentId}',
      await api('DELETE', commentOf, { token: other.token }),
      200,
    );

    const key = conforms(
      'POST',
      '/api/v1/api-keys/',
      await api('POST', '/api-keys', { token, body: { name: 'ci', scopes: ['read'] } }),
      201,
    ).body.data as { id: string };
    conforms('GET', '/api/v1/api-keys/', await api('GET', '/api-keys', { token }), 200);
    conforms(
      'DELETE',
      '/api/v1/api-keys/{keyId}',
      await api('DELETE', `/api-keys/${key.id}`, { token }),
      200,
    );

    conforms(
      'DELETE',
      '/api/v1/projects/{projectId}/files/{fileId}',
      await api('DELETE', fileOf, { token }),
      200,
    );
    conforms(
      'DELETE',
      '/api/v1/projects/{projectId}',
      await api('DELETE', `/projects/${p.id}`, { token }),
      200,
    );
    conforms(
      'POST',
      '/api/v1/auth/logout',
      await api('POST', '/auth/logout', {
        token: refreshed.body.data.token,
        body: { refreshToken: refreshed.body.data.refreshToken },
      }),
      200,
    );
  });

  it('a submission, the execution, its history, artifacts and cancel answer as documented', async () => {
    const { token } = await newUser();
    // No runner agent in this tier: the execution stays queued, which is a documented answer too.
    const queued = conforms(
      'POST',
      '/api/v1/execute',
      await api('POST', '/execute', { token, body: { language: 'python', code: 'print(1)' } }),
      200,
    );
    expect(queued.body.data.status).toBe('queued');
    const id = queued.body.data.executionId as string;
    conforms('GET', '/api/v1/execute/{executionId}', await api('GET', `/execute/${id}`, { token }), 200);
    conforms(
      'GET',
      '/api/v1/execute/{executionId}/artifacts',
      await api('GET', `/execute/${id}/artifacts`, { token }),
      200,
    );
    conforms('GET', '/api/v1/executions', await api('GET', '/executions?limit=5', { token }), 200);
    const cancel = await api('POST', `/execute/${id}/cancel`, { token });
    conforms('POST', '/api/v1/execute/{executionId}/cancel', cancel, cancel.status === 200 ? 200 : 202);
    const after = conforms(
      'GET',
      '/api/v1/execute/{executionId}',
      await api('GET', `/execute/${id}`, { token }),
      200,
    );
    expect(after.body.data.status).toBe('cancelled');
  });

  it('errors answer the documented error envelope', async () => {
    const { token } = await newUser();
    const notFound = await api('GET', '/projects/00000000-0000-4000-8000-000000000000', { token });
    conforms('GET', '/api/v1/projects/{projectId}', notFound, 404);
    const invalid = await api('POST', '/projects', { token, body: { name: '' } });
    conforms('POST', '/api/v1/projects', invalid, 400);
    conforms('GET', '/api/v1/auth/me', await api('GET', '/auth/me'), 401);
    conforms(
      'POST',
      '/api/v1/execute',
      await api('POST', '/execute', { token, body: { language: 'no-such-language', code: '' } }),
      400,
    );
  });
});
