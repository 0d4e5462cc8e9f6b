import { piston } from 'piston-client';
import { describe, expect, it } from 'vitest';
import { raw, rootUrl, userWithKey } from '../support/compat.js';

describe('Piston v2 API', () => {
  it('runs python and C through piston-client unchanged, the key in the base URL', async () => {
    const u = await userWithKey();
    const client = piston({ server: `${rootUrl()}/piston/${u.key}` });
    const runtimes = await client.runtimes();
    expect(runtimes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          language: 'python',
          version: expect.stringMatching(/^3\./),
          aliases: expect.any(Array),
        }),
      ]),
    );
    const py = await client.execute('python', 'import sys\nprint(sys.argv[1:], input())', { stdin: 'typed' });
    expect(py).toMatchObject({
      language: 'python',
      version: expect.stringMatching(/^3\./),
      run: {
        stdout: "['1', '2', '3'] typed\n",
        stderr: '',
        output: "['1', '2', '3'] typed\n",
        code: 0,
        signal: null,
      },
    });
    const c = await client.execute(
      'c',
      '#include <stdio.h>\nint main(void) { puts("from c"); return 4; }\n',
      {
        args: [],
      },
    );
    expect(c).toMatchObject({ language: 'c', run: { stdout: 'from c\n', code: 4 }, compile: { code: 0 } });
    const ce = await client.execute('c', 'int main( {');
    expect(ce.compile.code).not.toBe(0);
    expect(ce.compile.stderr).toMatch(/error/);
  });

  it('takes a semver range, named files and the Authorization header', async () => {
    const u = await userWithKey();
    const r = await raw('POST', '/piston/api/v2/execute', {
      headers: { authorization: u.key, 'content-type': 'application/json' },
      body: JSON.stringify({
        language: 'py',
        version: '3.11.x',
        files: [
          { name: 'main.py', content: 'import helper\nhelper.hi()' },
          {
            name: 'helper.py',
            content: Buffer.from('def hi(): print("hi")').toString('base64'),
            encoding: 'base64',
          },
        ],
        run_timeout: 3000,
        run_memory_limit: -1,
      }),
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      language: 'python',
      version: expect.stringMatching(/^3\.11\./),
      run: { stdout: 'hi\n', code: 0 },
    });
    expect(r.body.compile).toBeUndefined();
  });

  it("answers errors in Piston's shape", async () => {
    const u = await userWithKey();
    const body = JSON.stringify({ language: 'python', version: '*', files: [{ content: 'print(1)' }] });
    const none = await raw('POST', '/piston/api/v2/execute', { body });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ message: expect.any(String) });
    const wrongKey = await raw('POST', '/piston/msk_nope/api/v2/execute', { body });
    expect(wrongKey.status).toBe(401);
    const unknown = await raw('POST', `/piston/${u.key}/api/v2/execute`, {
      body: JSON.stringify({ language: 'klingon', version: '*', files: [{ content: 'x' }] }),
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/klingon/);
    const noFiles = await raw('POST', `/piston/${u.key}/api/v2/execute`, {
      body: JSON.stringify({ language: 'python', version: '*' }),
    });
    expect(noFiles.status).toBe(400);
    expect(noFiles.body).toEqual({ message: expect.stringMatching(/files/) });
    const badVersion = await raw('POST', `/piston/${u.key}/api/v2/execute`, {
      body: JSON.stringify({ language: 'python', version: '1.x', files: [{ content: 'x' }] }),
    });
    expect(badVersion.status).toBe(400);
  });

  it('reports a timeout and a signal as Piston does', async () => {
    const u = await userWithKey();
    const post = (content: string, extra: Record<string, unknown> = {}) =>
      raw('POST', `/piston/${u.key}/api/v2/execute`, {
        body: JSON.stringify({ language: 'python', version: '*', files: [{ content }], ...extra }),
      });
    const slow = await post('import time\ntime.sleep(30)', { run_timeout: 1000 });
    expect(slow.status).toBe(200);
    expect(slow.body.run.status).toBe('TO');
    const killed = await post('import os, signal\nos.kill(os.getpid(), signal.SIGKILL)');
    expect(killed.body.run).toMatchObject({ signal: 'SIGKILL', status: 'SG', code: null });
  });
});
