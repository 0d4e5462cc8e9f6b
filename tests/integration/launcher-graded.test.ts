// The launcher's graded submissions (PROTOCOL.md, "Graded submissions") in a real gVisor
// sandbox: one run step per N frame with that test's stdin and limits, D ends the sandbox.
// Driven straight through `docker run -i` (no agent yet sends these frames).
import { spawn } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { imageRepo } from '../support/stack.js';

function frame(type: string, payload: string | Buffer = ''): Buffer {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

interface Frame {
  type: string;
  body: string;
}

// Reads the launcher's frames from the container's stdout, one `x` at a time.
class FrameReader {
  private buf = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private ended = false;

  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiting?.();
    });
    stream.on('end', () => {
      this.ended = true;
      this.waiting?.();
    });
  }

  private take(): Frame | undefined {
    if (this.buf.length < 5) return undefined;
    const len = this.buf.readUInt32BE(1);
    if (this.buf.length < 5 + len) return undefined;
    const f = { type: String.fromCharCode(this.buf[0] ?? 0), body: this.buf.subarray(5, 5 + len).toString() };
    this.buf = this.buf.subarray(5 + len);
    return f;
  }

  async untilStepEnd(): Promise<Frame[]> {
    const got: Frame[] = [];
    for (;;) {
      const f = this.take();
      if (f) {
        got.push(f);
        if (f.type === 'x') return got;
        continue;
      }
      if (this.ended) return got;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
}

// A sandbox as the agent makes one (gVisor, no network, root with the launcher's few
// capabilities, read-only root, tmpfs workspace), its launcher driven through stdin/stdout.
function startSandbox(image: string, env: string[] = []) {
  const child = spawn('docker', [
    'run',
    '-i',
    '--rm',
    '--runtime=runsc',
    '--network',
    'none',
    '--user',
    '0:0',
    '--cap-drop',
    'ALL',
    '--cap-add',
    'SETUID',
    '--cap-add',
    'SETGID',
    '--cap-add',
    'KILL',
    '--cap-add',
    'SETPCAP',
    '--read-only',
    '--tmpfs',
    '/workspace:size=64m,exec',
    '--tmpfs',
    '/tmp:size=64m',
    ...env.flatMap((e) => ['-e', e]),
    `${imageRepo}/sandbox-${image}:latest`,
  ]);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const reader = new FrameReader(child.stdout);
  // What each test's run step sent: its stdout and its `x` line.
  const runTest = async (stdin: string, limits = '') => {
    child.stdin.write(Buffer.concat([frame('N', limits), frame('I', stdin), frame('E')]));
    const got = await reader.untilStepEnd();
    const output = got
      .filter((f) => f.type === 'o')
      .map((f) => f.body)
      .join('');
    return { output, x: got.find((f) => f.type === 'x')?.body ?? '' };
  };
  return { child, exited, reader, runTest };
}

const program = [
  'import sys, time',
  'x = sys.stdin.read().strip()',
  "if x == 'sleep': time.sleep(5)",
  'print(int(x) * 2)',
].join('\n');

describe('launcher: graded submissions', () => {
  it('runs the program once per test with its own stdin and wall limit, and goes on after a timeout', async () => {
    // A sandbox with a prepared interpreter, as the agent's python pool has: a graded
    // submission must not use it (each test's N frame may ask for other rlimits).
    const { child, exited, runTest } = startSandbox('python', [
      'MUSCODE_PREPARE=python3 /opt/muscode/prepared/python.py',
    ]);
    child.stdin.write(
      Buffer.concat([
        frame('F', `main.py\0${program}`),
        frame('R', 'python3\0-u\0main.py\0'),
        frame('A', 'main.py\0'),
        frame('T'),
        frame('L', 'run_wall_ms=3000\n'),
        frame('G'),
      ]),
    );
    const results = [];
    results.push(await runTest('2\n'));
    results.push(await runTest('21\n'));
    results.push(await runTest('sleep\n', 'run_wall_ms=500\n'));
    results.push(await runTest('5'));
    child.stdin.end(frame('D'));
    expect(await exited).toBe(0);

    expect(results.map((r) => r.output)).toEqual(['4\n', '42\n', '', '10\n']);
    expect(results.map((r) => r.x.includes('exit=0 '))).toEqual([true, true, false, true]);
    expect(results.map((r) => r.x.includes('timeout=1'))).toEqual([false, false, true, false]);
    expect(results.every((r) => r.x.startsWith('step=run ') && r.x.endsWith(' prepared=0'))).toBe(true);
  }, 60_000);

  it('compiles once and runs the compiled program for every test; K between tests ends the sandbox', async () => {
    const { child, exited, reader, runTest } = startSandbox('native');
    const code =
      '#include <stdio.h>\nint main(void) { int a, b; if (scanf("%d %d", &a, &b) != 2) return 4; printf("%d\\n", a + b); return 0; }\n';
    child.stdin.write(
      Buffer.concat([
        frame('F', `main.c\0${code}`),
        frame('C', 'gcc\0-O2\0-o\0main\0main.c\0'),
        frame('R', './main\0'),
        frame('T'),
        frame('G'),
      ]),
    );
    const compile = await reader.untilStepEnd();
    expect(compile.at(-1)?.body).toMatch(/^step=compile exit=0 /);
    const first = await runTest('1 2\n');
    const second = await runTest('40 2\n');
    const third = await runTest('nothing\n');
    expect([first.output, second.output, third.output]).toEqual(['3\n', '42\n', '']);
    expect(third.x).toMatch(/^step=run exit=4 /);
    // A cancel between tests: no further test runs, the launcher ends as after D.
    child.stdin.end(Buffer.concat([frame('K'), frame('N', ''), frame('I', '5 5\n'), frame('E')]));
    expect(await reader.untilStepEnd()).toEqual([]);
    expect(await exited).toBe(0);
  }, 60_000);
});
