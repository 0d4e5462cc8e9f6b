import { describe, expect, it } from 'vitest';
import { api, newUser, type TestUser } from '../support/api.js';

async function project(user: TestUser, body: Record<string, unknown> = {}) {
  const r = await api('POST', '/projects', {
    token: user.token,
    body: { name: 'My App', language: 'python', ...body },
  });
  expect(r.status).toBe(201);
  return r.body.data as { id: string; name: string; createdAt: string; updatedAt: string };
}

describe('projects CRUD', () => {
  it('creates, reads with files, replaces, patches and soft-deletes', async () => {
    const user = await newUser();
    const p = await project(user, { description: 'Learning', visibility: 'private' });
    expect(p).toMatchObject({ name: 'My App', createdAt: expect.any(String) });

    const got = await api('GET', `/projects/${p.id}`, { token: user.token });
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({
      id: p.id,
      name: 'My App',
      description: 'Learning',
      language: 'python',
      visibility: 'private',
      starCount: 0,
      files: [],
      isOwner: true,
    });

    const put = await api('PUT', `/projects/${p.id}`, {
      token: user.token,
      body: { name: 'Renamed', language: 'javascript' },
    });
    expect(put.status).toBe(200);
    // PUT replaces: the description it did not send is gone.
    expect(put.body.data).toMatchObject({ name: 'Renamed', language: 'javascript', description: null });

    const patch = await api('PATCH', `/projects/${p.id}`, {
      token: user.token,
      body: { description: 'New' },
    });
    expect(patch.status).toBe(200);
    expect(patch.body.data).toMatchObject({ name: 'Renamed', description: 'New', language: 'javascript' });

    const del = await api('DELETE', `/projects/${p.id}`, { token: user.token });
    expect(del.status).toBe(200);
    for (const [m, path] of [
      ['GET', `/projects/${p.id}`],
      ['PATCH', `/projects/${p.id}`],
      ['DELETE', `/projects/${p.id}`],
      ['PUT', `/projects/${p.id}/star`],
      ['POST', `/projects/${p.id}/fork`],
    ] as const) {
      const r = await api(m, path, { token: user.token, ...(m === 'PATCH' ? { body: { name: 'x' } } : {}) });
      expect([m, path, r.status]).toEqual([m, path, 404]);
    }
    const list = await api('GET', '/projects', { token: user.token });
    expect(list.body.data.projects).toEqual([]);
  });

  it('validates input with 400s naming the field', async () => {
    const user = await newUser();
    const cases: [Record<string, unknown>, string][] = [
      [{ language: 'python' }, 'name'],
      [{ name: '', language: 'python' }, 'name'],
      [{ name: 'x'.repeat(201), language: 'python' }, 'name'],
      [{ name: 'x', language: 'python', visibility: 'secret' }, 'visibility'],
      [{ name: 'x', language: 'klingon' }, 'language'],
      [{ name: 'x', language: 'python', description: 'd'.repeat(5001) }, 'description'],
    ];
    for (const [body, field] of cases) {
      const r = await api('POST', '/projects', { token: user.token, body });
      expect(r.status).toBe(400);
      expect(r.body.error.details.field).toBe(field);
    }
  });

  it('never mass-assigns role, user_id, star_count or other unknown fields', async () => {
    const user = await newUser();
    const other = await newUser();
    const r = await api('POST', '/projects', {
      token: user.token,
      body: {
        name: 'Mine',
        language: 'python',
        user_id: other.userId,
        userId: other.userId,
        star_count: 999,
        starCount: 999,
        role: 'admin',
        deleted_at: null,
      },
    });
    // Unknown fields are rejected outright, or ignored; never applied.
    if (r.status === 201) {
      const got = await api('GET', `/projects/${r.body.data.id}`, { token: user.token });
      expect(got.body.data.owner.id).toBe(user.userId);
      expect(got.body.data.starCount).toBe(0);
    } else {
      expect(r.status).toBe(400);
    }
    expect((await api('GET', '/projects', { token: other.token })).body.data.projects).toEqual([]);
    const patched = await api('PATCH', `/projects/${(await project(user)).id}`, {
      token: user.token,
      body: { star_count: 5, user_id: other.userId },
    });
    expect([200, 400]).toContain(patched.status);
    const me = await api('GET', '/auth/me', { token: user.token });
    expect(me.body.data.role).toBe('user');
  });

  it('lists with pagination, sort and filters', async () => {
    const user = await newUser();
    const a = await project(user, { name: 'alpha', language: 'python' });
    const b = await project(user, { name: 'beta', language: 'javascript' });
    const c = await project(user, { name: 'gamma', language: 'python', visibility: 'public' });
    await api('PATCH', `/projects/${a.id}`, { token: user.token, body: { description: 'touched last' } });

    const byUpdated = await api('GET', '/projects?sort=-updatedAt', { token: user.token });
    expect(byUpdated.body.data.projects.map((p: { id: string }) => p.id)).toEqual([a.id, c.id, b.id]);
    expect(byUpdated.body.data.pagination).toEqual({ total: 3, page: 1, limit: 10, pages: 1 });
    expect(byUpdated.body.data.projects[0]).toMatchObject({ fileCount: 0, description: 'touched last' });

    const page = await api('GET', '/projects?sort=name&page=2&limit=2', { token: user.token });
    expect(page.body.data.projects.map((p: { id: string }) => p.id)).toEqual([c.id]);
    expect(page.body.data.pagination).toEqual({ total: 3, page: 2, limit: 2, pages: 2 });

    const py = await api('GET', '/projects?language=python&sort=createdAt', { token: user.token });
    expect(py.body.data.projects.map((p: { id: string }) => p.id)).toEqual([a.id, c.id]);
    const pub = await api('GET', '/projects?visibility=public', { token: user.token });
    expect(pub.body.data.projects.map((p: { id: string }) => p.id)).toEqual([c.id]);
    const q = await api('GET', `/projects?q=${encodeURIComponent("et' OR '1'='1")}`, { token: user.token });
    expect(q.status).toBe(200);
    expect(q.body.data.pagination.total).toBe(0);

    for (const bad of [
      'page=0',
      'page=-5',
      'page=1e40',
      'limit=101',
      'limit=-1',
      'sort=password_hash',
      'sort=;drop',
    ]) {
      const r = await api('GET', `/projects?${bad}`, { token: user.token });
      expect([bad, r.status]).toEqual([bad, 400]);
    }
  });
});

