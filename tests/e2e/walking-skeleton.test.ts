import Docker from 'dockerode';
import { describe, expect, inject, it } from 'vitest';
import { api, execute, newAdmin, newUser, waitForResult } from '../support/api.js';
import { waitFor } from '../support/stack.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

async function containersOfOurAgent() {
  return docker.listContainers({
    all: true,
    filters: { label: [`dev.muscode.runner=${inject('runnerId')}`] },
  });
}

describe('walking skeleton: register → login → execute under gVisor', () => {
  it('runs python hello world and measures it', async () => {
    const user = await newUser();
    const result = await execute(user.token, { language: 'python', code: "print('Hello, World!')" });
    expect(result.status).toBe('completed');
    expect(result.output).toBe('Hello, World!\n');
    expect(result.outputEncoding).toBe('utf8');
    expect(result.exitCode).toBe(0);
    expect(result.executionTime).toBeGreaterThan(0);
    expect(result.executionTime).toBeLessThan(5);
    // Measured peak memory of the interpreter: more than nothing, far less than the 128 MB limit.
    expect(result.memoryUsed).toBeGreaterThan(1);
    expect(result.memoryUsed).toBeLessThan(100);
  });

  it('runs javascript hello world', async () => {
    const user = await newUser();
    const result = await execute(user.token, {
      language: 'javascript',
      code: "console.log('Hello, World!')",
    });
    expect(result.status).toBe('completed');
    expect(result.output).toBe('Hello, World!\n');
    expect(result.exitCode).toBe(0);
    expect(result.memoryUsed).toBeGreaterThan(1);
  });

  it('echoes stdin byte for byte, in both languages', async () => {
    const user = await newUser();
    const stdin = 'line one\n  two with spaces  \n\ttabs ünïcødé ✓\n\nno newline at end';
    const py = await execute(user.token, {
      language: 'python',
      code: 'import sys\nsys.stdout.write(sys.stdin.read())',
      stdin,
    });
    expect(py.status).toBe('completed');
    expect(py.output).toBe(stdin);
    const js = await execute(user.token, {
      language: 'javascript',
      code: 'process.stdin.pipe(process.stdout)',
      stdin,
    });
    expect(js.status).toBe('completed');
    expect(js.output).toBe(stdin);
    // Programs that open /dev/stdin (fd 0 reopened as the program's uid) read it too.
    const devStdin = await execute(user.token, {
      language: 'python',
      code: "import sys\nsys.stdout.write(open('/dev/stdin').read())",
      stdin,
    });
    expect(devStdin.status).toBe('completed');
    expect(devStdin.output).toBe(stdin);
  });

  it('stops an infinite loop at its timeout and leaves no container behind', async () => {
    const user = await newUser();
    // The sandbox's hostname is its container's id: the warm pool's other sandboxes stay.
    const submitted = await api('POST', '/execute', {
      token: user.token,
      body: {
        language: 'python',
        code: 'import socket\nprint(socket.gethostname(), flush=True)\nwhile True:\n    pass',
        timeout: 2,
      },
    });
    expect(submitted.status).toBe(200);
    const result = await waitForResult(user.token, submitted.body.data.executionId, 10_000);
    // An endless loop has a result only because the 2 s limit ended it (the agent's measure of
    // its run is in the result; the test does not time it with its own clock).
    expect(result.status).toBe('timeout');
    expect(result.executionTime).toBeGreaterThanOrEqual(2);
    const sandboxId = (result.output as string).trim();
    expect(sandboxId).toMatch(/^[0-9a-f]{12}$/);
    await waitFor(
      'the timed-out container to be removed',
      async () => ((await containersOfOurAgent()).some((c) => c.Id.startsWith(sandboxId)) ? undefined : true),
      5000,
    );
  });

  it('reports a syntax error with a non-zero exit code and the error on stderr', async () => {
    const user = await newUser();
    const py = await execute(user.token, { language: 'python', code: 'print("unclosed' });
    expect(py.status).toBe('runtime_error');
    expect(py.exitCode).not.toBe(0);
    expect(py.error).toContain('SyntaxError');
    const js = await execute(user.token, { language: 'javascript', code: 'function (' });
    expect(js.status).toBe('runtime_error');
    expect(js.exitCode).not.toBe(0);
    expect(js.error).toContain('SyntaxError');
  });

  it('runs the program inside gVisor (runtime runsc, gVisor kernel)', async () => {
    const user = await newUser();
    const submitted = await api('POST', '/execute', {
      token: user.token,
      body: {
        language: 'python',
        code: "import time\nprint(open('/proc/version').read(), flush=True)\ntime.sleep(1.5)",
      },
    });
    const executionId = submitted.body.data.executionId as string;
    // Every sandbox of our agent (the one running this, and the warm pool's) is gVisor's.
    const runtimes = await waitFor(
      'the sandbox containers',
      async () => {
        const list = await containersOfOurAgent();
        if (list.length === 0) return undefined;
        return Promise.all(
          list.map(async (c) => (await docker.getContainer(c.Id).inspect()).HostConfig.Runtime),
        );
      },
      10_000,
      50,
    );
    expect(new Set(runtimes)).toEqual(new Set(['runsc']));
    const result = await waitForResult(user.token, executionId);
    expect(result.status).toBe('completed');
    // gVisor's Sentry presents its own kernel, not the host's.
    expect(result.output).toContain('Linux version 4.4.0');
  });
});

