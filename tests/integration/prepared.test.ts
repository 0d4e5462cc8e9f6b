import { beforeAll, describe, expect, inject, it } from 'vitest';
import { execute, newUser, type TestUser } from '../support/api.js';

// The agent's pooled python and javascript sandboxes run a submission in an interpreter the
// launcher loaded ahead (sandbox-images/launcher/PROTOCOL.md, "Prepared run step"). A user must
// not be able to tell, except by the speed: the program runs exactly as `python3 -u main.py
// args` or `node main.js args` would, and nothing of the preparation is left for it to see.
let user: TestUser;

/** muscode_agent_runs_total by how the sandbox was ready, from the agent's /metrics. */
async function runsByStart(): Promise<{ prepared: number; warm: number; cold: number }> {
  const text = await (await fetch(inject('agentMetricsUrl'))).text();
  const count = (start: string) =>
    Number(
      new RegExp(`^muscode_agent_runs_total\\{[^}]*start="${start}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ??
        0,
    );
  return { prepared: count('prepared'), warm: count('warm'), cold: count('cold') };
}

describe('prepared interpreters', () => {
  beforeAll(async () => {
    user = await newUser();
  });

  it('python: the program runs as `python3 -u <main> <args>`, in a fresh __main__', async () => {
    const before = await runsByStart();
    const r = await execute(user.token, {
      language: 'python',
      files: [
        {
          name: 'app.py',
          path: '/src',
          content: [
            'import sys, helper',
            'print(__name__, __file__, sys.argv, helper.X)',
            'print(sys.path[0], sorted(k for k in globals() if not k.startswith("__")))',
            'print(input(), sys.stdin.read().strip())',
            'import os',
            'def link(fd):',
            '    try: return os.readlink(f"/proc/self/fd/{fd}")',
            '    except OSError: return ""',
            'print("sockets:", [fd for fd in os.listdir("/proc/self/fd") if link(fd).startswith("socket:")])',
          ].join('\n'),
        },
        { name: 'helper.py', path: '/src', content: 'X = 42' },
      ],
      mainFile: 'src/app.py',
      args: ['a b', '-x'],
      stdin: 'first\nsecond\n',
    });
    expect(r.status).toBe('completed');
    expect(r.output).toBe(
      "__main__ /workspace/src/app.py ['src/app.py', 'a b', '-x'] 42\n" +
        "/workspace/src ['helper', 'sys']\n" +
        'first second\n' +
        'sockets: []\n',
    );
    expect((await runsByStart()).prepared).toBeGreaterThan(before.prepared);
  });

  it('python: an uncaught exception, sys.exit, threads and atexit end as they would', async () => {
    const crash = await execute(user.token, {
      language: 'python',
      code: 'def f():\n    return 1 / 0\n\nprint("before", flush=True)\nf()\n',
    });
    expect(crash.status).toBe('runtime_error');
    expect(crash.exitCode).toBe(1);
    expect(crash.output).toBe('before\n');
    // As python3 main.py prints it: the newest python (3.13) marks the failing call too.
    expect(crash.error).toBe(
      'Traceback (most recent call last):\n' +
        '  File "/workspace/main.py", line 5, in <module>\n' +
        '    f()\n' +
        '    ~^^\n' +
        '  File "/workspace/main.py", line 2, in f\n' +
        '    return 1 / 0\n' +
        '           ~~^~~\n' +
        'ZeroDivisionError: division by zero\n',
    );

    const exit = await execute(user.token, { language: 'python', code: 'import sys\nsys.exit("bye")' });
    expect(exit.status).toBe('runtime_error');
    expect(exit.exitCode).toBe(1);
    expect(exit.error).toBe('bye\n');

    const clean = await execute(user.token, {
      language: 'python',
      code:
        'import atexit, threading, time\natexit.register(lambda: print("atexit"))\n' +
        'threading.Thread(target=lambda: (time.sleep(0.2), print("thread"))).start()\nprint("main")',
    });
    expect(clean.status).toBe('completed');
    expect(clean.output).toBe('main\nthread\natexit\n');
  });

  it('javascript: the program runs as `node <main> <args>` (CommonJS and ES modules)', async () => {
    const before = await runsByStart();
    const cjs = await execute(user.token, {
      language: 'javascript',
      code: [
        'console.log(require.main === module, __filename, process.argv.slice(2));',
        "const fs = require('fs');",
        "const link = (fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd); } catch { return ''; } };",
        "console.log('sockets:', fs.readdirSync('/proc/self/fd').filter((fd) => link(fd).startsWith('socket:')));",
        "process.stdin.on('data', (d) => process.stdout.write('in: ' + d));",
      ].join('\n'),
      args: ['x'],
      stdin: 'hi\n',
    });
    expect(cjs.status).toBe('completed');
    expect(cjs.output).toBe("true /workspace/main.js [ 'x' ]\nsockets: []\nin: hi\n");

    const esm = await execute(user.token, {
      language: 'javascript',
      files: [
        { name: 'main.mjs', content: "import { x } from './lib.mjs';\nconsole.log(x, import.meta.url);" },
        { name: 'lib.mjs', content: 'export const x = 7;' },
      ],
      mainFile: 'main.mjs',
    });
    expect(esm.status).toBe('completed');
    expect(esm.output).toBe('7 file:///workspace/main.mjs\n');

    const crash = await execute(user.token, { language: 'javascript', code: "throw new Error('boom');" });
    expect(crash.status).toBe('runtime_error');
    expect(crash.exitCode).toBe(1);
    expect(crash.error).toContain('Error: boom\n    at Object.<anonymous> (/workspace/main.js:1:7)');
    expect(crash.error).not.toContain('/opt/muscode');
    expect((await runsByStart()).prepared).toBeGreaterThanOrEqual(before.prepared + 3);
  });

  it('a compile error names only the program, as the plain interpreter reports it', async () => {
    const before = await runsByStart();
    const py = await execute(user.token, { language: 'python', code: 'print("a")\nx = (\n' });
    expect(py.status).toBe('runtime_error');
    expect(py.exitCode).toBe(1);
    expect(py.output).toBe('');
    // Exactly python3 -u main.py's report: no traceback header, no frame of the prepared file.
    expect(py.error).toBe(
      '  File "/workspace/main.py", line 2\n' +
        '    x = (\n' +
        '        ^\n' +
        "SyntaxError: '(' was never closed\n",
    );

    // An error while importing one of the program's modules keeps the program's frames only.
    const imported = await execute(user.token, {
      language: 'python',
      files: [
        { name: 'main.py', content: 'import helper\n' },
        { name: 'helper.py', content: 'def f(:\n' },
      ],
    });
    expect(imported.status).toBe('runtime_error');
    expect(imported.error).toMatch(
      /^Traceback \(most recent call last\):\n {2}File "\/workspace\/main.py", line 1/,
    );
    expect(imported.error).toContain('File "/workspace/helper.py", line 1\n');
    expect(imported.error).not.toContain('/opt/muscode');

    for (const [name, code] of [
      ['main.js', 'const x = ;\n'],
      ['main.mjs', 'import { x } from "./nowhere.mjs";\nconst y = ;\n'],
    ] as const) {
      const js = await execute(user.token, {
        language: 'javascript',
        files: [{ name, content: code }],
        mainFile: name,
      });
      expect(js.status).toBe('runtime_error');
      expect(js.exitCode).toBe(1);
      expect(js.error).toContain(`/workspace/${name}:`);
      expect(js.error).toContain("SyntaxError: Unexpected token ';'");
      expect(js.error).not.toContain('/opt/muscode');
    }
    expect((await runsByStart()).prepared).toBeGreaterThanOrEqual(before.prepared + 4);
  });

  it('a submission with limits of its own gets an interpreter started for it, with those limits', async () => {
    const before = await runsByStart();
    const r = await execute(user.token, {
      language: 'python',
      code: 'import resource\nprint(resource.getrlimit(resource.RLIMIT_NOFILE))',
      openFiles: 100,
    });
    expect(r.status).toBe('completed');
    expect(r.output).toBe('(100, 100)\n');
    const after = await runsByStart();
    expect(after.prepared).toBe(before.prepared);
    expect(after.warm + after.cold).toBe(before.warm + before.cold + 1);
  });
});
