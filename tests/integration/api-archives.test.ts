import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { describe, expect, it } from 'vitest';
import { api, apiUrl, newUser, type TestUser } from '../support/api.js';

/** A zip made with yazl; `mode` per entry for symlinks. */
async function zipOf(
  entries: Array<{ path: string; content: string | Buffer; mode?: number }>,
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(Buffer.from(e.content), e.path, e.mode ? { mode: e.mode } : {});
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** name → content of every file entry of a zip. */
function unzip(bytes: Buffer): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out: Record<string, string> = {};
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(e, (err2, s) => {
          if (err2 || !s) return reject(err2);
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('end', () => {
            out[e.fileName] = Buffer.concat(chunks).toString('utf8');
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.readEntry();
    });
  });
}

async function importZip(user: TestUser, bytes: Buffer, query = 'name=Imported&language=python') {
  const r = await fetch(`${apiUrl()}/projects/import?${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/zip' },
    body: bytes,
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the envelope as the client reads it
  return { status: r.status, body: (await r.json()) as any };
}

describe('project archives', () => {
  it('exports a project with folders as a zip and imports it back as a new project, byte for byte', async () => {
    const user = await newUser();
    const created = await api('POST', '/projects', {
      token: user.token,
      body: { name: 'Zip Me', language: 'python' },
    });
    const id = created.body.data.id as string;
    const files = [
      { name: 'main.py', content: 'from lib.util import f\nprint(f())\n', isMain: true },
      { name: 'util.py', path: '/lib', content: 'def f():\n    return "héllo ✓"\n' },
      { name: 'data.txt', path: '/lib/deep/er', content: 'x'.repeat(5000) },
    ];
    for (const f of files) {
      expect((await api('POST', `/projects/${id}/files`, { token: user.token, body: f })).status).toBe(201);
    }

    const res = await fetch(`${apiUrl()}/projects/${id}/archive`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="Zip-Me.zip"');
    const archive = Buffer.from(await res.arrayBuffer());
    expect(await unzip(archive)).toEqual({
      'main.py': files[0]!.content,
      'lib/util.py': files[1]!.content,
      'lib/deep/er/data.txt': files[2]!.content,
    });

    const imported = await importZip(user, archive, 'name=Copy&language=python');
    expect(imported.status).toBe(201);
    const copy = imported.body.data;
    expect(copy).toMatchObject({ name: 'Copy', language: 'python', visibility: 'private', isOwner: true });
    expect(copy.id).not.toBe(id);
    const byPlace = Object.fromEntries(
      copy.files.map((f: { path: string; name: string; content: string; isMain: boolean }) => [
        `${f.path}|${f.name}`,
        { content: f.content, isMain: f.isMain },
      ]),
    );
    expect(byPlace).toEqual({
      '/|main.py': { content: files[0]!.content, isMain: true },
      '/lib|util.py': { content: files[1]!.content, isMain: false },
      '/lib/deep/er|data.txt': { content: files[2]!.content, isMain: false },
    });
  });

  it("another user's private project has no archive for them (404); a public one does", async () => {
    const [owner, other] = [await newUser(), await newUser()];
    const p = await api('POST', '/projects', {
      token: owner.token,
      body: { name: 'Secret', language: 'python' },
    });
    await api('POST', `/projects/${p.body.data.id}/files`, {
      token: owner.token,
      body: { name: 'a.py', content: 'x' },
    });
    const url = `${apiUrl()}/projects/${p.body.data.id}/archive`;
    const denied = await fetch(url, { headers: { authorization: `Bearer ${other.token}` } });
    expect(denied.status).toBe(404);
    expect(((await denied.json()) as { success: boolean }).success).toBe(false);
    await api('PATCH', `/projects/${p.body.data.id}`, { token: owner.token, body: { visibility: 'public' } });
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(200);
    expect(await unzip(Buffer.from(await anonymous.arrayBuffer()))).toEqual({ 'a.py': 'x' });
  });

  it('refuses a zip bomb with 400 before inflating it, and creates nothing', async () => {
    const user = await newUser();
    // 900 KiB of zeros (under the per-file limit) compress about 1000 : 1.
    const bomb = await zipOf([{ path: 'main.py', content: Buffer.alloc(900 * 1024, 0x20) }]);
    expect(bomb.length).toBeLessThan(10_000);
    const r = await importZip(user, bomb);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, error: { code: 'validation_failed' } });
    expect(r.body.error.message).toMatch(/expands \d+ times/);
    const mine = await api('GET', '/projects', { token: user.token });
    expect(mine.body.data.pagination.total).toBe(0);
  });

  it('refuses an archive of more files than a project may hold, with 400', async () => {
    const user = await newUser();
    const many = await zipOf(Array.from({ length: 201 }, (_, i) => ({ path: `f${i}.py`, content: 'x' })));
    const r = await importZip(user, many);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/more than 200 files/);
  });

  it('refuses "../" entries, absolute paths and symlinks with 400', async () => {
    const user = await newUser();
    // yazl will not write "../": write "xx/evil.py" and rename it in both headers.
    const climbing = await zipOf([{ path: 'xx/evil.py', content: 'print(1)' }]);
    const patched = Buffer.from(climbing.toString('latin1').replaceAll('xx/evil.py', '../evil.py'), 'latin1');
    const r1 = await importZip(user, patched);
    expect(r1.status).toBe(400);
    expect(JSON.stringify(r1.body.error)).toMatch(/\.\./);

    const absolute = Buffer.from(
      (await zipOf([{ path: 'xetc/passwd', content: 'root' }]))
        .toString('latin1')
        .replaceAll('xetc/passwd', '/etc/passwd'),
      'latin1',
    );
    expect((await importZip(user, absolute)).status).toBe(400);

    const link = await zipOf([{ path: 'link.py', content: '/etc/passwd', mode: 0o120777 }]);
    const r3 = await importZip(user, link);
    expect(r3.status).toBe(400);
    expect(r3.body.error.message).toMatch(/symbolic link/);
  });

  it('refuses bodies that are not zips, or not labelled as one', async () => {
    const user = await newUser();
    expect((await importZip(user, Buffer.from('not a zip at all'))).status).toBe(400);
    const unlabelled = await fetch(`${apiUrl()}/projects/import?name=x&language=python`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unlabelled.status).toBe(415);
    const anonymous = await fetch(`${apiUrl()}/projects/import?name=x&language=python`, {
      method: 'POST',
      headers: { 'content-type': 'application/zip' },
      body: await zipOf([{ path: 'a.py', content: 'x' }]),
    });
    expect(anonymous.status).toBe(401);
    const badLanguage = await importZip(
      user,
      await zipOf([{ path: 'a.py', content: 'x' }]),
      'name=x&language=cobol-9000',
    );
    expect(badLanguage.status).toBe(400);
  });
});
