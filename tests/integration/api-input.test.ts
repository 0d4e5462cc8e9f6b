import { beforeAll, describe, expect, inject, it } from 'vitest';
import { api, apiUrl, newAdmin, newUser, waitForResult, type TestUser } from '../support/api.js';
import { randomId, waitFor } from '../support/stack.js';

// One rule for every string field of the REST API: a NUL (U+0000) or a lone UTF-16 surrogate
// is refused with 400 naming the field; anything else is stored and returned exactly.
const bad = { nul: 'a\u0000b', surrogate: 'a\ud800b' };

let user: TestUser;
let projectId: string;
let fileId: string;
let commentId: string;

beforeAll(async () => {
  user = await newUser();
  const p = await api('POST', '/projects', {
    token: user.token,
    body: { name: 'input', language: 'python' },
  });
  projectId = p.body.data.id;
  const f = await api('POST', `/projects/${projectId}/files`, {
    token: user.token,
    body: { name: 'main.py', content: 'print(1)' },
  });
  fileId = f.body.data.id;
  const c = await api('POST', `/projects/${projectId}/comments`, {
    token: user.token,
    body: { content: 'hi' },
  });
  commentId = c.body.data.id;
});

/** Every string field of every JSON body: [method, path, a valid body, the field path to spoil]. */
function cases(): [string, string, Record<string, unknown>, string][] {
  const id = randomId();
  const register = { email: `in-${id}@example.com`, password: 'Secure-Pass-123', username: `in_${id}` };
  const project = { name: 'p', description: 'd', language: 'python', version: '3' };
  const exec = { language: 'python', code: 'print(1)', stdin: 'x', args: ['a', 'b'], version: '3' };
  const batch = {
    language: 'python',
    files: [{ name: 'main.py', path: '/', content: 'print(1)' }],
    mainFile: 'main.py',
    region: 'no-agents-here',
  };
  const files = `/projects/${projectId}/files`;
  return [
    ['POST', '/auth/register', { ...register, fullName: 'Full Name' }, 'email'],
    ['POST', '/auth/register', { ...register, fullName: 'Full Name' }, 'password'],
    ['POST', '/auth/register', { ...register, fullName: 'Full Name' }, 'username'],
    ['POST', '/auth/register', { ...register, fullName: 'Full Name' }, 'fullName'],
    ['POST', '/auth/login', { email: user.email, password: user.password }, 'email'],
    ['POST', '/auth/login', { email: user.email, password: user.password }, 'password'],
    ['POST', '/auth/refresh', { refreshToken: 'x'.repeat(40) }, 'refreshToken'],
    ['POST', '/auth/logout', { refreshToken: 'x'.repeat(40) }, 'refreshToken'],
    ...(['name', 'description', 'language', 'version'] as const).flatMap(
      (field): [string, string, Record<string, unknown>, string][] => [
        ['POST', '/projects', project, field],
        ['PUT', `/projects/${projectId}`, project, field],
        ['PATCH', `/projects/${projectId}`, { [field]: project[field] }, field],
      ],
    ),
    ['POST', files, { name: 'a.py', path: '/src', content: 'x' }, 'name'],
    ['POST', files, { name: 'a.py', path: '/src', content: 'x' }, 'path'],
    ['POST', files, { name: 'a.py', path: '/src', content: 'x' }, 'content'],
    ['PUT', `${files}/${fileId}`, { name: 'main.py', path: '/', content: 'x' }, 'name'],
    ['PUT', `${files}/${fileId}`, { name: 'main.py', path: '/', content: 'x' }, 'path'],
    ['PUT', `${files}/${fileId}`, { name: 'main.py', path: '/', content: 'x' }, 'content'],
    ['POST', `/projects/${projectId}/comments`, { content: 'c', parentId: commentId }, 'content'],
    ['POST', `/projects/${projectId}/comments`, { content: 'c', parentId: commentId }, 'parentId'],
    ['PATCH', `/projects/${projectId}/comments/${commentId}`, { content: 'c' }, 'content'],
    ['POST', '/api-keys', { name: 'k', scopes: ['read'] }, 'name'],
    ['POST', '/execute', exec, 'language'],
    ['POST', '/execute', exec, 'version'],
    ['POST', '/execute', exec, 'code'],
    ['POST', '/execute', exec, 'stdin'],
    ['POST', '/execute', exec, 'args.1'],
    ['POST', '/execute/batch', batch, 'files.0.name'],
    ['POST', '/execute/batch', batch, 'files.0.path'],
    ['POST', '/execute/batch', batch, 'files.0.content'],
    ['POST', '/execute/batch', batch, 'mainFile'],
    ['POST', '/execute/batch', batch, 'region'],
  ];
}

