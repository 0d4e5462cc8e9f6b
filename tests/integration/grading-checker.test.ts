// Checker programs (README, "Grading"): `checker: {type: "program", language, code}` runs the
// checker once per test in a gVisor sandbox of its own, with input.txt, expected.txt and
// actual.txt; exit 0 accepts, 1 rejects (its first stdout line the test's message), anything
// else is the test's internal_error; a checker that does not compile ends the execution.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { executionCaller, type Msg } from '../support/grpc.js';
import { api, execute, newUser } from '../support/api.js';
import { WsClient, wsExecute } from '../support/ws.js';

// Accepts an answer within 1e-3 of the expected one; says which test it judged.
const toleranceChecker = [
  'import sys',
  "n = open('input.txt').read().strip()",
  "expected = float(open('expected.txt').read())",
  "actual = float(open('actual.txt').read() or 'nan')",
  'if abs(expected - actual) <= 1e-3:',
  "    print(f'ok for {n}')",
  '    sys.exit(0)',
  "print(f'expected {expected}, got {actual}')",
  "print('a second line that is not the message')",
  'sys.exit(1)',
  '',
].join('\n');

type Test = { name: string; status: string; message: string | null; output: string };

describe('grading with a checker program', () => {
  it('a python checker accepts an answer within tolerance and rejects a wrong one with its message', async () => {
    const user = await newUser();
    const r = await execute(user.token, {
      language: 'python',
      code: 'n = int(input())\nprint(1 / n if n != 4 else 0.3)\n',
      tests: [
        { name: 'third', stdin: '3\n', expectedOutput: '0.3333' },
        { name: 'quarter', stdin: '4\n', expectedOutput: '0.25' },
        { name: 'half', stdin: '2\n', expectedOutput: '0.5' },
      ],
      checker: { type: 'program', language: 'python', code: toleranceChecker },
      stopOnFirstFailure: false,
    });
    expect(r.status).toBe('completed');
    expect(r.tests.map((t: Test) => [t.name, t.status, t.message])).toEqual([
      ['third', 'accepted', 'ok for 3'],
      ['quarter', 'wrong_answer', 'expected 0.25, got 0.3'],
      ['half', 'accepted', 'ok for 2'],
    ]);
    expect(r.tests[1].output).toBe('0.3\n');
    expect(r.summary).toEqual({
      passed: 2,
      total: 3,
      firstFailure: { index: 1, name: 'quarter', status: 'wrong_answer' },
    });
  });

  it('a checker that crashes makes the test internal_error; stopOnFirstFailure stops there', async () => {
    const user = await newUser();
    const r = await execute(user.token, {
      language: 'python',
      code: 'print(input())\n',
      tests: [
        { stdin: 'fine\n', expectedOutput: 'fine\n' },
        { stdin: 'crash\n', expectedOutput: 'crash\n' },
        { stdin: 'fine\n', expectedOutput: 'fine\n' },
      ],
      checker: {
        type: 'program',
        language: 'python',
        code: [
          'import sys',
          "if 'crash' in open('actual.txt').read():",
          "    print('checker gave up')",
          '    sys.exit(3)',
          '',
        ].join('\n'),
      },
    });
    expect(r.status).toBe('completed');
    expect(r.tests.map((t: Test) => t.status)).toEqual(['accepted', 'internal_error', 'skipped']);
    expect(r.tests[0].message).toBeNull();
    expect(r.tests[1].message).toBe('The checker failed (exit code 3): checker gave up');
    expect(r.summary.firstFailure).toMatchObject({ index: 1, status: 'internal_error' });
  });

  it('a python checker judges a C++ submission', async () => {
    const user = await newUser();
    const r = await execute(user.token, {
      language: 'cpp',
      code: [
        '#include <cstdio>',
        'int main() { double x; std::scanf("%lf", &x); std::printf("%.6f\\n", x / 7); }',
        '',
      ].join('\n'),
      tests: [
        { stdin: '1', expectedOutput: '0.142857' },
        { stdin: '7', expectedOutput: '1.0001' },
      ],
      checker: { type: 'program', language: 'python', code: toleranceChecker },
    });
    expect(r.status).toBe('completed');
    expect(r.tests.map((t: Test) => [t.status, t.message])).toEqual([
      ['accepted', 'ok for 1'],
      ['accepted', 'ok for 7'],
    ]);
  });

  it('the submission never sees the expected output: the files are only in the checker sandbox', async () => {
    const user = await newUser();
    const r = await execute(user.token, {
      language: 'python',
      code: [
        'import os',
        "names = ['expected.txt', 'input.txt', 'actual.txt']",
        "found = [p for d in ['.', '/workspace', '/tmp', '/'] for p in names if os.path.exists(os.path.join(d, p))]",
        "print('found ' + ' '.join(found) if found else 'none')",
        "print(' '.join(sorted(os.listdir('.'))))",
        '',
      ].join('\n'),
      tests: [{ stdin: '', expectedOutput: 'secret answer 42\n' }],
      checker: {
        type: 'program',
        language: 'python',
        code: [
          'import os, sys',
          "actual = open('actual.txt').read()",
          // The checker does have the expected output, next to its code.
          "print('expected ' + open('expected.txt').read().strip() + '; workspace ' + ' '.join(sorted(os.listdir('.'))))",
          "sys.exit(0 if actual.startswith('none') else 1)",
          '',
        ].join('\n'),
      },
    });
    expect(r.tests[0].status).toBe('accepted');
    expect(r.tests[0].output).toBe('none\nmain.py\n');
    expect(r.tests[0].message).toBe(
      'expected secret answer 42; workspace actual.txt expected.txt input.txt main.py',
    );
  });

  it('a checker that does not compile ends the execution internal_error, saying so', async () => {
    const user = await newUser();
    const r = await execute(user.token, {
      language: 'python',
      code: 'print(1)\n',
      tests: [
        { stdin: '', expectedOutput: '1\n' },
        { stdin: '', expectedOutput: '1\n' },
      ],
      checker: { type: 'program', language: 'cpp', code: 'int main() { return missing; }\n' },
      stopOnFirstFailure: false,
    });
    expect(r.status).toBe('internal_error');
    expect(r.message).toMatch(/^The checker did not compile: .*missing/s);
    expect(r.tests.map((t: Test) => t.status)).toEqual(['internal_error', 'skipped']);
    expect(r.tests[0].message).toBe(r.message);
  });

  it('gRPC Submit takes a checker program', async () => {
    const user = await newUser();
    const c = executionCaller(user.token);
    const { call } = c;
    const submitted = await call('Submit', {
      spec: {
        language: 'python',
        code: 'print(input())',
        tests: [{ stdin: 'yes', expectedOutput: '' }],
        checker: {
          type: 'program',
          language: 'python',
          code: "import sys\nprint('looked')\nsys.exit(0 if open('actual.txt').read() == 'yes\\n' else 1)\n",
        },
      },
    });
    const e = await c.completed(submitted['executionId']);
    expect(e['status']).toBe('STATUS_COMPLETED');
    expect(e['tests'].map((t: Msg) => [t['status'], t['message']])).toEqual([['accepted', 'looked']]);
    await expect(
      call('Submit', {
        spec: {
          language: 'python',
          code: 'print(1)',
          tests: [{ stdin: '', expectedOutput: '1' }],
          checker: { type: 'program', language: 'cobol-2099', code: 'x' },
        },
      }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    c.close();
  });
});

describe('a checker program over the WebSocket', () => {
  it("judges each test; the checker's output is not the program's", async () => {
    const user = await newUser();
    const ws = await WsClient.connect(user.token);
    const id = await wsExecute(ws, {
      language: 'python',
      code: 'print(input())',
      tests: [{ stdin: 'a\n', expectedOutput: 'a\n' }],
      checker: {
        type: 'program',
        language: 'python',
        code: "import sys\nprint('same' if open('actual.txt').read() == open('expected.txt').read() else 'differs')\n",
      },
    });
    const result = await ws.result(id);
    expect(result['tests'].map((t: Test) => [t.status, t.message])).toEqual([['accepted', 'same']]);
    const mine = ws.messages.filter((m) => m.executionId === id);
    const outputs = mine.filter((m) => m.type === 'output');
    expect(outputs.map((m) => m['data']).join('')).toBe('a\n');
    expect(mine.find((m) => m.type === 'test')?.['test']).toEqual(result['tests'][0]);
    ws.close();
  });
});

describe('grading: a bad checker program is a 400 naming the field', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['an unknown language', { language: 'cobol-2099', code: 'x' }, 'checker.language'],
    ['an unknown version', { language: 'python', version: '1.0.0', code: 'x' }, 'checker.version'],
    ['empty code', { language: 'python', code: '' }, 'checker.code'],
    ['code over the size limit', { language: 'python', code: '#'.repeat(1024 * 1024 + 1) }, 'checker.code'],
  ];
  it.each(cases)('%s', async (_what, checker, field) => {
    const user = await newUser();
    const r = await api('POST', '/execute', {
      token: user.token,
      body: {
        language: 'python',
        code: 'print(1)',
        tests: [{ stdin: '', expectedOutput: '1' }],
        checker: { type: 'program', ...checker },
      },
    });
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(400);
    expect(r.body.error.details?.field).toBe(field);
  });
});
