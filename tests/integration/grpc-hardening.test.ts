import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, inject, it } from 'vitest';
import { newUser } from '../support/api.js';
import { metadata, stockExecutionClient, type AnyClient, type Msg } from '../support/grpc.js';

const client = stockExecutionClient;
const md = metadata;

function submit(c: AnyClient, req: Msg, meta: grpc.Metadata) {
  return new Promise<{ res: Msg; header: grpc.Metadata }>((resolve, reject) => {
    let header = new grpc.Metadata();
    const call = c['submit'](req, meta, (err: grpc.ServiceError | null, res: Msg) =>
      err ? reject(err) : resolve({ res, header }),
    ) as grpc.ClientUnaryCall;
    call.on('metadata', (m) => (header = m));
  });
}

const path = '/muscode.execution.v1.ExecutionService/Submit';

describe('gRPC: credentials before the body', () => {
  it('refuses a 10 MiB Submit with a wrong token UNAUTHENTICATED (not RESOURCE_EXHAUSTED after reading it)', async () => {
    const c = client();
    const err = await submit(
      c,
      { spec: { language: 'python', code: `#${'x'.repeat(10 * 1024 * 1024)}` } },
      md({ authorization: 'Bearer not-a-valid-token' }),
    ).catch((e: grpc.ServiceError) => e);
    // RESOURCE_EXHAUSTED would mean the body was read first; the next case shows the answer
    // comes while the body never does.
    expect(err).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    c.close();
  });

  it('answers a wrong API key or token from the headers alone, while the body never comes', async () => {
    for (const token of ['not-a-valid-token', 'msk_not-a-real-key']) {
      const session = http2.connect(inject('rpcUrl'));
      try {
        const stream = session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
          authorization: `Bearer ${token}`,
        });
        // The envelope announces 10 MiB, then nothing: a server that reads before it
        // authenticates waits here for ever.
        const prefix = Buffer.alloc(5);
        prefix.writeUInt32BE(10 * 1024 * 1024, 1);
        stream.write(prefix);
        const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no answer before the body')), 3000);
          stream.on('response', (h) => {
            clearTimeout(t);
            resolve(h);
          });
          stream.on('error', reject);
        });
        expect(headers['grpc-status']).toBe('16');
        stream.close();
      } finally {
        session.close();
      }
    }
  });
});

describe('gRPC Submit honours idempotency-key like REST', () => {
  it('answers the same execution for the same key and spec, refuses another spec', async () => {
    const user = await newUser();
    const c = client();
    const key = `k-${Date.now()}`;
    const spec = { language: 'python', code: 'print("once")' };
    const auth = { authorization: `Bearer ${user.token}` };
    const first = await submit(c, { spec }, md({ ...auth, 'idempotency-key': key }));
    const again = await submit(c, { spec }, md({ ...auth, 'idempotency-key': key }));
    expect(again.res['executionId']).toBe(first.res['executionId']);
    expect(again.header.get('idempotent-replayed')).toEqual(['true']);
    expect(first.header.get('idempotent-replayed')).toEqual([]);
    const other = await submit(
      c,
      { spec: { ...spec, code: 'print("twice")' } },
      md({ ...auth, 'idempotency-key': key }),
    ).catch((e: grpc.ServiceError) => e);
    expect(other).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    // Without a key, each call is an execution of its own; another user's same key is theirs.
    const plain = await submit(c, { spec }, md(auth));
    expect(plain.res['executionId']).not.toBe(first.res['executionId']);
    const stranger = await newUser();
    const theirs = await submit(
      c,
      { spec },
      md({ authorization: `Bearer ${stranger.token}`, 'idempotency-key': key }),
    );
    expect(theirs.res['executionId']).not.toBe(first.res['executionId']);
    c.close();
  });
});

describe('gRPC Interact spends the stdin budget', () => {
  it('ends the call RESOURCE_EXHAUSTED once stdin passes the stdin limit (1 MiB)', async () => {
    const user = await newUser();
    const c = client();
    const call = c['interact'](md({ authorization: `Bearer ${user.token}` })) as grpc.ClientDuplexStream<
      Msg,
      Msg
    >;
    const events: Msg[] = [];
    let sent = false;
    const ended = new Promise<grpc.ServiceError | null>((resolve) => {
      call.on('data', (m: Msg) => {
        events.push(m);
        if (!sent && m['event'] === 'status') {
          sent = true;
          // 600 KiB fits; 600 KiB more does not.
          call.write({ stdin: Buffer.alloc(600 * 1024, 'a') });
          call.write({ stdin: Buffer.alloc(600 * 1024, 'b') });
          call.end();
        }
      });
      call.on('error', (e: grpc.ServiceError) => resolve(e));
      call.on('end', () => resolve(null));
    });
    call.write({
      spec: { language: 'python', code: 'import sys\nprint(len(sys.stdin.buffer.read()))\n' },
    });
    const err = await ended;
    expect(err).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    expect(events.some((e) => e['event'] === 'result' && e['result'].status === 'STATUS_COMPLETED')).toBe(
      false,
    );
    c.close();
  });
});
