// Stored test sets (README, "Grading"): the /test-sets routes, who sees what of a hidden test,
// ownership, validation, and the submissions refused before anything is queued (no agent here).
import { describe, expect, it } from 'vitest';
import { api, newUser, type TestUser } from '../support/api.js';

const tests = [
  { name: 'sample', stdin: '2\n', expectedOutput: '4\n' },
  { stdin: 'secret-stdin-71\n', expectedOutput: 'secret-answer-71\n', hidden: true, timeout: 3 },
];

async function createSet(user: TestUser, body: Record<string, unknown> = {}) {
  const r = await api('POST', '/test-sets', {
    token: user.token,
    body: { name: 'Doubling', tests, ...body },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.data as { id: string; tests: Record<string, unknown>[] };
}

describe('test sets: the owner', () => {
  it('creates, reads, lists, replaces and deletes a set, seeing its hidden tests whole', async () => {
    const owner = await newUser();
    const set = await createSet(owner, { checker: { type: 'tokens' } });
    expect(set).toMatchObject({
      name: 'Doubling',
      visibility: 'private',
      isOwner: true,
      checker: { type: 'tokens' },
      testCount: 2,
      hiddenCount: 1,
      owner: { id: owner.userId },
    });
    // Names are resolved as inline tests' are: `test <n>` by default.
    expect(set.tests).toEqual([
      { name: 'sample', stdin: '2\n', expectedOutput: '4\n', hidden: false },
      {
        name: 'test 2',
        stdin: 'secret-stdin-71\n',
        expectedOutput: 'secret-answer-71\n',
        timeout: 3,
        hidden: true,
      },
    ]);
    const got = await api('GET', `/test-sets/${set.id.toUpperCase()}`, { token: owner.token });
    expect(got.status).toBe(200);
    expect(got.body.data.tests).toEqual(set.tests);

    const list = await api('GET', '/test-sets', { token: owner.token });
    expect(list.status).toBe(200);
    expect(list.body.data.pagination).toMatchObject({ total: 1, page: 1 });
    expect(list.body.data.testSets[0]).toMatchObject({ id: set.id, testCount: 2, hiddenCount: 1 });
    expect(list.body.data.testSets[0].tests).toBeUndefined();

    // PUT replaces: the checker it does not send is gone, the visibility back to private.
    const put = await api('PUT', `/test-sets/${set.id}`, {
      token: owner.token,
      body: { name: 'Renamed', tests: [{ stdin: '1\n', expectedOutput: '2\n' }] },
    });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ name: 'Renamed', checker: null, testCount: 1, hiddenCount: 0 });

    const del = await api('DELETE', `/test-sets/${set.id}`, { token: owner.token });
    expect(del.status).toBe(200);
    expect((await api('GET', `/test-sets/${set.id}`, { token: owner.token })).status).toBe(404);
    expect((await api('DELETE', `/test-sets/${set.id}`, { token: owner.token })).status).toBe(404);
  });
});

