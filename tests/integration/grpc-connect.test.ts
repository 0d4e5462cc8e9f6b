import { createClient, ConnectError, Code } from '@connectrpc/connect';
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from '@connectrpc/connect-node';
import { ExecutionService, Status } from '@muscode/proto/execution/v1';
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { newUser } from '../support/api.js';

const headers = (token: string) => ({ authorization: `Bearer ${token}` });

describe('ExecutionService with Connect clients', () => {
  it('runs hello world over the Connect protocol', async () => {
    const user = await newUser();
    const c = createClient(
      ExecutionService,
      createConnectTransport({ baseUrl: inject('rpcUrl'), httpVersion: '2' }),
    );
    const events = [];
    for await (const res of c.execute(
      { spec: { language: 'python', code: "print('hello')" } },
      { headers: headers(user.token) },
    )) {
      events.push(res);
    }
    const last = events.at(-1)!;
    expect(last.event.case).toBe('result');
    if (last.event.case !== 'result') return;
    expect(last.event.value.status).toBe(Status.COMPLETED);
    expect(Buffer.from(last.event.value.stdout).toString()).toBe('hello\n');
  });

  it('answers gRPC-Web clients too', async () => {
    const user = await newUser();
    const c = createClient(
      ExecutionService,
      createGrpcWebTransport({ baseUrl: inject('rpcUrl'), httpVersion: '2' }),
    );
    const res = await c.listLanguages({}, { headers: headers(user.token) });
    expect(res.languages.map((l) => l.id)).toContain('python');
    expect(res.languages.find((l) => l.id === 'python')?.available).toBe(true);
  });

  it('cancels a running execution over gRPC', async () => {
    const user = await newUser();
    const c = createClient(ExecutionService, createGrpcTransport({ baseUrl: inject('rpcUrl') }));
    const opts = { headers: headers(user.token) };
    const stream = c.execute(
      {
        spec: {
          language: 'python',
          code: "import time\nprint('up', flush=True)\ntime.sleep(30)\n",
          limits: { timeoutSeconds: 20 },
        },
      },
      opts,
    );
    let executionId = '';
    let result;
    for await (const res of stream) {
      if (res.event.case === 'status' && !executionId) executionId = res.event.value.executionId;
      if (res.event.case === 'output') {
        const cancelled = await c.cancel({ executionId }, opts);
        expect(cancelled.execution?.executionId).toBe(executionId);
      }
      if (res.event.case === 'result') result = res.event.value;
    }
    expect(result?.status).toBe(Status.CANCELLED);
    expect(Buffer.from(result?.stdout ?? []).toString()).toBe('up\n');

    // Cancelling a finished execution is refused, not an internal error.
    const again = await c.cancel({ executionId }, opts).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConnectError);
    expect((again as ConnectError).code).toBe(Code.FailedPrecondition);
  });
});
