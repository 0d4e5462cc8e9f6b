import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import type { Logger } from '@muscode/common';
import {
  HeartbeatRequestSchema,
  ReportRequestSchema,
  RunnerService,
  type HeartbeatRequest,
  type ReportRequest,
} from '@muscode/proto/runner/v1';
import { createAsyncQueue } from './async-queue.js';

export type ReportEvent = MessageInitShape<typeof ReportRequestSchema>['event'];

/** One attempt's report: events go out live; `finish` resolves once the control-plane has all. */
export interface AttemptReport {
  send(event: NonNullable<ReportEvent>): void;
  finish(): Promise<void>;
}

export interface ControlPlane {
  open(executionId: string, attempt: number): AttemptReport;
  heartbeat(req: MessageInitShape<typeof HeartbeatRequestSchema>): Promise<number>;
}

export function createControlPlane(opts: {
  baseUrl: string;
  runnerToken: string;
  runnerId: string;
  log: Logger;
}): ControlPlane {
  const auth: Interceptor = (next) => (req) => {
    req.header.set('authorization', `Bearer ${opts.runnerToken}`);
    return next(req);
  };
  const client: Client<typeof RunnerService> = createClient(
    RunnerService,
    createGrpcTransport({ baseUrl: opts.baseUrl, interceptors: [auth] }),
  );

  return {
    open(executionId, attempt) {
      let seq = 0;
      const sent: ReportRequest[] = [];
      const queue = createAsyncQueue<ReportRequest>();
      const first = client.report(queue);
      // Swallowed here and seen in finish(): a failed stream must not crash the agent.
      first.catch(() => undefined);
      return {
        send(event) {
          seq += 1;
          const req = create(ReportRequestSchema, {
            executionId,
            attempt,
            runnerId: opts.runnerId,
            seq,
            event,
          });
          sent.push(req);
          queue.push(req);
        },
        async finish() {
          queue.close();
          try {
            await first;
            return;
          } catch (err) {
            opts.log.warn({ err: (err as Error).message, executionId }, 'report stream failed; retrying');
          }
          // The live stream broke. The lifecycle events carry everything that matters (the
          // final one has the whole output), and the control-plane fences repeats, so resend
          // those until they land.
          const essential = sent.filter((r) => r.event.case === 'started' || r.event.case === 'finished');
          for (let attemptNo = 1; ; attemptNo++) {
            try {
              await client.report(
                (async function* () {
                  yield* essential;
                })(),
              );
              return;
            } catch (err) {
              if (attemptNo >= 8) throw err;
              await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attemptNo, 5000)));
            }
          }
        },
      };
    },

    async heartbeat(req) {
      const res = await client.heartbeat(create(HeartbeatRequestSchema, req) as HeartbeatRequest);
      return res.intervalMs;
    },
  };
}