/** A copy of `body` with the string at dotted `path` replaced by `value`. */
function spoil(body: Record<string, unknown>, path: string, value: string): Record<string, unknown> {
  const copy = structuredClone(body);
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys.at(-1)!] = value;
  return copy;
}

describe('strings with NUL or lone surrogates', () => {
  for (const [kind, value] of Object.entries(bad)) {
    it(`refuses a ${kind} in every string field of every body with 400 naming the field`, async () => {
      const answers = [];
      for (const [method, path, body, field] of cases()) {
        const r = await api(method, path, { token: user.token, body: spoil(body, field, value) });
        answers.push([method, path, field, r.status, r.body?.error?.code, r.body?.error?.details?.field]);
      }
      expect(answers).toEqual(
        cases().map(([method, path, , field]) => [method, path, field, 400, 'validation_failed', field]),
      );
      // Nothing of it was stored: the project, its file and its comment are as they were.
      const p = await api('GET', `/projects/${projectId}`, { token: user.token });
      expect(p.body.data.name).toBe('input');
      const f = await api('GET', `/projects/${projectId}/files/${fileId}`, { token: user.token });
      expect(f.body.data.content).toBe('print(1)');
    });

    it(`refuses a ${kind} in a query parameter with 400 naming it`, async () => {
      for (const [path, name] of [
        ['/projects/public', 'q'],
        ['/projects', 'q'],
        ['/executions', 'language'],
      ] as const) {
        // encodeURIComponent of a lone surrogate throws; its UTF-8-like bytes are what arrives.
        const encoded = kind === 'nul' ? 'a%00b' : 'a%ED%A0%80b';
        const r = await api('GET', `${path}?${name}=${encoded}`, { token: user.token });
        expect([path, r.status, r.body.error.code, r.body.error.details.field]).toEqual([
          path,
          400,
          'validation_failed',
          name,
        ]);
      }
    });
  }

  it('refuses a body that is not valid UTF-8 instead of turning it into U+FFFD', async () => {
    const json = Buffer.from('{"name":"a\xff\xfeb","language":"python"}', 'latin1');
    const res = await fetch(`${apiUrl()}/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: json,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe('validation_failed');
    const list = await api('GET', '/projects', { token: user.token });
    expect(list.body.data.projects.map((p: { name: string }) => p.name)).toEqual(['input']);
  });

  it('keeps every other string exactly, astral characters and controls included', async () => {
    const name = 'é\u0301😀\t\u007f\u200b𝔘';
    const p = await api('POST', '/projects', {
      token: user.token,
      body: { name, description: name, language: 'python' },
    });
    expect(p.status).toBe(201);
    const got = await api('GET', `/projects/${p.body.data.id}`, { token: user.token });
    expect([got.body.data.name, got.body.data.description]).toEqual([name, name]);
    await api('DELETE', `/projects/${p.body.data.id}`, { token: user.token });
  });
});

describe('normalisation', () => {
  it('a full name that grows past 100 characters under NFC is a 400 naming fullName', async () => {
    const id = randomId();
    // U+0958 is one character; NFC makes it two (U+0915 U+093C): 60 become 120.
    const r = await api('POST', '/auth/register', {
      body: {
        email: `nfc-${id}@example.com`,
        password: 'Secure-Pass-123',
        username: `nfc_${id}`,
        fullName: '\u0958'.repeat(60),
      },
    });
    expect([r.status, r.body.error?.details?.field]).toEqual([400, 'fullName']);
    const ok = await api('POST', '/auth/register', {
      body: {
        email: `nfc-${id}@example.com`,
        password: 'Secure-Pass-123',
        username: `nfc_${id}`,
        fullName: '\u0958'.repeat(50),
      },
    });
    expect(ok.status).toBe(201);
  });

  it('an upper-case execution id is the same execution: cancel stops it', async () => {
    const sub = await api('POST', '/execute', {
      token: user.token,
      body: { language: 'python', code: 'import time\nprint("up", flush=True)\ntime.sleep(60)' },
    });
    expect(sub.status).toBe(200);
    const id: string = sub.body.data.executionId;
    await waitFor(
      'the execution to run',
      async () => {
        const r = await api('GET', `/execute/${id.toUpperCase()}`, { token: user.token });
        return r.body.data.status === 'running' ? true : undefined;
      },
      60_000,
    );
    const cancel = await api('POST', `/execute/${id.toUpperCase()}/cancel`, { token: user.token });
    expect([200, 202]).toContain(cancel.status);
    expect(cancel.body.data.executionId).toBe(id);
    const done = await waitForResult(user.token, id, 30_000);
    expect(done.status).toBe('cancelled');
  });
});

describe('content type on /api/v1', () => {
  it('a JSON body without a Content-Type is refused with 415 in the envelope', async () => {
    const res = await fetch(`${apiUrl()}/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}` },
      // Bytes, not a string: fetch labels a string body text/plain on its own.
      body: new TextEncoder().encode(JSON.stringify({ name: 'untyped', language: 'python' })),
    });
    expect(res.status).toBe(415);
    const body = (await res.json()) as { success: boolean; error: { code: string } };
    expect([body.success, body.error.code]).toEqual([false, 'unsupported_media_type']);
    // A request without a body needs no Content-Type (logout, cancel).
    const bare = await fetch(`${apiUrl()}/auth/me`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(bare.status).toBe(200);
  });
});

describe('sessions', () => {
  const login = async (u: TestUser) =>
    (await api('POST', '/auth/login', { body: { email: u.email, password: u.password } })).body.data as {
      token: string;
      refreshToken: string;
    };

  it("logout with another user's refresh token is a 401 and leaves that session alone", async () => {
    const [a, b] = [await newUser(), await newUser()];
    const bSession = await login(b);
    const r = await api('POST', '/auth/logout', {
      token: a.token,
      body: { refreshToken: bSession.refreshToken },
    });
    expect([r.status, r.body.error?.code]).toEqual([401, 'unauthorized']);
    // a's access token was not revoked by the refused logout, and b's refresh token still works.
    expect((await api('GET', '/auth/me', { token: a.token })).status).toBe(200);
    const refreshed = await api('POST', '/auth/refresh', { body: { refreshToken: bSession.refreshToken } });
    expect(refreshed.status).toBe(200);
  });

  it('logout without a refresh token ends the session: its refresh token is refused', async () => {
    const u = await newUser();
    const session = await login(u);
    const out = await api('POST', '/auth/logout', { token: session.token });
    expect(out.status).toBe(200);
    const r = await api('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(r.status).toBe(401);
    // Another session of the same user is not affected.
    expect((await api('GET', '/auth/me', { token: u.token })).status).toBe(200);
  });

  it("after refresh-token reuse, the session's access tokens are revoked too", async () => {
    const u = await newUser();
    const first = await login(u);
    const rotated = await api('POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(rotated.status).toBe(200);
    expect((await api('GET', '/auth/me', { token: rotated.body.data.token })).status).toBe(200);
    // A replay of the spent token (a stolen copy): the whole session dies.
    const replay = await api('POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(replay.status).toBe(401);
    for (const token of [first.token, rotated.body.data.token]) {
      const me = await api('GET', '/auth/me', { token });
      expect([me.status, me.body.error?.code]).toEqual([401, 'unauthorized']);
    }
    // The user's other sessions live on.
    expect((await api('GET', '/auth/me', { token: u.token })).status).toBe(200);
  });
});

describe('health', () => {
  it('tells the public only up or degraded; administrators also see services and runners', async () => {
    const anonymous = await api('GET', '/health');
    expect(anonymous.status).toBe(200);
    expect(Object.keys(anonymous.body).sort()).toEqual(['status', 'timestamp']);
    expect(anonymous.body.status).toBe('up');
    const asUser = await api('GET', '/health', { token: user.token });
    expect(Object.keys(asUser.body).sort()).toEqual(['status', 'timestamp']);
    const admin = await newAdmin();
    const detailed = await api('GET', '/health', { token: admin.token });
    expect(detailed.body.status).toBe('up');
    expect(detailed.body.services).toMatchObject({
      database: 'up',
      redis: 'up',
      runners: 'up',
      // The suite runs the S3 path (the machine's radosgw).
      storage: { kind: 's3', status: 'up' },
    });
    expect(detailed.body.runners.map((r: { id: string }) => r.id)).toContain(inject('runnerId'));
  });
});

describe('file versions (ETag / If-Match)', () => {
  it('GET and PUT answer an ETag; a PUT with a stale If-Match is a 412 and loses nothing', async () => {
    const files = `/projects/${projectId}/files`;
    const created = await api('POST', files, { token: user.token, body: { name: 'etag.py', content: 'v1' } });
    expect(created.status).toBe(201);
    const id = created.body.data.id as string;
    const read = await api('GET', `${files}/${id}`, { token: user.token });
    const v1 = read.headers.get('etag');
    expect(v1).toMatch(/^"[^"]+"$/);
    expect(created.headers.get('etag')).toBe(v1);
    // Two writers read v1; the first writes, the second's If-Match is now stale.
    const first = await api('PUT', `${files}/${id}`, {
      token: user.token,
      body: { content: 'first' },
      headers: { 'if-match': v1! },
    });
    expect(first.status).toBe(200);
    const v2 = first.headers.get('etag');
    expect(v2).toMatch(/^"[^"]+"$/);
    expect(v2).not.toBe(v1);
    const second = await api('PUT', `${files}/${id}`, {
      token: user.token,
      body: { content: 'second' },
      headers: { 'if-match': v1! },
    });
    expect([second.status, second.body.success, second.body.error?.code]).toEqual([
      412,
      false,
      'precondition_failed',
    ]);
    const now = await api('GET', `${files}/${id}`, { token: user.token });
    expect([now.body.data.content, now.headers.get('etag')]).toEqual(['first', v2]);
    // The current tag (or *) lets the write through; no If-Match keeps last-write-wins.
    const third = await api('PUT', `${files}/${id}`, {
      token: user.token,
      body: { content: 'third' },
      headers: { 'if-match': `"nope", ${v2}` },
    });
    expect(third.status).toBe(200);
    const star = await api('PUT', `${files}/${id}`, {
      token: user.token,
      body: { content: 'fourth' },
      headers: { 'if-match': '*' },
    });
    expect(star.status).toBe(200);
  });

  it('of many concurrent writers holding the same ETag exactly one wins', async () => {
    const files = `/projects/${projectId}/files`;
    const created = await api('POST', files, { token: user.token, body: { name: 'race.py', content: 'v1' } });
    const id = created.body.data.id as string;
    const tag = created.headers.get('etag')!;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api('PUT', `${files}/${id}`, {
          token: user.token,
          body: { content: `writer ${i}` },
          headers: { 'if-match': tag },
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 412, 412, 412, 412, 412]);
    const winner = results.find((r) => r.status === 200)!;
    const now = await api('GET', `${files}/${id}`, { token: user.token });
    expect(now.body.data.content).toBe(winner.body.data.content);
  });
});

describe('per-user caps under parallel requests', () => {
  it('60 parallel submits cannot pass the active-executions cap (8)', async () => {
    const u = await newUser();
    const results = await Promise.all(
      Array.from({ length: 60 }, () =>
        api('POST', '/execute', {
          token: u.token,
          body: { language: 'python', code: '1', region: 'no-agents-here' },
        }),
      ),
    );
    const accepted = results.filter((r) => r.status === 200);
    expect(accepted).toHaveLength(8);
    expect(results.filter((r) => r.body.error?.code === 'too_many_active_executions')).toHaveLength(52);
    for (const r of accepted)
      await api('POST', `/execute/${r.body.data.executionId}/cancel`, { token: u.token });
  });

  it('parallel creates cannot pass the API-key cap (25)', async () => {
    const u = await newUser();
    const results = await Promise.all(
      Array.from({ length: 35 }, (_, i) =>
        api('POST', '/api-keys', { token: u.token, body: { name: `k${i}`, scopes: ['read'] } }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(25);
    expect(results.filter((r) => r.body.error?.code === 'too_many_api_keys')).toHaveLength(10);
    expect((await api('GET', '/api-keys', { token: u.token })).body.data).toHaveLength(25);
  });
});
