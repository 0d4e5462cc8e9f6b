import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  clientRoutes,
  MuscodeClient,
  MuscodeError,
  type RunEvent,
  type WebSocketConstructor,
} from '@muscode/client';
import { apiUrl } from '../support/api.js';
import { randomId, root } from '../support/stack.js';

/** The gateway's origin (apiUrl is `<origin>/api/v1`). */
const origin = () => apiUrl().replace(/\/api\/v1$/, '');
const newClient = (opts: ConstructorParameters<typeof MuscodeClient>[0] = {}) =>
  new MuscodeClient({ baseUrl: origin(), WebSocket: WebSocket as unknown as WebSocketConstructor, ...opts });

async function registered() {
  const id = randomId();
  const client = newClient();
  const creds = {
    email: `client-${id}@example.com`,
    password: `Secure-${id}-Pass1`,
    username: `client_${id}`,
  };
  await client.auth.register(creds);
  return { client, creds };
}

const text = (events: RunEvent[], stream: string) =>
  Buffer.concat(
    events.flatMap((e) => (e.type === 'output' && e.stream === stream ? [Buffer.from(e.bytes)] : [])),
  ).toString();

describe('@muscode/client against the real stack', () => {
  it('covers every operation of the OpenAPI document, and names none it lacks', async () => {
    const doc = (await (await fetch(`${apiUrl()}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/(.)\/$/, '$1')}`),
    );
    // Operator and machine routes (JWKS, runners, stats) are not part of the client, nor are the
    // Judge0 and Piston compatible APIs (their own clients speak them).
    const internal = /\/(auth\/jwks|runners|stats)\b|^\w+ \/(judge0|piston)\//;
    expect(documented.filter((r) => !internal.test(r) && !clientRoutes.includes(r))).toEqual([]);
    expect(clientRoutes.filter((r) => !documented.includes(r))).toEqual([]);
  });

  it('has its generated types from the very OpenAPI document the API serves', async () => {
    // `npm run gen:api` reads the document from the routes without a stack; it must be the one
    // served, or the types (checked fresh by `npm run gen:api:check`) would describe another API.
    const served: unknown = await (await fetch(`${apiUrl()}/openapi.json`)).json();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', `${root}/control-plane/src/cli/openapi.ts`],
      { cwd: root, maxBuffer: 64 << 20 },
    );
    expect(JSON.parse(stdout)).toEqual(served);
  });

  it('registers, logs in, reads itself, logs out; errors carry the stable code', async () => {
    const { client, creds } = await registered();
    const me = await client.auth.me();
    expect(me.email).toBe(creds.email);
    await client.auth.logout();
    expect(client.token).toBeNull();
    const err = await client.auth.me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MuscodeError);
    expect((err as MuscodeError).status).toBe(401);

    const wrong = await client.auth
      .login({ email: creds.email, password: 'wrong-password-1A' })
      .catch((e) => e);
    expect(wrong).toBeInstanceOf(MuscodeError);
    expect((wrong as MuscodeError).code).toBe('invalid_credentials');
    await client.auth.login(creds);
    expect((await client.auth.me()).email).toBe(creds.email);
  });

  it('refreshes an expired or rejected access token by itself, once', async () => {
    const { client } = await registered();
    const session = client.getSession()!;
    const seen: (string | undefined)[] = [];
    const stale = newClient({
      token: 'not-a-valid-token',
      refreshToken: session.refreshToken,
      onSession: (s) => seen.push(s?.token),
    });
    const me = await stale.auth.me();
    expect(me.id).toBeTruthy();
    expect(seen).toHaveLength(1);
    expect(stale.token).not.toBe('not-a-valid-token');
    // The refresh token rotated: the old one is spent.
    const again = newClient({ token: 'not-a-valid-token', refreshToken: session.refreshToken });
    const err = await again.auth.me().catch((e) => e);
    expect(err).toBeInstanceOf(MuscodeError);
  });

  it('submits, waits, gets, lists history, batches; a bad language is a MuscodeError', async () => {
    const { client } = await registered();
    const langs = await client.languages();
    expect(langs.map((l) => l.id)).toContain('python');
    expect(langs.find((l) => l.id === 'python')?.limits.timeoutSeconds.max).toBeGreaterThan(0);
    expect((await client.health()).status).toBe('up');

    const sub = await client.executions.submit({ language: 'python', code: 'print(6*7)' });
    expect(sub.status).toBe('queued');
    const done = await client.executions.wait(sub.executionId);
    expect(done).toMatchObject({ status: 'completed', output: '42\n' });
    // The answers are typed from the OpenAPI document: a field it does not have is a type error.
    // @ts-expect-error -- an execution has `output`, not `stdout`
    expect(done.stdout).toBeUndefined();
    expect((await client.executions.get(sub.executionId)).status).toBe('completed');
    const waited = await client.executions.submit({ language: 'python', code: 'print(1)' }, { wait: true });
    expect(waited.status).toBe('completed');
    expect(waited.output).toBe('1\n');
    expect(waited.executionTime).toBeGreaterThanOrEqual(0);
    const history = await client.executions.history({ limit: 10 });
    expect(history.executions.map((h) => h.executionId)).toContain(sub.executionId);
    expect(history.pagination.total).toBeGreaterThanOrEqual(2);
    const batch = await client.executions.batch({ language: 'python', code: 'print(2)' });
    expect(batch.executionId).toMatch(/^[0-9a-f-]{36}$/);

    const bad = await client.executions.submit({ language: 'no-such-language', code: '' }).catch((e) => e);
    expect(bad).toBeInstanceOf(MuscodeError);
    expect((bad as MuscodeError).code).toBe('unsupported_language');
  });

  it('run(): streams output live, answers interactive stdin, ends with the result', async () => {
    const { client } = await registered();
    const run = client.run({
      language: 'python',
      code: "import time\nfor i in range(3):\n    print('tick', i, flush=True)\n    time.sleep(0.2)\nname = input()\nprint('hi', name)\n",
      interactive: true,
    });
    const events: RunEvent[] = [];
    let answered = false;
    for await (const e of run) {
      events.push(e);
      if (!answered && text(events, 'stdout').includes('tick 2')) {
        answered = true;
        run.stdin('Ada\n');
        run.closeStdin();
      }
    }
    expect(run.result).toMatchObject({ status: 'completed', output: 'tick 0\ntick 1\ntick 2\nhi Ada\n' });
    const outputs = events.filter((e) => e.type === 'output');
    // Live: the ticks arrived as separate events before the result.
    expect(outputs.length).toBeGreaterThanOrEqual(3);
    expect(events.at(-1)?.type).toBe('result');
    expect(text(events, 'stdout')).toBe('tick 0\ntick 1\ntick 2\nhi Ada\n');
  });

  it('run(): reconnects after a dropped connection and resumes from the last seq, no gap or repeat', async () => {
    const { client } = await registered();
    const run = client.run({
      language: 'python',
      code: "import time\nfor i in range(8):\n    print('line', i, flush=True)\n    time.sleep(0.2)\n",
    });
    const events: RunEvent[] = [];
    let dropped = false;
    for await (const e of run) {
      events.push(e);
      if (!dropped && e.type === 'output') {
        dropped = true;
        run.dropConnection();
      }
    }
    expect(events.some((e) => e.type === 'reconnecting')).toBe(true);
    const expected = Array.from({ length: 8 }, (_, i) => `line ${i}\n`).join('');
    expect(text(events, 'stdout')).toBe(expected);
    const seqs = events.flatMap((e) => (e.type === 'output' ? [e.seq] : []));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(run.result?.status).toBe('completed');
  });

  it('run(): names a version and passes args, recorded and run exactly as REST execute', async () => {
    const { client } = await registered();
    const langs = await client.languages();
    const available = langs.find((l) => l.id === 'python')!.versions.filter((v) => v.available);
    // The oldest available version: the one a run without `version` would not pick.
    const oldest = available.at(-1)!.version;
    expect(available.length).toBeGreaterThan(1);
    const code = 'import platform, sys\nprint(platform.python_version())\nprint(sys.argv[1:])\n';
    const args = ['a b', '', '--x=1'];
    const run = client.run({ language: 'python', version: oldest, args, code });
    const result = await run.finished();
    expect(result).toMatchObject({ status: 'completed', output: `${oldest}\n['a b', '', '--x=1']\n` });
    const recorded = await client.executions.get(run.executionId!);
    expect(recorded.version).toBe(oldest);
    // The same request over REST records the same version.
    const rest = await client.executions.submit(
      { language: 'python', version: oldest, args, code },
      { wait: true },
    );
    expect(rest).toMatchObject({ version: oldest, output: `${oldest}\n['a b', '', '--x=1']\n` });
  });

  it('run(): files in folders, as the playground sends an open project (the WebSocket takes path)', async () => {
    const { client } = await registered();
    const run = client.run({
      language: 'python',
      files: [
        { name: 'main.py', path: '/', content: 'from lib.util import f\nprint(f())\n' },
        { name: 'util.py', path: '/lib', content: 'def f():\n    return "from lib"\n' },
      ],
      mainFile: 'main.py',
    });
    for await (const e of run) if (e.type === 'result') break;
    expect(run.result).toMatchObject({ status: 'completed', output: 'from lib\n' });
  });

  it('run(): grades against tests, with a test event per test before the result', async () => {
    const { client } = await registered();
    const run = client.run({
      language: 'python',
      code: 'print(int(input()) * 2)',
      tests: [
        { name: 'two', stdin: '2\n', expectedOutput: '4\n' },
        { name: 'three', stdin: '3\n', expectedOutput: '7\n' },
      ],
      checker: { type: 'trimmed' },
      stopOnFirstFailure: false,
    });
    const events: RunEvent[] = [];
    for await (const e of run) events.push(e);
    const tests = events.flatMap((e) => (e.type === 'test' ? [e] : []));
    expect(tests.map((t) => [t.index, t.test.name, t.test.status])).toEqual([
      [0, 'two', 'accepted'],
      [1, 'three', 'wrong_answer'],
    ]);
    expect(tests[1]!.test.output).toBe('6\n');
    expect(events.at(-1)?.type).toBe('result');
    expect(run.result?.summary).toMatchObject({
      passed: 1,
      total: 2,
      firstFailure: { index: 1, name: 'three' },
    });
  });

  it('run(): cancel stops a running program; a compile error is a verdict', async () => {
    const { client } = await registered();
    const run = client.run({
      language: 'python',
      code: "import time\nprint('started', flush=True)\ntime.sleep(30)\n",
    });
    for await (const e of run) if (e.type === 'output') run.cancel();
    expect(run.result).toMatchObject({ status: 'cancelled', output: 'started\n' });

    const c = await client.run({ language: 'c', code: 'int main( { return 0; }' }).finished();
    expect(c.status).toBe('compile_error');
  });

  it('projects, files, stars, forks, comments and API keys', async () => {
    const { client } = await registered();
    const p = await client.projects.create({ name: 'Client App', language: 'python', visibility: 'public' });
    const f = await client.files.create(p.id, {
      name: 'main.py',
      content: "print('from project')",
      isMain: true,
    });
    await client.files.update(p.id, f.id, { content: "print('edited')" });
    expect((await client.files.get(p.id, f.id)).content).toBe("print('edited')");
    const got = await client.projects.get(p.id);
    expect(got.files.map((x) => x.name)).toEqual(['main.py']);
    expect(got.isOwner).toBe(true);
    expect((await client.projects.update(p.id, { description: 'via client' })).description).toBe(
      'via client',
    );
    expect((await client.projects.list()).projects.map((x) => x.id)).toContain(p.id);

    const ran = await client.projects.run(p.id, { wait: true });
    expect(ran.status).toBe('completed');
    expect(ran.output).toBe('edited\n');

    const other = await registered();
    expect((await other.client.projects.star(p.id)).starred).toBe(true);
    expect((await other.client.projects.get(p.id)).starCount).toBe(1);
    await other.client.projects.unstar(p.id);
    const fork = await other.client.projects.fork(p.id);
    expect(fork.id).not.toBe(p.id);
    const comment = await other.client.comments.create(p.id, { content: 'nice' });
    await other.client.comments.update(p.id, comment.id, { content: 'very nice' });
    expect((await client.comments.list(p.id)).comments.map((c) => c.content)).toEqual(['very nice']);
    await other.client.comments.delete(p.id, comment.id);

    // A private project is not found for others: same error class and code as any other.
    const priv = await client.projects.create({ name: 'Secret', language: 'python', visibility: 'private' });
    const hidden = await other.client.projects.get(priv.id).catch((e) => e);
    expect(hidden).toBeInstanceOf(MuscodeError);
    expect((hidden as MuscodeError).status).toBe(404);

    const key = await client.apiKeys.create({ name: 'ci', scopes: ['execute', 'read'] });
    expect((await client.apiKeys.list()).map((k) => k.id)).toContain(key.id);
    expect(key.key).toMatch(/^msk_/);
    expect((await client.apiKeys.delete(key.id)).revoked).toBe(true);
    const revoked = await client.apiKeys.list();
    expect(revoked.find((k) => k.id === key.id)?.revokedAt).toBeTruthy();
    await client.files.delete(p.id, f.id);
    await client.projects.delete(p.id);
  });
});

