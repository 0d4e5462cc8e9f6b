import { describe, expect, it } from 'vitest';
import { api, newUser, waitForResult, type TestUser } from '../support/api.js';
import { sql } from '../support/sql.js';

async function project(user: TestUser, body: Record<string, unknown> = {}) {
  const r = await api('POST', '/projects', {
    token: user.token,
    body: { name: 'P', language: 'python', ...body },
  });
  expect(r.status).toBe(201);
  return r.body.data.id as string;
}

async function waitUntil(check: () => Promise<boolean>, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stats = async (user: TestUser) => (await api('GET', '/stats', { token: user.token })).body.data;

describe('files', () => {
  it('create, get, update, delete; path + name unique per project', async () => {
    const user = await newUser();
    const pid = await project(user);
    const created = await api('POST', `/projects/${pid}/files`, {
      token: user.token,
      body: { name: 'utils.py', content: 'def helper(): pass', path: '/src' },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ name: 'utils.py', path: '/src', size: 18, language: 'python' });
    const fid = created.body.data.id as string;

    const dup = await api('POST', `/projects/${pid}/files`, {
      token: user.token,
      body: { name: 'utils.py', content: 'x', path: 'src/' },
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('file_exists');
    // The same name in another folder is another file.
    expect(
      (
        await api('POST', `/projects/${pid}/files`, {
          token: user.token,
          body: { name: 'utils.py', content: '' },
        })
      ).status,
    ).toBe(201);

    const got = await api('GET', `/projects/${pid}/files/${fid}`, { token: user.token });
    expect(got.body.data.content).toBe('def helper(): pass');
    const upd = await api('PUT', `/projects/${pid}/files/${fid}`, {
      token: user.token,
      body: { content: 'def helper():\n    return 1\n' },
    });
    expect(upd.status).toBe(200);
    expect(upd.body.data).toMatchObject({ name: 'utils.py', path: '/src', size: 27 });
    // Renaming onto an existing file is a conflict too.
    const clash = await api('PUT', `/projects/${pid}/files/${fid}`, {
      token: user.token,
      body: { path: '/' },
    });
    expect(clash.status).toBe(409);

    const proj = await api('GET', `/projects/${pid}`, { token: user.token });
    expect(proj.body.data.files.map((f: { path: string; name: string }) => `${f.path}|${f.name}`)).toEqual([
      '/|utils.py',
      '/src|utils.py',
    ]);
    expect(proj.body.data.fileCount).toBe(2);
    expect((await api('DELETE', `/projects/${pid}/files/${fid}`, { token: user.token })).status).toBe(200);
    expect((await api('GET', `/projects/${pid}/files/${fid}`, { token: user.token })).status).toBe(404);
    expect((await api('DELETE', `/projects/${pid}/files/${fid}`, { token: user.token })).status).toBe(404);
  });

  it.each([
    ['../etc/passwd', undefined],
    ['x.py', '/src/../../etc'],
    ['/etc/passwd', undefined],
    ['a\u0000b.py', undefined],
    ['a\nb.py', undefined],
    ['a\\b.py', undefined],
    ['..', undefined],
    ['a/b.py', undefined],
    ['x'.repeat(256), undefined],
    ['ok.py', '/' + 'd/'.repeat(200)],
  ])('rejects name %j in path %j with 400', async (name, path) => {
    const user = await newUser();
    const pid = await project(user);
    const r = await api('POST', `/projects/${pid}/files`, {
      token: user.token,
      body: { name, content: 'x', ...(path === undefined ? {} : { path }) },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
  });

  it('another user’s files answer 404 on every route', async () => {
    const owner = await newUser();
    const other = await newUser();
    const pid = await project(owner);
    const f = await api('POST', `/projects/${pid}/files`, {
      token: owner.token,
      body: { name: 'a.py', content: '1' },
    });
    const path = `/projects/${pid}/files/${f.body.data.id}`;
    expect((await api('GET', path, { token: other.token })).status).toBe(404);
    expect((await api('GET', path)).status).toBe(404);
    expect((await api('PUT', path, { token: other.token, body: { content: 'pwned' } })).status).toBe(404);
    expect((await api('DELETE', path, { token: other.token })).status).toBe(404);
    expect(
      (
        await api('POST', `/projects/${pid}/files`, {
          token: other.token,
          body: { name: 'b.py', content: '' },
        })
      ).status,
    ).toBe(404);
    expect((await api('GET', path, { token: owner.token })).body.data.content).toBe('1');
    // Public: readable by anyone, still writable only by its owner.
    await api('PATCH', `/projects/${pid}`, { token: owner.token, body: { visibility: 'public' } });
    expect((await api('GET', path)).status).toBe(200);
    expect((await api('PUT', path, { token: other.token, body: { content: 'pwned' } })).status).toBe(404);
  });

  it('enforces the storage quota atomically and gives bytes back once a deleted project is purged', async () => {
    const user = await newUser();
    await sql('UPDATE user_quotas SET max_storage_mb = 1 WHERE user_id = $1', [user.userId]);
    const pid = await project(user);
    const content = 'x'.repeat(400 * 1024);
    // Three concurrent 400 KiB files against 1 MiB: exactly two fit.
    const results = await Promise.all(
      ['a.py', 'b.py', 'c.py'].map((name) =>
        api('POST', `/projects/${pid}/files`, { token: user.token, body: { name, content } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 413]);
    expect(results.find((r) => r.status === 413)!.body.error.code).toBe('storage_quota_exceeded');
    expect((await stats(user)).storageUsed).toBeCloseTo(0.78, 2);
    const [row] = await sql('SELECT storage_used_bytes::int AS b FROM user_quotas WHERE user_id = $1', [
      user.userId,
    ]);
    expect(row.b).toBe(2 * 400 * 1024);
    // A deleted project's files stay charged (and stored) until it is purged after the retention.
    expect((await api('DELETE', `/projects/${pid}`, { token: user.token })).status).toBe(200);
    expect((await stats(user)).storageUsed).toBe(0);
    expect((await stats(user)).quota.storageChargedBytes).toBe(2 * 400 * 1024);
    const pid2 = await project(user);
    const refused = await api('POST', `/projects/${pid2}/files`, {
      token: user.token,
      body: { name: 'a.py', content },
    });
    expect(refused.status).toBe(413);
    // Past the retention the purge removes the project, its files and rows, and gives the bytes back.
    await sql(`UPDATE projects SET deleted_at = now() - interval '30 days' WHERE id = $1`, [pid]);
    await waitUntil(async () => (await sql('SELECT 1 FROM projects WHERE id = $1', [pid])).length === 0);
    expect(await sql('SELECT 1 FROM files WHERE project_id = $1', [pid])).toEqual([]);
    expect((await stats(user)).quota.storageChargedBytes).toBe(0);
    expect(
      (await api('POST', `/projects/${pid2}/files`, { token: user.token, body: { name: 'a.py', content } }))
        .status,
    ).toBe(201);
  });

  it('keeps a deleted project within its retention (not purged early)', async () => {
    const user = await newUser();
    const pid = await project(user);
    await api('POST', `/projects/${pid}/files`, { token: user.token, body: { name: 'a.py', content: 'x' } });
    expect((await api('DELETE', `/projects/${pid}`, { token: user.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await sql('SELECT 1 FROM files WHERE project_id = $1', [pid])).toHaveLength(1);
    expect((await api('GET', `/projects/${pid}`, { token: user.token })).status).toBe(404);
  });

  it('bounds the number of files per project (409 too_many_files)', async () => {
    const user = await newUser();
    const pid = await project(user);
    // 199 files straight into the table (the default maximum is 200), then the API adds the last.
    await sql(
      `INSERT INTO files (project_id, name, path, content, size_bytes)
       SELECT $1, 'f' || g || '.py', '/', '', 0 FROM generate_series(1, 199) g`,
      [pid],
    );
    const last = await api('POST', `/projects/${pid}/files`, {
      token: user.token,
      body: { name: 'last.py', content: '' },
    });
    expect(last.status).toBe(201);
    const over = await api('POST', `/projects/${pid}/files`, {
      token: user.token,
      body: { name: 'over.py', content: '' },
    });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('too_many_files');
  });

  it('a fork is charged to the forker’s storage quota', async () => {
    const owner = await newUser();
    const forker = await newUser();
    const pid = await project(owner, { visibility: 'public' });
    await api('POST', `/projects/${pid}/files`, {
      token: owner.token,
      body: { name: 'big.py', content: 'x'.repeat(700 * 1024) },
    });
    await sql('UPDATE user_quotas SET max_storage_mb = 1 WHERE user_id = $1', [forker.userId]);
    expect((await api('POST', `/projects/${pid}/fork`, { token: forker.token })).status).toBe(201);
    const second = await api('POST', `/projects/${pid}/fork`, { token: forker.token });
    expect(second.status).toBe(413);
    expect(second.body.error.code).toBe('storage_quota_exceeded');
    expect((await api('GET', '/projects', { token: forker.token })).body.data.pagination.total).toBe(1);
  });

  it('bounds file size', async () => {
    const user = await newUser();
    const pid = await project(user);
    const r = await api('POST', `/projects/${pid}/files`, {
      token: user.token,
      body: { name: 'big.py', content: 'x'.repeat(1024 * 1024 + 1) },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details.field).toBe('content');
  });
});

describe('POST /projects/{id}/run and GET /stats', () => {
  it('runs the project from its main file and counts it in the caller’s stats', async () => {
    const user = await newUser();
    const pid = await project(user);
    await api('POST', `/projects/${pid}/files`, {
      token: user.token,
      body: { name: 'greet.py', path: '/lib', content: "def hi():\n    return 'hi from lib'\n" },
    });
    await api('POST', `/projects/${pid}/files`, {
      token: user.token,
      body: {
        name: 'app.py',
        content: 'import sys\nsys.path.insert(0, "lib")\nimport greet\nprint(greet.hi())\n',
        isMain: true,
      },
    });
    const before = await stats(user);
    expect(before).toMatchObject({ totalExecutions: 0, totalProjects: 1, executionTimeToday: 0 });
    const r = await api('POST', `/projects/${pid}/run`, { token: user.token, body: { wait: true } });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ status: 'completed', output: 'hi from lib\n' });
    const result = await waitForResult(user.token, r.body.data.executionId);
    expect(result.status).toBe('completed');
    const history = await api('GET', `/executions?project=${pid}`, { token: user.token });
    expect(history.body.data.executions.map((e: { executionId: string }) => e.executionId)).toEqual([
      r.body.data.executionId,
    ]);
    const after = await stats(user);
    expect(after.totalExecutions).toBe(1);
    expect(after.executionTimeToday).toBeGreaterThan(0);
    expect(before.storageUsedBytes).toBeGreaterThan(50);
    expect(after.storageUsedBytes).toBe(before.storageUsedBytes);
    // Someone else's private project cannot be run.
    const other = await newUser();
    expect((await api('POST', `/projects/${pid}/run`, { token: other.token, body: {} })).status).toBe(404);
    const empty = await project(user);
    expect((await api('POST', `/projects/${empty}/run`, { token: user.token, body: {} })).status).toBe(400);
  });
});
