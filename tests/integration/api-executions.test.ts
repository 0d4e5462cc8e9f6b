import { describe, expect, it } from 'vitest';
import { api, newUser, waitForResult } from '../support/api.js';
import { sql } from '../support/sql.js';
import { waitFor } from '../support/stack.js';

// A region no agent serves: its executions stay queued, and cost no sandbox.
const idle = 'no-agents-here';

describe('POST /execute?wait=true', () => {
  it('answers with the final result in the same response', async () => {
    const user = await newUser();
    const r = await api('POST', '/execute?wait=true', {
      token: user.token,
      body: { language: 'python', code: "print('waited')" },
    });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ status: 'completed', output: 'waited\n', exitCode: 0 });
    expect(r.body.data.executionId).toEqual(expect.any(String));
    // The same shape as GET /execute/{id}.
    const again = await api('GET', `/execute/${r.body.data.executionId}`, { token: user.token });
    expect(Object.keys(again.body.data).sort()).toEqual(Object.keys(r.body.data).sort());
  });

  it('ends as soon as the execution is cancelled, from its event stream', async () => {
    const user = await newUser();
    const waiting = api('POST', '/execute?wait=true', {
      token: user.token,
      body: { language: 'python', code: 'print(1)', region: idle, timeout: 5 },
    });
    const [queued] = await waitFor(
      'the queued execution',
      async () => {
        const list = await api('GET', '/executions', { token: user.token });
        return list.body.data.executions.length > 0 ? list.body.data.executions : undefined;
      },
      10_000,
    );
    const cancel = await api('POST', `/execute/${queued.executionId}/cancel`, { token: user.token });
    expect(cancel.status).toBe(200);
    expect(cancel.body.data).toEqual({ executionId: queued.executionId, status: 'cancelled' });
    const r = await waiting;
    expect(r.status).toBe(200);
    expect(r.body.data.status).toBe('cancelled');
  });

  it('rejects a bad wait value', async () => {
    const user = await newUser();
    const r = await api('POST', '/execute?wait=maybe', {
      token: user.token,
      body: { language: 'python', code: 'print(1)', region: idle },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
  });
});

describe('POST /execute/{id}/cancel', () => {
  it('cancels a running execution through its agent', async () => {
    const user = await newUser();
    const sub = await api('POST', '/execute', {
      token: user.token,
      body: {
        language: 'python',
        code: "import time\nprint('start', flush=True)\ntime.sleep(20)",
        timeout: 25,
      },
    });
    const id = sub.body.data.executionId as string;
    await waitFor(
      'it to run',
      async () => {
        const r = await api('GET', `/execute/${id}`, { token: user.token });
        return r.body.data.status === 'running' ? true : undefined;
      },
      20_000,
      50,
    );
    const cancel = await api('POST', `/execute/${id}/cancel`, { token: user.token });
    expect(cancel.status).toBe(202);
    expect(cancel.body.data).toEqual({ executionId: id, status: 'cancelling' });
    const result = await waitForResult(user.token, id, 15_000);
    expect(result.status).toBe('cancelled');
  });

  it('409 once final, 404 for another user or an unknown id', async () => {
    const user = await newUser();
    const other = await newUser();
    const sub = await api('POST', '/execute', {
      token: user.token,
      body: { language: 'python', code: 'print(1)', region: idle },
    });
    const id = sub.body.data.executionId as string;
    expect((await api('POST', `/execute/${id}/cancel`, { token: other.token })).status).toBe(404);
    expect((await api('GET', `/execute/${id}`, { token: other.token })).status).toBe(404);
    expect((await api('POST', `/execute/${id}/cancel`, { token: user.token })).status).toBe(200);
    const again = await api('POST', `/execute/${id}/cancel`, { token: user.token });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('execution_finished');
    const unknown = await api('POST', '/execute/00000000-0000-4000-8000-000000000000/cancel', {
      token: user.token,
    });
    expect(unknown.status).toBe(404);
    expect((await api('POST', "/execute/1' OR '1'='1/cancel", { token: user.token })).status).toBe(404);
    expect((await api('POST', `/execute/${id}/cancel`, {})).status).toBe(401);
  });
});

