import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { inject } from 'vitest';
import { root } from './stack.js';

// A stock grpc-js client built from the .proto files at run time: not our generated code.
const definition = protoLoader.loadSync('muscode/execution/v1/execution.proto', {
  includeDirs: [`${root}/proto`],
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});
const pkg = grpc.loadPackageDefinition(definition) as unknown as {
  muscode: { execution: { v1: { ExecutionService: grpc.ServiceClientConstructor } } };
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- dynamic client, arbitrary messages
export type AnyClient = grpc.Client & Record<string, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- messages are plain objects
export type Msg = Record<string, any>;

/** An ExecutionService client of the stack's control-plane (plaintext HTTP/2). */
export function stockExecutionClient(): AnyClient {
  return new pkg.muscode.execution.v1.ExecutionService(
    inject('rpcUrl').replace(/^http:\/\//, ''),
    grpc.credentials.createInsecure(),
  ) as AnyClient;
}

/** Call metadata from plain entries (`authorization`, `idempotency-key`, …). */
export function metadata(entries: Record<string, string>): grpc.Metadata {
  const m = new grpc.Metadata();
  for (const [k, v] of Object.entries(entries)) m.set(k, v);
  return m;
}

/**
 * The stock client as one user (a bearer token): `call` is one unary call as a promise (a gRPC
 * error rejects it), `completed` polls Get until the execution is STATUS_COMPLETED or the
 * attempts (200 ms apart) run out, and returns the last execution Get answered.
 */
export function executionCaller(token: string) {
  const c = stockExecutionClient();
  const md = metadata({ authorization: `Bearer ${token}` });
  const call = (method: string, req: Msg) =>
    new Promise<Msg>((resolve, reject) =>
      c[method](req, md, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res))),
    );
  const completed = async (executionId: string, attempts = 150) => {
    let e: Msg = {};
    for (let i = 0; i < attempts; i++) {
      e = (await call('Get', { executionId }))['execution'];
      if (e['status'] === 'STATUS_COMPLETED') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return e;
  };
  return { call, completed, close: () => c.close() };
}
