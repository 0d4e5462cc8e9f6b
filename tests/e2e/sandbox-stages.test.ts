import { beforeAll, describe, expect, it } from 'vitest';
import { api, execute, newUser, type TestUser } from '../support/api.js';

// Stages, limits, verdicts and measurements as a user of the API sees them, on the real stack
// (control-plane, agent, Docker + runsc).
let user: TestUser;
const py = (code: string, more: Record<string, unknown> = {}) =>
  execute(user.token, { language: 'python', code, ...more });

describe('sandbox: stages, limits, verdicts, measurements', () => {
  beforeAll(async () => {
    user = await newUser();
  });

  it('passes command-line arguments and runs a project with folders', async () => {
    const args = await py('import sys\nprint(sys.argv[1:])', { args: ['a b', 'ü', '--flag', ''] });
    expect(args.status).toBe('completed');
    expect(args.output).toBe("['a b', 'ü', '--flag', '']\n");

    const project = await execute(user.token, {
      language: 'python',
      files: [
        { name: 'app.py', path: '/src', content: 'from lib.util import greet\nprint(greet())' },
        { name: 'util.py', path: '/src/lib', content: "def greet():\n    return 'hello from a folder'" },
        { name: '__init__.py', path: '/src/lib', content: '' },
      ],
      mainFile: 'src/app.py',
    });
    expect(project.status).toBe('completed');
    expect(project.output).toBe('hello from a folder\n');
  });

  it('keeps NUL and non-UTF-8 bytes intact, base64 in JSON', async () => {
    const r = await py(
      "import sys\nsys.stdout.buffer.write(b'a\\x00b\\xff\\xfe')\nsys.stderr.buffer.write(b'\\x80err')",
    );
    expect(r.status).toBe('completed');
    expect(r.outputEncoding).toBe('base64');
    expect(Buffer.from(r.output as string, 'base64')).toEqual(Buffer.from([0x61, 0, 0x62, 0xff, 0xfe]));
    expect(r.errorEncoding).toBe('base64');
    expect(Buffer.from(r.error as string, 'base64')).toEqual(Buffer.from('\x80err', 'latin1'));
  });

  it('reports a signal death as runtime_error with the signal by name', async () => {
    const r = await py('import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)');
    expect(r.status).toBe('runtime_error');
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe(11);
    expect(r.signalName).toBe('SIGSEGV');
    const exit = await py('import sys\nsys.exit(42)');
    expect(exit.status).toBe('runtime_error');
    expect(exit.exitCode).toBe(42);
    expect(exit.signalName).toBeNull();
  });

  it('tells the CPU limit from the wall-time limit', async () => {
    const cpu = await py('while True: pass', { cpuTime: 1, timeout: 10 });
    expect(cpu.status).toBe('cpu_limit');
    expect(cpu.cpuTime).toBeGreaterThanOrEqual(1);
    const wall = await py('import time\ntime.sleep(60)', { timeout: 1 });
    expect(wall.status).toBe('timeout');
    expect(wall.cpuTime).toBeLessThan(1);
  });

  it('detects a memory limit from the OOM kill and measures peak memory', async () => {
    const oom = await py('x = bytearray(300 * 1024 * 1024)\nprint(len(x))', { memoryLimit: 64 });
    expect(oom.status).toBe('memory_limit');
    expect(oom.output).toBe('');
    // 60 MiB held: measured from the sandbox's cgroup, not the limit (128 MB by default).
    const held = await py(
      'x = bytearray(60 * 1024 * 1024)\nfor i in range(0, len(x), 4096): x[i] = 1\nprint("ok")',
    );
    expect(held.status).toBe('completed');
    expect(held.memoryUsed).toBeGreaterThan(55);
    expect(held.memoryUsed).toBeLessThan(128);
    const small = await py('print(1)');
    expect(small.memoryUsed).toBeLessThan(held.memoryUsed as number);
  });

  it('cuts output at its limit, flags it and stops the program', async () => {
    const r = await py("import sys\nwhile True: sys.stdout.write('x' * 1000)", { outputLimit: 2048 });
    expect(r.status).toBe('output_limit');
    expect(r.output).toBe('x'.repeat(2048));
    expect(r.outputTruncated).toBe(true);
  });

  it('runs compile and run as separate stages', async () => {
    const ok = await execute(user.token, {
      language: 'typescript',
      code: 'const n: number = 6 * 7;\nconsole.log(n);',
    });
    expect(ok.status).toBe('completed');
    expect(ok.output).toBe('42\n');
    const bad = await execute(user.token, {
      language: 'typescript',
      code: 'const n: number = ;\nconsole.log(n);',
    });
    expect(bad.status).toBe('compile_error');
    expect(bad.compilationError).toMatch(/expected/i);
    expect(bad.output).toBe('');
  });

  it('answers 400 for any limit above its maximum', async () => {
    for (const body of [
      { cpuTime: 1000 },
      { processes: 100000 },
      { outputLimit: 1e9 },
      { workspaceSize: 1e6 },
    ]) {
      const r = await api('POST', '/execute', {
        token: user.token,
        body: { language: 'python', code: 'print(1)', ...body },
      });
      expect(r.status).toBe(400);
      expect(r.body.error.details.field).toBe(Object.keys(body)[0]);
    }
  });
});