describe('test sets: everyone else', () => {
  it('reads a public or unlisted set with its hidden tests as names only', async () => {
    const owner = await newUser();
    const other = await newUser();
    for (const visibility of ['public', 'unlisted']) {
      const set = await createSet(owner, { visibility });
      for (const token of [other.token, undefined]) {
        const r = await api('GET', `/test-sets/${set.id}`, token ? { token } : {});
        expect(r.status).toBe(200);
        expect(r.body.data.isOwner).toBe(false);
        expect(r.body.data.tests).toEqual([
          { name: 'sample', stdin: '2\n', expectedOutput: '4\n', hidden: false },
          { name: 'test 2', hidden: true },
        ]);
        expect(JSON.stringify(r.body)).not.toMatch(/secret/);
      }
    }
  });

  it('gets 404 for a private set, and cannot replace or delete anyone else’s set', async () => {
    const owner = await newUser();
    const other = await newUser();
    const secret = await createSet(owner);
    const shown = await createSet(owner, { visibility: 'public' });
    expect((await api('GET', `/test-sets/${secret.id}`, { token: other.token })).status).toBe(404);
    expect((await api('GET', `/test-sets/${secret.id}`)).status).toBe(404);
    for (const id of [secret.id, shown.id]) {
      const put = await api('PUT', `/test-sets/${id}`, {
        token: other.token,
        body: { name: 'Mine now', tests: [{ stdin: '', expectedOutput: '' }] },
      });
      expect(put.status).toBe(404);
      expect(put.body.error.code).toBe('not_found');
      expect((await api('DELETE', `/test-sets/${id}`, { token: other.token })).status).toBe(404);
    }
    // Nothing changed.
    const still = await api('GET', `/test-sets/${shown.id}`, { token: owner.token });
    expect(still.body.data).toMatchObject({ name: 'Doubling', testCount: 2 });
    // Not listed as theirs, and a listing needs a token.
    expect((await api('GET', '/test-sets', { token: other.token })).body.data.testSets).toEqual([]);
    expect((await api('GET', '/test-sets')).status).toBe(401);
    expect((await api('GET', '/test-sets/not-a-uuid', { token: owner.token })).status).toBe(404);
  });
});

describe('test sets: bad input is a 400 naming the field', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['no tests', { tests: [] }, 'tests'],
    [
      'too many tests',
      { tests: Array.from({ length: 101 }, () => ({ stdin: '', expectedOutput: '' })) },
      'tests',
    ],
    [
      'a stdin too large',
      { tests: [{ stdin: 'x'.repeat(512 * 1024 + 1), expectedOutput: '' }] },
      'tests.0.stdin',
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
    [
      'a timeout out of range',
      { tests: [{ stdin: '', expectedOutput: '', timeout: 100000 }] },
      'tests.0.timeout',
    ],
    ['an unknown checker', { checker: { type: 'regex' } }, 'checker'],
    ['an unknown visibility', { visibility: 'secret' }, 'visibility'],
    ['hidden not a boolean', { tests: [{ stdin: '', expectedOutput: '', hidden: 'yes' }] }, 'tests.0.hidden'],
  ];
  it.each(cases)('%s', async (_label, body, field) => {
    const user = await newUser();
    const r = await api('POST', '/test-sets', { token: user.token, body: { name: 'Bad', tests, ...body } });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    expect(String(r.body.error.details?.field ?? '')).toContain(field);
    expect((await api('GET', '/test-sets', { token: user.token })).body.data.pagination.total).toBe(0);
  });
});

describe('submitting against a set: refused before anything is queued', () => {
  it('tests and testSetId together are a 400; an unknown or private set of another a 404', async () => {
    const owner = await newUser();
    const other = await newUser();
    const set = await createSet(owner);
    const both = await api('POST', '/execute', {
      token: owner.token,
      body: { language: 'python', code: 'print(1)', testSetId: set.id, tests },
    });
    expect(both.status).toBe(400);
    expect(both.body.error).toMatchObject({ code: 'validation_failed', details: { field: 'testSetId' } });
    for (const testSetId of [set.id, '00000000-0000-4000-8000-000000000000', 'nope']) {
      const r = await api('POST', '/execute', {
        token: other.token,
        body: { language: 'python', code: 'print(1)', testSetId },
      });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
    // Each test has its own stdin: a set with stdin is refused as inline tests are.
    const stdin = await api('POST', '/execute/batch', {
      token: owner.token,
      body: { language: 'python', code: 'print(1)', testSetId: set.id, stdin: 'x' },
    });
    expect(stdin.status).toBe(400);
    expect(stdin.body.error.details.field).toBe('stdin');
    // No execution was recorded for any of them.
    expect((await api('GET', '/executions', { token: other.token })).body.data.pagination.total).toBe(0);
    expect((await api('GET', '/executions', { token: owner.token })).body.data.pagination.total).toBe(0);
  });
});