describe('visibility', () => {
  it('public and unlisted are readable by anyone with the link, private only by its owner', async () => {
    const owner = await newUser();
    const stranger = await newUser();
    const priv = await project(owner, { visibility: 'private' });
    const unlisted = await project(owner, { visibility: 'unlisted' });
    const pub = await project(owner, { name: 'Shown', visibility: 'public' });

    expect((await api('GET', `/projects/${priv.id}`, { token: stranger.token })).status).toBe(404);
    expect((await api('GET', `/projects/${priv.id}`)).status).toBe(404);
    for (const p of [unlisted, pub]) {
      const anon = await api('GET', `/projects/${p.id}`);
      expect(anon.status).toBe(200);
      expect(anon.body.data.isOwner).toBe(false);
      expect((await api('GET', `/projects/${p.id}`, { token: stranger.token })).status).toBe(200);
      // Read-only for everyone else: writes answer 404 as if it did not exist.
      expect(
        (await api('PATCH', `/projects/${p.id}`, { token: stranger.token, body: { name: 'pwned' } })).status,
      ).toBe(404);
      expect((await api('DELETE', `/projects/${p.id}`, { token: stranger.token })).status).toBe(404);
      expect(
        (
          await api('PUT', `/projects/${p.id}`, {
            token: stranger.token,
            body: { name: 'x', language: 'python' },
          })
        ).status,
      ).toBe(404);
    }
    const listed = await api('GET', '/projects/public?limit=100&sort=-createdAt');
    const ids = listed.body.data.projects.map((p: { id: string }) => p.id);
    expect(ids).toContain(pub.id);
    expect(ids).not.toContain(unlisted.id);
    expect(ids).not.toContain(priv.id);
    // A bad token is a 401 even where a token is optional.
    expect((await api('GET', `/projects/${pub.id}`, { token: 'garbage' })).status).toBe(401);
  });
});