describe('@muscode/client rate limits (pure client logic)', () => {
  it("executions.artifacts/artifact and output: a result's files and its stdout, whole and by range", async () => {
    const { client } = await registered();
    const e = await client.executions.submit(
      {
        language: 'python',
        code: [
          'import os',
          "os.makedirs('/workspace/output', exist_ok=True)",
          "open('/workspace/output/data.bin', 'wb').write(bytes(range(256)))",
          "print('0123456789', end='')",
        ].join('\n'),
      },
      { wait: true },
    );
    expect(e.status).toBe('completed');
    const { artifacts } = await client.executions.artifacts(e.executionId);
    expect(artifacts?.files.map((f) => f.name)).toEqual(['data.bin']);
    const file = artifacts!.files[0]!;
    const bytes = await client.executions.artifact(e.executionId, file.id);
    expect(Buffer.from(bytes)).toEqual(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    expect(Buffer.from(await client.executions.output(e.executionId, 'stdout')).toString()).toBe(
      '0123456789',
    );
    expect(
      Buffer.from(await client.executions.output(e.executionId, 'stdout', { start: 2, end: 4 })).toString(),
    ).toBe('234');
    expect(
      Buffer.from(await client.executions.output(e.executionId, 'stdout', { suffix: 3 })).toString(),
    ).toBe('789');
    // Its signed URL works without credentials, and not with the signature changed.
    const signed = new URL(file.signedUrl!, origin());
    const q = {
      expires: signed.searchParams.get('expires')!,
      signature: signed.searchParams.get('signature')!,
    };
    expect(Buffer.from(await newClient().artifacts.signed(file.id, q))).toEqual(Buffer.from(bytes));
    const forged = await newClient()
      .artifacts.signed(file.id, {
        ...q,
        signature: q.signature.replace(/^./, (c) => (c === '0' ? '1' : '0')),
      })
      .catch((x: unknown) => x);
    expect((forged as MuscodeError).status).toBe(404);
    const other = await registered();
    const denied = await other.client.executions.artifacts(e.executionId).catch((x: unknown) => x);
    expect(denied).toBeInstanceOf(MuscodeError);
    expect((denied as MuscodeError).status).toBe(404);
  });

  it('projects.archive and projects.importArchive round-trip a project with folders', async () => {
    const { client } = await registered();
    const p = await client.projects.create({ name: 'Archived', language: 'python' });
    await client.files.create(p.id, { name: 'main.py', content: 'import pkg.m', isMain: true });
    await client.files.create(p.id, { name: 'm.py', path: '/pkg', content: 'print("m")' });
    const zip = await client.projects.archive(p.id);
    expect(zip).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(zip.subarray(0, 2)).toString()).toBe('PK');
    const copy = await client.projects.importArchive(zip, { name: 'Restored', language: 'python' });
    expect(copy.files.map((f) => [f.path, f.name, f.content]).sort()).toEqual([
      ['/', 'main.py', 'import pkg.m'],
      ['/pkg', 'm.py', 'print("m")'],
    ]);
    const bad = await client.projects
      .importArchive(new Uint8Array([1, 2, 3]), { name: 'x', language: 'python' })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(MuscodeError);
    expect((bad as MuscodeError).status).toBe(400);
  });

  it('waits out a 429 Retry-After and retries; past the retries it throws rate_limited', async () => {
    const calls: number[] = [];
    const answers = [429, 429, 200];
    const fake: typeof fetch = async () => {
      const status = answers[calls.length] ?? 429;
      calls.push(status);
      return status === 200
        ? new Response(JSON.stringify({ success: true, data: { ok: true } }), { status })
        : new Response(
            JSON.stringify({ success: false, error: { code: 'rate_limited', message: 'slow down' } }),
            {
              status,
              headers: { 'retry-after': '0' },
            },
          );
    };
    const c = new MuscodeClient({ baseUrl: 'http://127.0.0.1:1', fetch: fake });
    expect(await c.health()).toEqual({ ok: true });
    expect(calls).toEqual([429, 429, 200]);

    calls.length = 0;
    answers.splice(0, 3, 429, 429, 429, 429);
    const err = await c.health().catch((e) => e);
    expect(err).toBeInstanceOf(MuscodeError);
    expect((err as MuscodeError).code).toBe('rate_limited');
    expect(calls).toEqual([429, 429, 429]);
  });
});