describe('GET /executions', () => {
  it('lists only the caller’s executions, newest first, paginated and filtered', async () => {
    const user = await newUser();
    const other = await newUser();
    const ids: string[] = [];
    for (const language of ['python', 'javascript', 'python']) {
      const r = await api('POST', '/execute', {
        token: user.token,
        body: { language, code: '1', region: idle },
      });
      expect(r.status).toBe(200);
      ids.push(r.body.data.executionId);
    }
    await api('POST', '/execute', {
      token: other.token,
      body: { language: 'python', code: '1', region: idle },
    });
    await api('POST', `/execute/${ids[0]}/cancel`, { token: user.token });

    const all = await api('GET', '/executions', { token: user.token });
    expect(all.status).toBe(200);
    expect(all.body.data.executions.map((e: { executionId: string }) => e.executionId)).toEqual(
      [...ids].reverse(),
    );
    expect(all.body.data.pagination).toEqual({ total: 3, page: 1, limit: 20, pages: 1 });

    const page2 = await api('GET', '/executions?page=2&limit=2', { token: user.token });
    expect(page2.body.data.executions.map((e: { executionId: string }) => e.executionId)).toEqual([ids[0]]);
    expect(page2.body.data.pagination).toEqual({ total: 3, page: 2, limit: 2, pages: 2 });

    const js = await api('GET', '/executions?language=javascript', { token: user.token });
    expect(js.body.data.executions.map((e: { executionId: string }) => e.executionId)).toEqual([ids[1]]);
    const cancelled = await api('GET', '/executions?status=cancelled', { token: user.token });
    expect(cancelled.body.data.executions.map((e: { executionId: string }) => e.executionId)).toEqual([
      ids[0],
    ]);
    const none = await api('GET', '/executions?project=00000000-0000-4000-8000-000000000000', {
      token: user.token,
    });
    expect(none.body.data.pagination.total).toBe(0);
    for (const id of ids.slice(1)) await api('POST', `/execute/${id}/cancel`, { token: user.token });
  });

  it.each([
    'page=0',
    'page=-1',
    'page=1e30',
    'page=99999999999',
    'page=1.5',
    'limit=0',
    'limit=1000',
    'status=bogus',
    'project=not-a-uuid',
  ])('rejects %s with 400', async (q) => {
    const user = await newUser();
    const r = await api('GET', `/executions?${q}`, { token: user.token });
    expect(r.status).toBe(400);
    expect(r.body.success).toBe(false);
  });

  it('treats SQL in a filter as a plain value', async () => {
    const user = await newUser();
    const q = encodeURIComponent("python' OR '1'='1");
    const r = await api('GET', `/executions?language=${q}`, { token: user.token });
    expect(r.status).toBe(200);
    expect(r.body.data.pagination.total).toBe(0);
  });
});

describe('execution quota', () => {
  it('two concurrent submissions at the last unit: exactly one 200 and one 429 with Retry-After', async () => {
    const user = await newUser();
    await sql('UPDATE user_quotas SET max_executions_daily = executions_today + 1 WHERE user_id = $1', [
      user.userId,
    ]);
    const submit = () =>
      api('POST', '/execute', { token: user.token, body: { language: 'python', code: '1', region: idle } });
    const results = await Promise.all([submit(), submit()]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 429]);
    const refused = results.find((r) => r.status === 429)!;
    expect(refused.body.error.code).toBe('quota_exceeded');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const ok = results.find((r) => r.status === 200)!;
    await api('POST', `/execute/${ok.body.data.executionId}/cancel`, { token: user.token });
  });

  it('caps queued + running executions per user; the refused one takes no quota; each accepted is audited', async () => {
    const user = await newUser();
    const submit = () =>
      api('POST', '/execute', { token: user.token, body: { language: 'python', code: '1', region: idle } });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await submit();
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      ids.push(r.body.data.executionId as string);
    }
    const capped = await submit();
    expect(capped.status).toBe(429);
    expect(capped.body.error).toMatchObject({ code: 'too_many_active_executions', details: { limit: 8 } });
    expect(Number(capped.headers.get('retry-after'))).toBeGreaterThan(0);
    const [quota] = await sql(
      'SELECT executions_today, executions_month FROM user_quotas WHERE user_id = $1',
      [user.userId],
    );
    expect(quota).toEqual({ executions_today: 8, executions_month: 8 });
    const audited = await sql(
      `SELECT resource_id, metadata FROM audit_logs WHERE user_id = $1 AND action = 'execution_submit'`,
      [user.userId],
    );
    expect(audited.map((a) => a.resource_id).sort()).toEqual([...ids].sort());
    // The audit row names the version the execution runs with (the newest python).
    expect(audited[0].metadata).toEqual({
      language: 'python',
      version: expect.stringMatching(/^3\.\d+/),
      projectId: null,
    });
    // One finished (here: cancelled) frees a place.
    await api('POST', `/execute/${ids.pop()!}/cancel`, { token: user.token });
    const again = await submit();
    expect(again.status).toBe(200);
    ids.push(again.body.data.executionId as string);
    for (const id of ids) await api('POST', `/execute/${id}/cancel`, { token: user.token });
  });
});
