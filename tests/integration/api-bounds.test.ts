import { describe, expect, it } from 'vitest';
import { api, apiUrl, newUser, type TestUser } from '../support/api.js';
import { sql } from '../support/sql.js';

async function publicProject(user: TestUser) {
  const r = await api('POST', '/projects', {
    token: user.token,
    body: { name: 'Big', language: 'python', visibility: 'public' },
  });
  expect(r.status).toBe(201);
  return r.body.data.id as string;
}

const MiB = 1024 * 1024;

describe('a project answer is bounded whatever the project holds', () => {
  it('lists 100 files of 1 MiB to anyone in one small answer; each file has its own route', async () => {
    const owner = await newUser();
    const pid = await publicProject(owner);
    // 100 × 1 MiB straight into the table (the API would take 100 requests to do the same).
    await sql(
      `INSERT INTO files (project_id, name, path, content, size_bytes)
       SELECT $1, 'f' || lpad(g::text, 3, '0') || '.py', '/', repeat(chr(97 + g % 26), ${MiB}), ${MiB}
       FROM generate_series(1, 100) g`,
      [pid],
    );
    const res = await fetch(`${apiUrl()}/projects/${pid}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    // The default CP_PROJECT_INLINE_CONTENT_BYTES is 1 MiB: one file's content, the rest listed.
    expect(text.length).toBeLessThan(MiB + 64 * 1024);
    const files = (JSON.parse(text) as { data: { files: Record<string, unknown>[] } }).data.files;
    expect(files).toHaveLength(100);
    expect(files[0]).toMatchObject({ name: 'f001.py', size: MiB, contentOmitted: false });
    expect((files[0]!['content'] as string).length).toBe(MiB);
    for (const f of files.slice(1))
      expect(f).toMatchObject({ size: MiB, content: null, contentOmitted: true });
    const one = await api('GET', `/projects/${pid}/files/${files[50]!['id'] as string}`);
    expect(one.status).toBe(200);
    expect(one.body.data.content).toBe('z'.repeat(MiB));
    // Running it would send 100 MiB as one job: refused before any content is read.
    const run = await api('POST', `/projects/${pid}/run`, { token: owner.token, body: {} });
    expect(run.status).toBe(422);
    expect(run.body.error.code).toBe('project_too_large');
  });

  it('still carries every content of a small project, and the zip export holds all files', async () => {
    const owner = await newUser();
    const pid = await publicProject(owner);
    for (const name of ['a.py', 'b.py']) {
      const r = await api('POST', `/projects/${pid}/files`, {
        token: owner.token,
        body: { name, content: `print("${name}")` },
      });
      expect(r.status).toBe(201);
    }
    const got = await api('GET', `/projects/${pid}`);
    expect(got.body.data.files.map((f: { content: string }) => f.content)).toEqual([
      'print("a.py")',
      'print("b.py")',
    ]);
    expect(got.body.data.files.every((f: { contentOmitted: boolean }) => !f.contentOmitted)).toBe(true);
    const zip = await fetch(`${apiUrl()}/projects/${pid}/archive`);
    expect(zip.status).toBe(200);
    const bytes = Buffer.from(await zip.arrayBuffer());
    // Stored uncompressed or not, the central directory names each entry.
    expect(bytes.includes('a.py')).toBe(true);
    expect(bytes.includes('b.py')).toBe(true);
  });
});

describe('comments are bounded per project and per thread', () => {
  it('refuses a reply past the thread cap with 409 too_many_replies, at any depth', async () => {
    const owner = await newUser();
    const pid = await publicProject(owner);
    const other = await newUser();
    const top = await api('POST', `/projects/${pid}/comments`, {
      token: other.token,
      body: { content: 'top' },
    });
    expect(top.status).toBe(201);
    const topId = top.body.data.id as string;
    const first = await api('POST', `/projects/${pid}/comments`, {
      token: other.token,
      body: { content: 'r', parentId: topId },
    });
    expect(first.status).toBe(201);
    // 199 more replies (the default CP_MAX_REPLIES_PER_COMMENT is 200), under the first reply.
    await sql(
      `INSERT INTO comments (project_id, user_id, parent_id, content)
       SELECT $1, $2, $3, 'r' || g FROM generate_series(1, 199) g`,
      [pid, other.userId, first.body.data.id],
    );
    for (const parentId of [topId, first.body.data.id as string]) {
      const r = await api('POST', `/projects/${pid}/comments`, {
        token: other.token,
        body: { content: 'one too many', parentId },
      });
      expect(r.status).toBe(409);
      expect(r.body.error).toMatchObject({ code: 'too_many_replies', details: { limit: 200 } });
    }
    // Another thread is not held by this one's cap.
    const fresh = await api('POST', `/projects/${pid}/comments`, {
      token: other.token,
      body: { content: 'new' },
    });
    expect(fresh.status).toBe(201);
    const reply = await api('POST', `/projects/${pid}/comments`, {
      token: other.token,
      body: { content: 'ok', parentId: fresh.body.data.id },
    });
    expect(reply.status).toBe(201);
  });

  it('refuses a comment past the project cap with 409 too_many_comments', async () => {
    const owner = await newUser();
    const pid = await publicProject(owner);
    // The default CP_MAX_COMMENTS_PER_PROJECT is 10000.
    await sql(
      `INSERT INTO comments (project_id, user_id, content)
       SELECT $1, $2, 'c' || g FROM generate_series(1, 10000) g`,
      [pid, owner.userId],
    );
    const r = await api('POST', `/projects/${pid}/comments`, {
      token: owner.token,
      body: { content: 'more' },
    });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'too_many_comments', details: { limit: 10000 } });
    const other = await publicProject(owner);
    expect(
      (await api('POST', `/projects/${other}/comments`, { token: owner.token, body: { content: 'ok' } }))
        .status,
    ).toBe(201);
  });

  it('cuts a page past 1000 replies (repliesTruncated, parents kept); one thread per page is whole', async () => {
    const owner = await newUser();
    const pid = await publicProject(owner);
    const tops = await sql(
      `INSERT INTO comments (project_id, user_id, content)
       SELECT $1, $2, 'top ' || g FROM generate_series(1, 6) g RETURNING id`,
      [pid, owner.userId],
    );
    // 6 threads of 200 replies: 1200 in all, past CP_COMMENT_LIST_MAX_REPLIES (1000).
    await sql(
      `INSERT INTO comments (project_id, user_id, parent_id, content, created_at)
       SELECT $1, $2, t.id, 'reply ' || g, now() + g * interval '1 millisecond'
       FROM unnest($3::uuid[]) AS t(id), generate_series(1, 200) g`,
      [pid, owner.userId, tops.map((t: { id: string }) => t.id)],
    );
    type C = { id: string; replies: C[] };
    const count = (cs: C[]): number => cs.reduce((n, c) => n + c.replies.length + count(c.replies), 0);
    const page = await api('GET', `/projects/${pid}/comments?limit=100`);
    expect(page.status).toBe(200);
    expect(page.body.data.comments).toHaveLength(6);
    expect(page.body.data.repliesTruncated).toBe(true);
    expect(count(page.body.data.comments)).toBe(1000);
    const one = await api('GET', `/projects/${pid}/comments?limit=1&page=6`);
    expect(one.body.data.repliesTruncated).toBe(false);
    expect(one.body.data.comments[0].replies).toHaveLength(200);
  });
});