describe('walking skeleton: bad requests get clear 4xx answers in the envelope', () => {
  it('answers 401 without a token', async () => {
    const r = await api('POST', '/execute', { body: { language: 'python', code: 'print(1)' } });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ success: false, error: { code: 'unauthorized' } });
    const g = await api('GET', '/execute/00000000-0000-0000-0000-000000000000');
    expect(g.status).toBe(401);
  });

  it('answers 400 for a malformed body', async () => {
    const user = await newUser();
    const r = await api('POST', '/execute', {
      token: user.token,
      rawBody: '{"language": "python", "code": ',
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, error: { code: 'invalid_json' } });
    expect(typeof r.body.error.message).toBe('string');
    const wrongType = await api('POST', '/execute', {
      token: user.token,
      body: { language: 'python', code: 42 },
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.code).toBe('validation_failed');
    expect(wrongType.body.error.details.field).toBe('code');
  });

  it('answers 400 for an unknown language', async () => {
    const user = await newUser();
    const r = await api('POST', '/execute', {
      token: user.token,
      body: { language: 'brainfudge', code: '+' },
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      success: false,
      error: { code: 'unsupported_language', details: { field: 'language' } },
    });
  });

  it('answers 400 for limits out of range', async () => {
    const user = await newUser();
    const r = await api('POST', '/execute', {
      token: user.token,
      body: { language: 'python', code: 'print(1)', timeout: 999 },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details.field).toBe('timeout');
  });

  it("answers 404 for someone else's execution", async () => {
    const owner = await newUser();
    const other = await newUser();
    const submitted = await api('POST', '/execute', {
      token: owner.token,
      body: { language: 'python', code: 'print(1)' },
    });
    const id = submitted.body.data.executionId as string;
    const r = await api('GET', `/execute/${id}`, { token: other.token });
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ success: false, error: { code: 'not_found' } });
    const mine = await api('GET', `/execute/${id}`, { token: owner.token });
    expect(mine.status).toBe(200);
  });
});

describe('walking skeleton: health and languages', () => {
  it('reports database, redis and a live runner agent (to an administrator)', async () => {
    const admin = await newAdmin();
    const r = await api('GET', '/health', { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('up');
    expect(r.body.services).toMatchObject({ database: 'up', redis: 'up', runners: 'up' });
    expect(r.body.runners.map((x: { id: string }) => x.id)).toContain(inject('runnerId'));
  });

  it('lists python and javascript as available, with versions read from the images', async () => {
    const r = await api('GET', '/languages');
    expect(r.status).toBe(200);
    const byId = new Map(r.body.data.map((l: { id: string }) => [l.id, l]));
    for (const id of ['python', 'javascript']) {
      const lang = byId.get(id) as { available: boolean; version: string };
      expect(lang.available).toBe(true);
      expect(lang.version).toMatch(/^\d+\.\d+/);
    }
  });
});