describe('stars', () => {
  it('20 concurrent stars from different users count 20; repeats and unstars stay exact', async () => {
    const owner = await newUser();
    const p = await project(owner, { visibility: 'public' });
    const users = await Promise.all(Array.from({ length: 20 }, () => newUser()));
    const results = await Promise.all(
      users.map((u) => api('PUT', `/projects/${p.id}/star`, { token: u.token })),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const after = await api('GET', `/projects/${p.id}`);
    expect(after.body.data.starCount).toBe(20);
    // Starring twice counts once, even at the same time.
    const twice = await Promise.all(
      [1, 2, 3].map(() => api('PUT', `/projects/${p.id}/star`, { token: users[0]!.token })),
    );
    expect(twice.map((r) => r.body.data.starCount)).toEqual([20, 20, 20]);
    const un = await Promise.all(
      users.slice(0, 5).map((u) => api('DELETE', `/projects/${p.id}/star`, { token: u.token })),
    );
    expect(un.every((r) => r.status === 200)).toBe(true);
    const final = await api('GET', `/projects/${p.id}`, { token: users[0]!.token });
    expect(final.body.data).toMatchObject({ starCount: 15, starred: false });
    const again = await api('DELETE', `/projects/${p.id}/star`, { token: users[0]!.token });
    expect(again.body.data.starCount).toBe(15);
  });

  it('a private project of someone else cannot be starred (404)', async () => {
    const owner = await newUser();
    const other = await newUser();
    const p = await project(owner);
    expect((await api('PUT', `/projects/${p.id}/star`, { token: other.token })).status).toBe(404);
  });
});

describe('fork', () => {
  it('copies a public project and its files into a private project of the caller', async () => {
    const owner = await newUser();
    const other = await newUser();
    const p = await project(owner, { visibility: 'public', description: 'orig' });
    const f = await api('POST', `/projects/${p.id}/files`, {
      token: owner.token,
      body: { name: 'main.py', content: "print('hi')" },
    });
    expect(f.status).toBe(201);
    const fork = await api('POST', `/projects/${p.id}/fork`, { token: other.token });
    expect(fork.status).toBe(201);
    expect(fork.body.data).toMatchObject({ forkedFrom: p.id, visibility: 'private', description: 'orig' });
    expect(fork.body.data.owner.id).toBe(other.userId);
    const got = await api('GET', `/projects/${fork.body.data.id}`, { token: other.token });
    expect(got.body.data.files.map((x: { name: string; content: string }) => [x.name, x.content])).toEqual([
      ['main.py', "print('hi')"],
    ]);
    // The fork is the forker's, and private.
    expect((await api('GET', `/projects/${fork.body.data.id}`, { token: owner.token })).status).toBe(404);
    const priv = await project(owner);
    expect((await api('POST', `/projects/${priv.id}/fork`, { token: other.token })).status).toBe(404);
  });
});

describe('comments', () => {
  it('threads replies; only the author edits or deletes', async () => {
    const owner = await newUser();
    const a = await newUser();
    const b = await newUser();
    const p = await project(owner, { visibility: 'public' });
    const top = await api('POST', `/projects/${p.id}/comments`, {
      token: a.token,
      body: { content: 'Nice!' },
    });
    expect(top.status).toBe(201);
    const reply = await api('POST', `/projects/${p.id}/comments`, {
      token: b.token,
      body: { content: 'Agreed', parentId: top.body.data.id },
    });
    expect(reply.status).toBe(201);
    const list = await api('GET', `/projects/${p.id}/comments`);
    expect(list.status).toBe(200);
    expect(list.body.data.comments).toHaveLength(1);
    expect(list.body.data.comments[0]).toMatchObject({ content: 'Nice!', author: { id: a.userId } });
    expect(list.body.data.comments[0].replies[0]).toMatchObject({
      content: 'Agreed',
      parentId: top.body.data.id,
    });

    const path = `/projects/${p.id}/comments/${top.body.data.id}`;
    expect((await api('PATCH', path, { token: b.token, body: { content: 'hacked' } })).status).toBe(404);
    expect((await api('DELETE', path, { token: owner.token })).status).toBe(404);
    const edit = await api('PATCH', path, { token: a.token, body: { content: 'Very nice!' } });
    expect(edit.status).toBe(200);
    expect(edit.body.data.content).toBe('Very nice!');
    expect((await api('DELETE', path, { token: a.token })).status).toBe(200);
    const after = await api('GET', `/projects/${p.id}/comments`);
    expect(after.body.data.comments[0]).toMatchObject({ deleted: true, content: null });
    expect(after.body.data.comments[0].replies).toHaveLength(1);

    expect(
      (await api('POST', `/projects/${p.id}/comments`, { token: a.token, body: { content: '' } })).status,
    ).toBe(400);
    expect(
      (
        await api('POST', `/projects/${p.id}/comments`, {
          token: a.token,
          body: { content: 'x'.repeat(5001) },
        })
      ).status,
    ).toBe(400);
    const other = await project(owner, { visibility: 'public' });
    const cross = await api('POST', `/projects/${other.id}/comments`, {
      token: a.token,
      body: { content: 'x', parentId: reply.body.data.id },
    });
    expect(cross.status).toBe(400);
    const priv = await project(owner);
    expect((await api('GET', `/projects/${priv.id}/comments`, { token: a.token })).status).toBe(404);
    expect(
      (await api('POST', `/projects/${priv.id}/comments`, { token: a.token, body: { content: 'hi' } }))
        .status,
    ).toBe(404);
  });
});
