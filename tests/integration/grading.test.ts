// Native grading (README, "Grading"): POST /execute with `tests`, through the agent's graded
// loop in a real gVisor sandbox (launcher T/N/D frames), per-test verdicts and a summary.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { executionCaller, type Msg } from '../support/grpc.js';
import { api, execute, newUser, waitForResult, type TestUser } from '../support/api.js';
import { WsClient, wsExecute } from '../support/ws.js';

// Reads a number and prints its double; 3 sleeps past any test's time limit.
const doubler = [
  'import time',
  'n = int(input())',
  'if n == 3:',
  '    time.sleep(30)',
  'print(n * 2)',
  '',
].join('\n');

const fiveTests = [1, 2, 3, 4, 5].map((n) => ({
  name: `n=${n}`,
  stdin: `${n}\n`,
  expectedOutput: `${n * 2}\n`,
}));

async function graded(user: TestUser, body: Record<string, unknown>) {
  return execute(user.token, { language: 'python', code: doubler, timeout: 2, ...body });
}

describe('grading: POST /execute with tests', () => {
  it('runs every test after a timeout on test 3 of 5 when stopOnFirstFailure is false', async () => {
    const user = await newUser();
    const r = await graded(user, { tests: fiveTests, stopOnFirstFailure: false });
    expect(r.status).toBe('completed');
    expect(r.tests.map((t: { status: string }) => t.status)).toEqual([
      'accepted',
      'accepted',
      'timeout',
      'accepted',
      'accepted',
    ]);
    expect(r.tests.map((t: { name: string }) => t.name)).toEqual(['n=1', 'n=2', 'n=3', 'n=4', 'n=5']);
    expect(r.tests[0]).toMatchObject({ output: '2\n', exitCode: 0, signal: null });
    expect(r.tests[2].time).toBeGreaterThanOrEqual(1.9);
    expect(r.tests[2].message).toMatch(/time limit/);
    expect(r.tests[4]).toMatchObject({ output: '10\n', exitCode: 0 });
    expect(r.tests[0].memory).toBeGreaterThan(0);
    expect(r.summary).toEqual({
      passed: 4,
      total: 5,
      firstFailure: { index: 2, name: 'n=3', status: 'timeout' },
    });
  });

  it('stops at the timeout on test 3 of 5 by default, the rest skipped', async () => {
    const user = await newUser();
    const r = await graded(user, { tests: fiveTests });
    expect(r.status).toBe('completed');
    expect(r.tests.map((t: { status: string }) => t.status)).toEqual([
      'accepted',
      'accepted',
      'timeout',
      'skipped',
      'skipped',
    ]);
    expect(r.tests[3]).toMatchObject({ output: '', exitCode: null, time: 0 });
    expect(r.summary).toEqual({
      passed: 2,
      total: 5,
      firstFailure: { index: 2, name: 'n=3', status: 'timeout' },
    });
  });

  it('gives a wrong answer its verdict and its actual output; a test of its own time limit', async () => {
    const user = await newUser();
    const r = await graded(user, {
      timeout: 5,
      tests: [
        { stdin: '4\n', expectedOutput: '8\n' },
        { stdin: '5\n', expectedOutput: '11\n' },
        { name: 'slow', stdin: '3\n', expectedOutput: '6\n', timeout: 1 },
      ],
      stopOnFirstFailure: false,
    });
    expect(r.tests.map((t: { status: string }) => t.status)).toEqual(['accepted', 'wrong_answer', 'timeout']);
    expect(r.tests.map((t: { name: string }) => t.name)).toEqual(['test 1', 'test 2', 'slow']);
    expect(r.tests[1]).toMatchObject({ output: '10\n', exitCode: 0 });
    // Its own 1 s, not the submission's 5 s.
    expect(r.tests[2].time).toBeLessThan(3);
    expect(r.summary).toMatchObject({
      passed: 1,
      total: 3,
      firstFailure: { index: 1, status: 'wrong_answer' },
    });
    // A runtime error is a test's verdict too.
    const crash = await execute(user.token, {
      language: 'python',
      code: 'import sys\nn = int(input())\nsys.exit(3) if n < 0 else print(n)\n',
      tests: [
        { stdin: '-1', expectedOutput: '-1' },
        { stdin: '7', expectedOutput: '7' },
      ],
      stopOnFirstFailure: false,
    });
    expect(crash.tests.map((t: { status: string }) => t.status)).toEqual(['runtime_error', 'accepted']);
    expect(crash.tests[0].exitCode).toBe(3);
  });

  it('compares with each checker: exact, trimmed (the default), tokens, float', async () => {
    const user = await newUser();
    const echo = 'import sys\nsys.stdout.write(sys.stdin.read())\n';
    const run = async (checker: Record<string, unknown> | undefined, actual: string, expected: string) => {
      const r = await execute(user.token, {
        language: 'python',
        code: echo,
        tests: [{ stdin: actual, expectedOutput: expected }],
        ...(checker ? { checker } : {}),
      });
      expect(r.status).toBe('completed');
      return r.tests[0].status as string;
    };
    const results = await Promise.all([
      run({ type: 'exact' }, 'a b\n', 'a b\n'),
      run({ type: 'exact' }, 'a b \n', 'a b\n'),
      run(undefined, 'a b  \n\n', 'a b'),
      run({ type: 'trimmed' }, ' a b\n', 'a b\n'),
      run({ type: 'tokens' }, '1   2\n3\n', '1 2 3'),
      run({ type: 'tokens' }, '1 2 4', '1 2 3'),
      run({ type: 'float', absolute: 0.01 }, '3.141 x\n', '3.14159 x'),
      run({ type: 'float', absolute: 0.0001 }, '3.141\n', '3.14159'),
    ]);
    expect(results).toEqual([
      'accepted',
      'wrong_answer',
      'accepted',
      'wrong_answer',
      'accepted',
      'wrong_answer',
      'accepted',
      'wrong_answer',
    ]);
  });

  it('compiles a C program once and runs it per test', async () => {
    const user = await newUser();
    // stderr: the executable's modification time, the same in every test only if it was
    // compiled once; an abort for 0 (SIGABRT).
    const code = [
      '#include <stdio.h>',
      '#include <stdlib.h>',
      '#include <sys/stat.h>',
      'int main(void) {',
      '  struct stat st; stat("/proc/self/exe", &st);',
      '  fprintf(stderr, "%ld.%09ld", (long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);',
      '  int n; if (scanf("%d", &n) != 1) return 2;',
      '  if (n == 0) abort();',
      '  printf("%d\\n", n * n);',
      '  return 0;',
      '}',
      '',
    ].join('\n');
    const r = await execute(user.token, {
      language: 'c',
      code,
      tests: [
        { stdin: '3', expectedOutput: '9' },
        { stdin: '0', expectedOutput: '0' },
        { stdin: '12', expectedOutput: '144' },
        { stdin: '5', expectedOutput: '26' },
      ],
      stopOnFirstFailure: false,
    });
    expect(r.status).toBe('completed');
    expect(r.tests.map((t: { status: string }) => t.status)).toEqual([
      'accepted',
      'runtime_error',
      'accepted',
      'wrong_answer',
    ]);
    expect(r.tests[1]).toMatchObject({ signal: 6, signalName: 'SIGABRT', exitCode: null });
    const stamps = new Set(r.tests.map((t: { error: string }) => t.error));
    expect(stamps.size).toBe(1);
    expect([...stamps][0]).toMatch(/^\d+\.\d{9}$/);
    expect(r.summary).toMatchObject({ passed: 2, total: 4 });

    // A compile error runs no test.
    const bad = await execute(user.token, {
      language: 'c',
      code: 'int main(void) { return x; }\n',
      tests: [{ stdin: '', expectedOutput: '' }],
    });
    expect(bad.status).toBe('compile_error');
    expect(bad.compilationError).toMatch(/x/);
    expect(bad.tests.map((t: { status: string }) => t.status)).toEqual(['skipped']);
    expect(bad.summary).toMatchObject({ passed: 0, total: 1 });
  });

  it('a cancel during test 3 ends it cancelled, the rest skipped', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    try {
      const id = await wsExecute(ws, {
        language: 'python',
        code: doubler,
        limits: { timeout: 20 },
        tests: fiveTests,
        stopOnFirstFailure: false,
      });
      // Test 3 sleeps 30 s: once test 2's message has come, test 3 is the one running.
      await ws.next((m) => m.executionId === id && m.type === 'test' && m['index'] === 1);
      const c = await api('POST', `/execute/${id}/cancel`, { token: user.token });
      expect(c.status).toBe(202);
      const r = await waitForResult(user.token, id);
      expect(r.status).toBe('cancelled');
      expect(r.tests.map((t: { status: string }) => t.status)).toEqual([
        'accepted',
        'accepted',
        'cancelled',
        'skipped',
        'skipped',
      ]);
    } finally {
      ws.close();
    }
  });

  it('grades a project run', async () => {
    const user = await newUser();
    const p = await api('POST', '/projects', {
      token: user.token,
      body: { name: 'graded', language: 'python' },
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    const projectId = p.body.data.projectId ?? p.body.data.id;
    const f = await api('POST', `/projects/${projectId}/files`, {
      token: user.token,
      body: { name: 'main.py', content: 'print(int(input()) + 1)\n', isMain: true },
    });
    expect(f.status, JSON.stringify(f.body)).toBe(201);
    const r = await api('POST', `/projects/${projectId}/run`, {
      token: user.token,
      body: {
        wait: true,
        tests: [
          { stdin: '1', expectedOutput: '2' },
          { stdin: '2', expectedOutput: '4' },
        ],
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.data.summary).toEqual({
      passed: 1,
      total: 2,
      firstFailure: { index: 1, name: 'test 2', status: 'wrong_answer' },
    });
  });
});

describe('grading over the WebSocket', () => {
  it('sends a test message as each test has run, after its output, then the result', async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    const id = await wsExecute(ws, {
      language: 'python',
      code: doubler,
      limits: { timeout: 2 },
      tests: fiveTests,
      stopOnFirstFailure: false,
    });
    const result = await ws.result(id);
    const mine = ws.messages.filter((m) => m.executionId === id);
    const tests = mine.filter((m) => m.type === 'test');
    expect(tests.map((m) => m['index'])).toEqual([0, 1, 2, 3, 4]);
    expect(tests.map((m) => m['test'].status)).toEqual([
      'accepted',
      'accepted',
      'timeout',
      'accepted',
      'accepted',
    ]);
    // Each test's message is what the result says of it; it comes after that test's output.
    expect(tests.map((m) => m['test'])).toEqual(result['tests']);
    const at = (m: (typeof mine)[number]) => mine.indexOf(m);
    const outputs = mine.filter((m) => m.type === 'output' && m['stream'] === 'stdout');
    expect(outputs.map((m) => m['data']).join('')).toBe('2\n4\n8\n10\n');
    const firstOutput = outputs[0]!;
    expect(at(firstOutput)).toBeLessThan(at(tests[0]!));
    expect(at(tests[4]!)).toBeLessThan(at(mine.find((m) => m.type === 'result')!));
    expect(result['summary']).toMatchObject({ passed: 4, total: 5 });
    // A bad test is the API's 400, relayed.
    ws.send({ type: 'execute', requestId: 'bad', language: 'python', code: 'print(1)', tests: [] });
    const err = await ws.next((m) => m.requestId === 'bad');
    expect(err).toMatchObject({ type: 'error', code: 'validation_failed' });
    ws.close();
  });
});

describe('grading over gRPC', () => {
  it('Submit takes tests and a checker; Get answers each test and the summary', async () => {
    const user = await newUser();
    const c = executionCaller(user.token);
    const { call } = c;
    const submitted = await call('Submit', {
      spec: {
        language: 'python',
        code: 'print(float(input()) / 3)',
        tests: [
          { name: 'third', stdin: '1', expectedOutput: '0.3333' },
          { stdin: '3', expectedOutput: '2' },
        ],
        checker: { type: 'float', absolute: 0.001 },
        stopOnFirstFailure: false,
      },
    });
    const e = await c.completed(submitted['executionId'], 100);
    expect(e['status']).toBe('STATUS_COMPLETED');
    expect(e['tests'].map((t: Msg) => [t['name'], t['status']])).toEqual([
      ['third', 'accepted'],
      ['test 2', 'wrong_answer'],
    ]);
    expect(Buffer.from(e['tests'][1]['stdout']).toString()).toBe('1.0\n');
    expect(e['summary']).toMatchObject({ passed: 1, total: 2, firstFailureIndex: 1 });
    // A bad checker is INVALID_ARGUMENT, as POST /execute's 400.
    await expect(
      call('Submit', {
        spec: {
          language: 'python',
          code: 'print(1)',
          tests: [{ stdin: '', expectedOutput: '1' }],
          checker: { type: 'regex' },
        },
      }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    c.close();
  });
});

describe('grading: bad tests are 400s naming the field', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['no tests', { tests: [] }, 'tests'],
    [
      'too many tests',
      { tests: Array.from({ length: 101 }, () => ({ stdin: '', expectedOutput: '' })) },
      'tests',
    ],
    [
      'a test stdin too large',
      { tests: [{ stdin: 'x'.repeat(512 * 1024 + 1), expectedOutput: '' }] },
      'tests.0.stdin',
    ],
    [
      'an expected output too large',
      {
        tests: [
          { stdin: '', expectedOutput: '' },
          { stdin: '', expectedOutput: 'x'.repeat(512 * 1024 + 1) },
        ],
      },
      'tests.1.expectedOutput',
    ],
    [
      'all tests too large together',
      { tests: Array.from({ length: 3 }, () => ({ stdin: 'x'.repeat(400 * 1000), expectedOutput: '' })) },
      'tests',
    ],
    [
      'a timeout out of range',
      { tests: [{ stdin: '', expectedOutput: '', timeout: 100000 }] },
      'tests.0.timeout',
    ],
    [
      'a name given twice',
      {
        tests: [
          { name: 'a', stdin: '', expectedOutput: '' },
          { name: 'a', stdin: '', expectedOutput: '' },
        ],
      },
      'tests.1.name',
    ],
    ['stdin beside tests', { stdin: '1', tests: [{ stdin: '', expectedOutput: '' }] }, 'stdin'],
    ['a checker without tests', { checker: { type: 'exact' } }, 'checker'],
    ['stopOnFirstFailure without tests', { stopOnFirstFailure: false }, 'stopOnFirstFailure'],
    [
      'an interactive graded run',
      { interactive: true, tests: [{ stdin: '', expectedOutput: '' }] },
      'interactive',
    ],
  ];
  it.each(cases)('%s', async (_what, extra, field) => {
    const user = await newUser();
    const r = await api('POST', '/execute', {
      token: user.token,
      body: { language: 'python', code: 'print(1)', ...extra },
    });
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(400);
    expect(r.body.success).toBe(false);
    expect(r.body.error.details?.field ?? r.body.error.field).toBe(field);
  });

  it('an unknown checker or a test without expectedOutput', async () => {
    const user = await newUser();
    for (const extra of [
      { tests: [{ stdin: '', expectedOutput: '' }], checker: { type: 'regex' } },
      { tests: [{ stdin: '' }] },
      { tests: [{ stdin: '', expectedOutput: '' }], checker: { type: 'float', absolute: -1 } },
    ]) {
      const r = await api('POST', '/execute', {
        token: user.token,
        body: { language: 'python', code: 'print(1)', ...extra },
      });
      expect(r.status, JSON.stringify(extra)).toBe(400);
      expect(JSON.stringify(r.body.error)).toMatch(/tests|checker/);
    }
  });
});
