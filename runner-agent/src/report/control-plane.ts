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
import { createReplayLog } from './replay-log.js';

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
  /** How long one attempt's report keeps reconnecting before the attempt gives up. */
  retryForMs?: number;
  /**
   * Longest wait for a heartbeat's answer, and for an HTTP/2 ping's on the connection: a
   * control-plane that accepts but never answers fails the call (a report stream then
   * reconnects) instead of hanging it.
   */
  callTimeoutMs?: number;
}): ControlPlane {
  const retryForMs = opts.retryForMs ?? 120_000;
  const callTimeoutMs = opts.callTimeoutMs ?? 10_000;
  const auth: Interceptor = (next) => (req) => {
    req.header.set('authorization', `Bearer ${opts.runnerToken}`);
    return next(req);
  };
  const client: Client<typeof RunnerService> = createClient(
    RunnerService,
    createGrpcTransport({
      baseUrl: opts.baseUrl,
      interceptors: [auth],
      // Passed on to net.connect by http2.connect: TCP_NODELAY, as gRPC clients set it, so a
      // small event frame never waits for the ACK of the one before it.
      nodeOptions: { noDelay: true } as Record<string, unknown>,
      // A stream that carries nothing (a program that sleeps) still proves the link alive.
      pingIntervalMs: callTimeoutMs,
      pingTimeoutMs: callTimeoutMs,
    }),
  );

  return {
    open(executionId, attempt) {
      const log = opts.log.child({ executionId, attempt });
      const events = createReplayLog<ReportRequest>();
      let seq = 0;

      /**
       * Streams the attempt's events until `finish`, reconnecting when the stream breaks (the
       * control-plane restarted, or a load balancer moved us). A new stream resends the events
       * from the start: the control-plane records the last seq of each execution and attempt in
       * Redis and skips what it already has, so nothing is lost or doubled, whichever instance
       * answers.
       */
      const delivered = (async () => {
        let brokeAt: number | undefined;
        for (let failures = 0; ; failures++) {
          try {
            await client.report(events.read());
            if (brokeAt !== undefined) log.info({ failures }, 'report stream resumed and delivered');
            return;
          } catch (err) {
            brokeAt ??= Date.now();
            if (Date.now() - brokeAt > retryForMs) throw err;
            log.warn({ err: (err as Error).message, failures }, 'report stream broke; reconnecting');
            await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** failures, 2000)));
          }
        }
      })();
      // Seen in finish(): a failed stream must not crash the agent.
      delivered.catch(() => undefined);

      return {
        send(event) {
          seq += 1;
          events.push(
            create(ReportRequestSchema, { executionId, attempt, runnerId: opts.runnerId, seq, event }),
          );
        },
        async finish() {
          events.close();
          await delivered;
        },
      };
    },

    async heartbeat(req) {
      const res = await client.heartbeat(create(HeartbeatRequestSchema, req) as HeartbeatRequest, {
        timeoutMs: callTimeoutMs,
      });
      return res.intervalMs;
    },
  };
}
