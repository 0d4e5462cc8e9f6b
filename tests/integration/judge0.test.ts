import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/stack.js';
import { api } from '../support/api.js';
import { judge0, userWithKey } from '../support/compat.js';
import { WsClient } from '../support/ws.js';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/** Submits with wait=true and answers every field. */
async function run(key: string, body: Record<string, unknown>) {
  const r = await judge0('POST', '/submissions?wait=true&fields=*', key, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

describe('Judge0 CE API: reference endpoints', () => {
  it('lists statuses exactly as Judge0 does', async () => {
    const r = await judge0('GET', '/statuses', undefined);
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(14);
    expect(r.body[0]).toEqual({ id: 1, description: 'In Queue' });
    expect(r.body[10]).toEqual({ id: 11, description: 'Runtime Error (NZEC)' });
    expect(r.body[13]).toEqual({ id: 14, description: 'Exec Format Error' });
  });

  it("lists languages with Judge0's ids, and one language by id", async () => {
    const r = await judge0('GET', '/languages', undefined);
    expect(r.status).toBe(200);
    const ids = new Map(r.body.map((l: { id: number; name: string }) => [l.id, l.name]));
    expect(ids.get(71)).toMatch(/^Python/);
    expect(ids.get(54)).toMatch(/^C\+\+/);
    expect(ids.get(62)).toMatch(/^Java/);
    const one = await judge0('GET', '/languages/71', undefined);
    expect(one.body).toMatchObject({ id: 71, is_archived: false, source_file: expect.any(String) });
    expect((await judge0('GET', '/languages/424242', undefined)).status).toBe(404);
    const about = await judge0('GET', '/about', undefined);
    expect(about.body.version).toEqual(expect.any(String));
    const config = await judge0('GET', '/config_info', undefined);
    expect(config.body).toMatchObject({ enable_wait_result: true, enable_batched_submissions: true });
  });
});

describe('Judge0 CE API: submissions', () => {
  it('answers a token, then the submission with the default fields (the documented example)', async () => {
    const u = await userWithKey();
    const created = await judge0('POST', '/submissions', u.key, {
      source_code:
        '#include <stdio.h>\n\nint main(void) {\n  char name[10];\n  scanf("%s", name);\n  printf("hello, %s\\n", name);\n  return 0;\n}\n',
      language_id: 50,
      stdin: 'world',
      expected_output: 'hello, world',
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual(['token']);
    const seen: number[] = [];
    const done = await waitFor(
      'the finished submission',
      async () => {
        const r = await judge0('GET', `/submissions/${created.body.token}`, u.key);
        expect(r.status).toBe(200);
        seen.push(r.body.status.id);
        return r.body.status.id >= 3 ? r.body : undefined;
      },
      60_000,
    );
    expect(Object.keys(done).sort()).toEqual(
      ['compile_output', 'memory', 'message', 'status', 'stderr', 'stdout', 'time', 'token'].sort(),
    );
    expect(done).toMatchObject({ stdout: 'hello, world\n', status: { id: 3, description: 'Accepted' } });
    expect(Number(done.time)).toBeGreaterThanOrEqual(0);
    expect(done.memory).toEqual(expect.any(Number));
    // Before it finished it was in queue or processing, never something else.
    expect(seen.slice(0, -1).every((id) => id === 1 || id === 2)).toBe(true);
    const some = await judge0('GET', `/submissions/${created.body.token}?fields=status_id,stdout`, u.key);
    expect(some.body).toEqual({ status_id: 3, stdout: 'hello, world\n' });
  });

  it('reaches every verdict status with a real program', async () => {
    const u = await userWithKey();
    const py = (source_code: string, extra: Record<string, unknown> = {}) =>
      run(u.key, { language_id: 71, source_code, ...extra });
    // Thunks, run four at a time: a user may have only so many executions active at once.
    const cases: [number, () => Promise<{ status: { id: number } }>][] = [
      [3, () => py('print("ok")', { expected_output: 'ok' })],
      [4, () => py('print("no")', { expected_output: 'ok' })],
      [5, () => py('while True: pass', { cpu_time_limit: 1, wall_time_limit: 3 })],
      [6, () => run(u.key, { language_id: 50, source_code: 'int main( { return 0; }' })],
      [7, () => py('import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)')],
      [9, () => py('import os, signal\nos.kill(os.getpid(), signal.SIGFPE)')],
      [10, () => py('import os\nos.abort()')],
      [11, () => py('raise SystemExit(3)')],
      [12, () => py('import os, signal\nos.kill(os.getpid(), signal.SIGUSR1)')],
      [
        14,
        () =>
          run(u.key, {
            language_id: 46,
            source_code: "printf '\\177ELF\\000\\000\\001' > x\nchmod +x x\n./x\n",
          }),
      ],
    ];
    for (let i = 0; i < cases.length; i += 4) {
      const chunk = cases.slice(i, i + 4);
      const results = await Promise.all(chunk.map(([, submit]) => submit()));
      results.forEach((r, j) => expect(r.status.id, JSON.stringify(r)).toBe(chunk[j]![0]));
    }
  });

  it('reports SIGXFSZ for a file over max_file_size', async () => {
    const u = await userWithKey();
    // The shell's own process (exec) writes: Python would ignore SIGXFSZ and raise instead.
    const r = await run(u.key, {
      language_id: 46,
      source_code: 'exec head -c 200000 /dev/zero > big\n',
      max_file_size: 8,
    });
    expect(r.status).toEqual({ id: 8, description: 'Runtime Error (SIGXFSZ)' });
  });

  it('compares with expected output as Judge0 does and names compile output', async () => {
    const u = await userWithKey();
    const ok = await run(u.key, {
      language_id: 71,
      source_code: 'print("a  ")\nprint("b")\n\n',
      expected_output: 'a\nb\n',
    });
    expect(ok.status.id).toBe(3);
    expect(ok.expected_output).toBe('a\nb\n');
    const ce = await run(u.key, { language_id: 54, source_code: 'int main() { return x; }' });
    expect(ce.status.id).toBe(6);
    expect(ce.compile_output).toMatch(/x/);
    expect(ce.stdout).toBeNull();
  });

  it('round-trips non-UTF-8 bytes in source, stdin and output with base64, and refuses them as text', async () => {
    const u = await userWithKey();
    const source =
      'import sys\nsys.stdout.buffer.write(bytes([0xff, 0xfe, 0x00]) + sys.stdin.buffer.read())\n';
    // Not UTF-8: a lone continuation byte, an overlong form, a NUL and 0xff.
    const stdin = Buffer.from([0x80, 0xc0, 0xaf, 0x00, 0xff, 0x68, 0x69]);
    const r = await judge0('POST', '/submissions?base64_encoded=true&wait=true&fields=*', u.key, {
      source_code: b64(source),
      language_id: 71,
      stdin: stdin.toString('base64'),
    });
    expect(r.status).toBe(201);
    expect(r.body.status.id, JSON.stringify(r.body)).toBe(3);
    expect(Buffer.from(r.body.stdout, 'base64')).toEqual(
      Buffer.concat([Buffer.from([0xff, 0xfe, 0]), stdin]),
    );
    // The stdin it was given is kept byte for byte, and answered back.
    expect(Buffer.from(r.body.stdin, 'base64')).toEqual(stdin);
    // Source bytes that are not UTF-8 reach the program as they are: a Latin-1 é in a script.
    const latin1 = Buffer.concat([Buffer.from("printf 'caf"), Buffer.from([0xe9]), Buffer.from("\\n'\n")]);
    const src = await judge0(
      'POST',
      '/submissions?base64_encoded=true&wait=true&fields=stdout,source_code',
      u.key,
      {
        source_code: latin1.toString('base64'),
        language_id: 46,
      },
    );
    expect(src.status).toBe(201);
    expect(Buffer.from(src.body.stdout, 'base64')).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    expect(Buffer.from(src.body.source_code, 'base64')).toEqual(latin1);
    const text = await judge0('GET', `/submissions/${r.body.token}`, u.key);
    expect(text.status).toBe(400);
    expect(text.body.error).toMatch(/base64_encoded=true/);
    // wait=true answers the token and the same error (201), as Judge0 does.
    const waited = await judge0('POST', '/submissions?wait=true', u.key, {
      source_code: 'import sys\nsys.stdout.buffer.write(b"\\xfe")\n',
      language_id: 71,
    });
    expect(waited.status).toBe(201);
    expect(waited.body).toEqual({
      token: expect.any(String),
      error:
        'some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter',
    });
    const bad = await judge0('POST', '/submissions?base64_encoded=true', u.key, {
      source_code: '***',
      language_id: 71,
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual({ source_code: [expect.stringMatching(/base64/)] });
  });

  it('reaches In Queue and Processing while the runner is busy, and Internal Error when the sandbox is killed', async () => {
    const u = await userWithKey();
    // The stack's agent runs two executions at once: the third waits in the queue.
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await judge0('POST', '/submissions', u.key, {
        language_id: 71,
        source_code: 'import time\ntime.sleep(3)\nprint("slept")',
      });
      expect(r.status).toBe(201);
      tokens.push(r.body.token);
    }
    const seen = new Set<number>();
    const done = await waitFor(
      'the three submissions',
      async () => {
        const r = await judge0('GET', `/submissions/batch?tokens=${tokens.join(',')}&fields=status`, u.key);
        const ids = r.body.submissions.map((x: { status: { id: number } }) => x.status.id);
        for (const id of ids) seen.add(id);
        return ids.every((id: number) => id >= 3) ? ids : undefined;
      },
      60_000,
      100,
    );
    expect(done).toEqual([3, 3, 3]);
    expect(seen.has(1)).toBe(true);
    expect(seen.has(2)).toBe(true);

    // The sandbox dies from outside (a platform fault, not the program's): 13 Internal Error.
    const ws = await WsClient.connect(u.token);
    const created = await judge0('POST', '/submissions', u.key, {
      language_id: 71,
      source_code: 'import time\nprint(open("/etc/hostname").read().strip(), flush=True)\ntime.sleep(30)',
    });
    const token = created.body.token as string;
    ws.send({ type: 'subscribe', executionId: token });
    await ws.next((m) => m.type === 'output' && m.executionId === token);
    const container = ws.bytes(token).toString().trim();
    await new Docker({ socketPath: '/var/run/docker.sock' }).getContainer(container).kill();
    const final = await waitFor(
      'the killed submission',
      async () => {
        const r = await judge0('GET', `/submissions/${token}?fields=status,message`, u.key);
        return r.body.status.id >= 3 ? r.body : undefined;
      },
      60_000,
    );
    ws.close();
    expect(final.status).toEqual({ id: 13, description: 'Internal Error' });
    expect(final.message).toEqual(expect.any(String));
  });

  it('deletes a finished submission as Judge0 does, and refuses an unfinished one', async () => {
    const u = await userWithKey();
    const other = await userWithKey();
    const done = await run(u.key, { language_id: 71, source_code: 'print("bye")' });
    expect((await judge0('DELETE', `/submissions/${done.token}`, other.key)).status).toBe(404);
    const del = await judge0('DELETE', `/submissions/${done.token}?fields=stdout,status_id`, u.key);
    expect(del.status).toBe(200);
    // base64_encoded is forced to true, so every field can be answered.
    expect(del.body).toEqual({ stdout: 'YnllCg==\n', status_id: 3 });
    expect((await judge0('GET', `/submissions/${done.token}`, u.key)).status).toBe(404);
    expect((await judge0('DELETE', `/submissions/${done.token}`, u.key)).status).toBe(404);

    const slow = await judge0('POST', '/submissions', u.key, {
      language_id: 71,
      source_code: 'import time\ntime.sleep(2)',
    });
    const early = await judge0('DELETE', `/submissions/${slow.body.token}`, u.key);
    expect(early.status).toBe(400);
    expect(early.body.error).toMatch(
      /^submission cannot be deleted because its status is [12] \((In Queue|Processing)\)$/,
    );
    const config = await judge0('GET', '/config_info', undefined);
    expect(config.body.enable_submission_delete).toBe(true);
  });

  it("gives a deleted submission's stored artifacts back to the owner's storage quota", async () => {
    const u = await userWithKey();
    const used = async () =>
      (await api('GET', '/stats', { token: u.token })).body.data.quota.storageChargedBytes as number;
    const before = await used();
    const done = await run(u.key, {
      language_id: 71,
      source_code:
        "import os\nos.makedirs('/workspace/output', exist_ok=True)\nopen('/workspace/output/a.bin', 'wb').write(b'x' * 50000)",
    });
    expect(done.status.id).toBe(3);
    expect(await used()).toBe(before + 50000);
    expect((await judge0('DELETE', `/submissions/${done.token}`, u.key)).status).toBe(200);
    expect(await used()).toBe(before);
  });

  it('creates and reads a batch, answering errors in place', async () => {
    const u = await userWithKey();
    const created = await judge0('POST', '/submissions/batch', u.key, {
      submissions: [
        { language_id: 71, source_code: 'print(1)' },
        { language_id: 999999, source_code: 'print(2)' },
        { language_id: 63, source_code: 'console.log(3)' },
      ],
    });
    expect(created.status).toBe(201);
    expect(created.body).toHaveLength(3);
    expect(created.body[1]).toEqual({ language_id: [expect.stringMatching(/999999/)] });
    const tokens = [created.body[0].token, created.body[2].token];
    const all = await waitFor(
      'the batch',
      async () => {
        const r = await judge0(
          'GET',
          `/submissions/batch?tokens=${tokens.join(',')}&fields=token,stdout,status_id`,
          u.key,
        );
        expect(r.status).toBe(200);
        return r.body.submissions.every((s: { status_id: number }) => s.status_id >= 3)
          ? r.body.submissions
          : undefined;
      },
      60_000,
    );
    expect(all).toEqual([
      { token: tokens[0], stdout: '1\n', status_id: 3 },
      { token: tokens[1], stdout: '3\n', status_id: 3 },
    ]);
  });

  it('takes MUSCode API keys as X-Auth-Token and keeps submissions to their owner', async () => {
    const u = await userWithKey();
    const reader = await userWithKey(['read']);
    const body = { language_id: 71, source_code: 'print(1)' };
    expect((await judge0('POST', '/submissions', undefined, body)).status).toBe(401);
    expect((await judge0('POST', '/submissions', 'msk_not-a-key', body)).status).toBe(401);
    expect((await judge0('POST', '/submissions', reader.key, body)).status).toBe(403);
    const created = await judge0('POST', '/submissions', u.key, body);
    expect(created.status).toBe(201);
    expect((await judge0('GET', `/submissions/${created.body.token}`, reader.key)).status).toBe(404);
    const viaUser = await fetch(
      `${(await import('../support/compat.js')).rootUrl()}/judge0/submissions/${created.body.token}`,
      {
        headers: { 'x-auth-user': u.key },
      },
    );
    expect(viaUser.status).toBe(200);
  });

  it('answers invalid submissions with 422 field errors', async () => {
    const u = await userWithKey();
    const missing = await judge0('POST', '/submissions', u.key, { source_code: 'print(1)' });
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual({ language_id: ["can't be blank"] });
    const limit = await judge0('POST', '/submissions', u.key, {
      language_id: 71,
      source_code: 'x',
      cpu_time_limit: 100000,
    });
    expect(limit.status).toBe(422);
    expect(limit.body.cpu_time_limit).toEqual([expect.any(String)]);
    const flag = await judge0('POST', '/submissions', u.key, {
      language_id: 71,
      source_code: 'x',
      redirect_stderr_to_stdout: true,
    });
    expect(flag.status).toBe(422);
  });
});
