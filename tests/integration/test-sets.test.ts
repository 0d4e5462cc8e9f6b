// Submitting against a stored test set (README, "Grading"): a hidden test's verdict and
// measurements reach a submitter who does not own the set, its stdin, expected output and the
// program's output on it never do (REST, ?wait=true, history, a project's run, WebSocket,
// gRPC); the owner sees everything. Runs code: sandbox tier.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { api, apiUrl, execute, newUser, waitForResult, type TestUser } from '../support/api.js';
import { executionCaller, type Msg } from '../support/grpc.js';
import { WsClient, wsExecute } from '../support/ws.js';

// Echoes its stdin on stdout and stderr: a hidden test's input would show in its output.
const echo = 'import sys\ns = input()\nprint(s)\nprint(s, file=sys.stderr)\n';

const setTests = [
  { name: 'sample', stdin: 'hello\n', expectedOutput: 'hello\n' },
  { name: 'hidden ok', stdin: 'SECRET-IN-1\n', expectedOutput: 'SECRET-IN-1\n', hidden: true },
  { name: 'hidden wrong', stdin: 'SECRET-IN-2\n', expectedOutput: 'SECRET-OUT-2\n', hidden: true },
];
const secrets = /SECRET/;

async function createSet(owner: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  const r = await api('POST', '/test-sets', {
    token: owner.token,
    body: { name: 'echo', visibility: 'unlisted', tests: setTests, ...body },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.data.id as string;
}

/** What a submitter who does not own the set must see of its tests. */
function expectWithheld(tests: Record<string, unknown>[]) {
  expect(tests.map((t) => [t['name'], t['status'], t['hidden'] ?? false])).toEqual([
    ['sample', 'accepted', false],
    ['hidden ok', 'accepted', true],
    ['hidden wrong', 'wrong_answer', true],
  ]);
  expect(tests[0]).toMatchObject({ output: 'hello\n', error: 'hello\n' });
  for (const t of tests.slice(1)) {
    expect(t).toMatchObject({ exitCode: 0, signal: null });
    expect(t['time']).toEqual(expect.any(Number));
    expect(t['memory']).toEqual(expect.any(Number));
    for (const field of ['output', 'error', 'message', 'outputEncoding', 'expectedOutput', 'stdin']) {
      expect(t).not.toHaveProperty(field);
    }
  }
}

describe('a submission against a set of someone else', () => {
  it('gets per-test verdicts, the hidden tests without their output, on every route', async () => {
    const owner = await newUser();
    const other = await newUser();
    const testSetId = await createSet(owner);
    const body = { language: 'python', code: echo, testSetId, stopOnFirstFailure: false };

    const r = await execute(other.token, body);
    expect(r.status).toBe('completed');
    expectWithheld(r.tests);
    expect(r.summary).toEqual({
      passed: 2,
      total: 3,
      firstFailure: { index: 2, name: 'hidden wrong', status: 'wrong_answer' },
    });
    expect(JSON.stringify(r)).not.toMatch(secrets);

    // ?wait=true on the batch route answers the same, as does the history.
    const waited = await api('POST', '/execute/batch?wait=true', { token: other.token, body });
    expect(waited.status).toBe(200);
    expectWithheld(waited.body.data.tests);
    expect(JSON.stringify(waited.body)).not.toMatch(secrets);
    const history = await api('GET', '/executions', { token: other.token });
    expect(history.body.data.executions).toHaveLength(2);
    expect(JSON.stringify(history.body)).not.toMatch(secrets);
    for (const stream of ['stdout', 'stderr']) {
      const raw = await fetchText(other, `/execute/${r.executionId}/output/${stream}`);
      expect(raw).not.toMatch(secrets);
    }
  });

  it('runs a project against a set, with the set’s checker unless the request names one', async () => {
    const owner = await newUser();
    const other = await newUser();
    // exact: "hello" without the newline is not what the program prints.
    const testSetId = await createSet(owner, {
      checker: { type: 'exact' },
      tests: [{ name: 'sample', stdin: 'hello\n', expectedOutput: 'hello' }, setTests[1]],
    });
    const p = await api('POST', '/projects', {
      token: other.token,
      body: { name: 'echo', language: 'python' },
    });
    await api('POST', `/projects/${p.body.data.id}/files`, {
      token: other.token,
      body: { name: 'main.py', content: echo, isMain: true },
    });
    const run = (extra: Record<string, unknown>) =>
      api('POST', `/projects/${p.body.data.id}/run`, {
        token: other.token,
        body: { testSetId, wait: true, stopOnFirstFailure: false, ...extra },
      });
    const exact = await run({});
    expect(exact.status).toBe(200);
    expect(exact.body.data.tests.map((t: Msg) => t['status'])).toEqual(['wrong_answer', 'accepted']);
    expect(exact.body.data.tests[1]).toMatchObject({ hidden: true });
    expect(JSON.stringify(exact.body)).not.toMatch(secrets);
    const trimmed = await run({ checker: { type: 'trimmed' } });
    expect(trimmed.body.data.tests.map((t: Msg) => t['status'])).toEqual(['accepted', 'accepted']);
  });

  it('sends no hidden output over the WebSocket: test messages mark the hidden tests', async () => {
    const owner = await newUser();
    const other = await newUser();
    const testSetId = await createSet(owner);
    const ws = await WsClient.connect(other.token);
    const id = await wsExecute(ws, { language: 'python', code: echo, testSetId, stopOnFirstFailure: false });
    const result = await ws.result(id);
    const mine = ws.messages.filter((m) => m.executionId === id);
    const tests = mine.filter((m) => m.type === 'test');
    expect(tests.map((m) => m['index'])).toEqual([0, 1, 2]);
    expectWithheld(tests.map((m) => m['test']));
    expect(tests.map((m) => m['test'])).toEqual(result['tests']);
    expect(mine.filter((m) => m.type === 'output' && m['stream'] !== 'compile')).toEqual([]);
    expect(JSON.stringify(mine)).not.toMatch(secrets);
    ws.close();
  });

  it('answers gRPC Get with hidden tests marked and their output empty', async () => {
    const owner = await newUser();
    const other = await newUser();
    const testSetId = await createSet(owner);
    const c = executionCaller(other.token);
    const { call } = c;
    const submitted = await call('Submit', {
      spec: { language: 'python', code: echo, testSetId, stopOnFirstFailure: false },
    });
    const e = await c.completed(submitted['executionId']);
    expect(e['status']).toBe('STATUS_COMPLETED');
    expect(e['tests'].map((t: Msg) => [t['name'], t['status'], t['hidden']])).toEqual([
      ['sample', 'accepted', false],
      ['hidden ok', 'accepted', true],
      ['hidden wrong', 'wrong_answer', true],
    ]);
    expect(Buffer.from(e['tests'][0]['stdout']).toString()).toBe('hello\n');
    for (const t of e['tests'].slice(1)) {
      expect(Buffer.from(t['stdout']).length + Buffer.from(t['stderr']).length).toBe(0);
      expect(t['message']).toBe('');
    }
    // tests and testSetId together: INVALID_ARGUMENT, as the REST 400.
    await expect(
      call('Submit', {
        spec: { language: 'python', code: echo, testSetId, tests: [{ stdin: '', expectedOutput: '' }] },
      }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    c.close();
  });
});

describe('a visible test after a hidden one', () => {
  it('is withheld too: it could print what the hidden test left in the sandbox', async () => {
    const owner = await newUser();
    const other = await newUser();
    const testSetId = await createSet(owner, {
      tests: [
        { name: 'first', stdin: 'a\n', expectedOutput: 'a\n' },
        { name: 'secret', stdin: 'SECRET-IN-3\n', expectedOutput: 'SECRET-IN-3\n', hidden: true },
        { name: 'after', stdin: 'b\n', expectedOutput: 'b\n' },
      ],
    });
    // Keeps each stdin in /tmp and prints everything kept so far.
    const keeper = [
      'import os',
      "with open('/tmp/kept', 'a') as f: f.write(input() + ' ')",
      "print(open('/tmp/kept').read())",
      '',
    ].join('\n');
    const r = await execute(other.token, {
      language: 'python',
      code: keeper,
      testSetId,
      stopOnFirstFailure: false,
    });
    expect(r.tests.map((t: Msg) => [t['name'], t['hidden'] ?? false])).toEqual([
      ['first', false],
      ['secret', true],
      ['after', true],
    ]);
    expect(r.tests[0].output).toBe('a \n');
    expect(r.tests[2]).not.toHaveProperty('output');
    expect(JSON.stringify(r)).not.toMatch(secrets);
  });
});

describe('the owner of a set', () => {
  it('sees every test whole when running their own set', async () => {
    const owner = await newUser();
    const testSetId = await createSet(owner, { visibility: 'private' });
    const r = await execute(owner.token, {
      language: 'python',
      code: echo,
      testSetId,
      stopOnFirstFailure: false,
    });
    expect(r.tests.map((t: Msg) => [t['status'], t['hidden']])).toEqual([
      ['accepted', undefined],
      ['accepted', undefined],
      ['wrong_answer', undefined],
    ]);
    expect(r.tests[1]).toMatchObject({ output: 'SECRET-IN-1\n', error: 'SECRET-IN-1\n' });
    expect(r.tests[2]).toMatchObject({ output: 'SECRET-IN-2\n' });
    const again = await waitForResult(owner.token, r.executionId);
    expect(again.tests[2].output).toBe('SECRET-IN-2\n');
  });
});

async function fetchText(user: TestUser, path: string): Promise<string> {
  const res = await fetch(`${apiUrl()}${path}`, {
    headers: { authorization: `Bearer ${user.token}` },
  });
  return res.text();
}
