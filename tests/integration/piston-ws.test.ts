import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { rootUrl, userWithKey } from '../support/compat.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
type Msg = Record<string, any>;

/** A raw `ws` client of Piston's /api/v2/connect that keeps every message and the close. */
class PistonSocket {
  readonly messages: Msg[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as Msg));
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static async open(path: string, headers: Record<string, string> = {}): Promise<PistonSocket> {
    const socket = new WebSocket(`${rootUrl().replace(/^http/, 'ws')}${path}`, { headers });
    const s = new PistonSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return s;
  }

  send(m: unknown): void {
    this.socket.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  async next(pred: (m: Msg) => boolean, timeoutMs = 60_000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such message in ${JSON.stringify(this.messages)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The stdout the program wrote so far. */
  stdout(): string {
    return this.messages
      .filter((m) => m.type === 'data' && m.stream === 'stdout')
      .map((m) => m.data as string)
      .join('');
  }
}

const python = (content: string) => ({
  type: 'init',
  language: 'python',
  version: '*',
  files: [{ content }],
});

describe("Piston v2's interactive WebSocket /api/v2/connect", () => {
  it('runs an interactive python program, the key in the base URL', async () => {
    const u = await userWithKey();
    const ws = await PistonSocket.open(`/piston/${u.key}/api/v2/connect`);
    ws.send(
      python(
        'import sys\nname = input()\nprint("hello", name, flush=True)\n' +
          'print("to stderr", file=sys.stderr, flush=True)\nn = int(input())\nprint(n * 2)\n',
      ),
    );
    const runtime = await ws.next((m) => m.type === 'runtime');
    expect(runtime).toEqual({ type: 'runtime', language: 'python', version: expect.stringMatching(/^3\./) });
    ws.send({ type: 'data', stream: 'stdin', data: 'world\n' });
    // The answer to the first line comes before the second line is sent: it is interactive.
    await ws.next(() => ws.stdout().includes('hello world\n'));
    expect(ws.stdout()).toBe('hello world\n');
    ws.send({ type: 'data', stream: 'stdin', data: '21\n' });
    const exit = await ws.next((m) => m.type === 'exit');
    expect(exit).toEqual({ type: 'exit', stage: 'run', code: 0, signal: null });
    expect(await ws.closed).toEqual({ code: 4999, reason: 'Job Completed' });
    expect(ws.stdout()).toBe('hello world\n42\n');
    expect(ws.messages).toContainEqual({ type: 'data', stream: 'stderr', data: 'to stderr\n' });
    // Piston's order: runtime, the stage, the program's data, its exit.
    const types = ws.messages.map((m) => m.type);
    expect(types.slice(0, 2)).toEqual(['runtime', 'stage']);
    expect(ws.messages[1]).toEqual({ type: 'stage', stage: 'run' });
    expect(types.at(-1)).toBe('exit');
  });

  it('reports the compile stage of C, and a signal kills the program', async () => {
    const u = await userWithKey();
    const ws = await PistonSocket.open('/piston/api/v2/connect', { authorization: u.key });
    ws.send({
      type: 'init',
      language: 'c',
      version: '*',
      files: [
        {
          name: 'main.c',
          content:
            '#include <stdio.h>\nint main(void) { char b[64]; puts("ready"); fflush(stdout);\n' +
            '  while (fgets(b, sizeof b, stdin)) { printf("got %s", b); fflush(stdout); } return 0; }\n',
        },
      ],
    });
    await ws.next(() => ws.stdout().includes('ready\n'));
    ws.send({ type: 'data', stream: 'stdin', data: 'one\n' });
    await ws.next(() => ws.stdout().includes('got one\n'));
    ws.send({ type: 'signal', signal: 'SIGKILL' });
    const exit = await ws.next((m) => m.type === 'exit' && m.stage === 'run');
    expect(exit).toEqual({ type: 'exit', stage: 'run', code: null, signal: 'SIGKILL' });
    expect(await ws.closed).toEqual({ code: 4999, reason: 'Job Completed' });
    const stages = ws.messages.filter((m) => m.type !== 'data');
    expect(stages).toEqual([
      { type: 'runtime', language: 'c', version: expect.any(String) },
      { type: 'stage', stage: 'compile' },
      { type: 'exit', stage: 'compile', code: 0, signal: null },
      { type: 'stage', stage: 'run' },
      { type: 'exit', stage: 'run', code: null, signal: 'SIGKILL' },
    ]);
  });

  it('answers wrong messages as Piston does: an error message and its close codes', async () => {
    const u = await userWithKey();
    const path = `/piston/${u.key}/api/v2/connect`;

    const notJson = await PistonSocket.open(path);
    notJson.send('{not json');
    expect(await notJson.closed).toEqual({ code: 4002, reason: 'Notified Error' });
    expect(notJson.messages).toEqual([{ type: 'error', message: expect.any(String) }]);

    const unknown = await PistonSocket.open(path);
    unknown.send({ type: 'init', language: 'klingon', version: '*', files: [{ content: 'x' }] });
    expect(await unknown.closed).toEqual({ code: 4002, reason: 'Notified Error' });
    expect(unknown.messages).toEqual([{ type: 'error', message: 'klingon-* runtime is unknown' }]);

    const noFiles = await PistonSocket.open(path);
    noFiles.send({ type: 'init', language: 'python', version: '*' });
    expect(await noFiles.closed).toEqual({ code: 4002, reason: 'Notified Error' });
    expect(noFiles.messages).toEqual([{ type: 'error', message: 'files is required as an array' }]);

    const noKey = await PistonSocket.open('/piston/api/v2/connect');
    noKey.send(python('print(1)'));
    expect(await noKey.closed).toEqual({ code: 4002, reason: 'Notified Error' });
    expect(noKey.messages).toEqual([{ type: 'error', message: expect.any(String) }]);

    const early = await PistonSocket.open(path);
    early.send({ type: 'data', stream: 'stdin', data: 'x' });
    expect(await early.closed).toEqual({ code: 4003, reason: 'Not yet initialized' });

    const idle = await PistonSocket.open(path);
    expect(await idle.closed).toEqual({ code: 4001, reason: 'Initialization Timeout' });

    const program = 'input()\n';
    const twice = await PistonSocket.open(path);
    twice.send(python(program));
    await twice.next((m) => m.type === 'runtime');
    twice.send(python(program));
    expect(await twice.closed).toEqual({ code: 4000, reason: 'Already Initialized' });

    const toStdout = await PistonSocket.open(path);
    toStdout.send(python(program));
    toStdout.send({ type: 'data', stream: 'stdout', data: 'x' });
    expect(await toStdout.closed).toEqual({ code: 4004, reason: 'Can only write to stdin' });

    const badSignal = await PistonSocket.open(path);
    badSignal.send(python(program));
    badSignal.send({ type: 'signal', signal: 'SIGNOPE' });
    expect(await badSignal.closed).toEqual({ code: 4005, reason: 'Invalid signal' });
  });
});
