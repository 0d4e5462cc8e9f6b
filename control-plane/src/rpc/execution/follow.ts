import { blockingConnection } from '../../infra/redis.js';
import { create } from '@bufbuild/protobuf';
import type { Redis } from 'ioredis';
import {
  ExecuteResponseSchema,
  OutputStream,
  Status,
  type ExecuteResponse,
} from '@muscode/proto/execution/v1';
import type { Streams } from '../../infra/streams.js';
import { finalStatuses } from '../../modules/executions/model.js';
import type { ExecutionService } from '../../modules/executions/service.js';
import type { ExecutionView } from '../../modules/executions/view.js';
import { toStatus, viewToExecution } from '../execution-convert.js';

const finalStatusSet: ReadonlySet<string> = new Set(finalStatuses);

const outputStreams = {
  stdout: OutputStream.STDOUT,
  stderr: OutputStream.STDERR,
  compile: OutputStream.COMPILE,
} as const;

/**
 * The events of an execution, from its queued status to its result, read from its Redis
 * stream. Used by Execute and Interact, whose responses have the same shape.
 */
export async function* followExecution(deps: {
  executions: ExecutionService;
  streams: Streams;
  redis: Redis;
  userId: string;
  executionId: string;
  signal: AbortSignal;
}): AsyncGenerator<ExecuteResponse> {
  const { executionId } = deps;
  yield create(ExecuteResponseSchema, {
    event: { case: 'status', value: { executionId, status: Status.QUEUED } },
  });
  // XREAD BLOCK holds its connection, so each follower gets one of its own.
  const conn = blockingConnection(deps.redis);
  try {
    let after = '0';
    while (!deps.signal.aborted) {
      const events = await deps.streams.readEvents(conn, executionId, after, 5000);
      if (events.length === 0) {
        // Quiet for a while: made final without a result event (e.g. by the sweeper)?
        const v = await deps.executions.get(deps.userId, executionId);
        if (finalStatusSet.has(v.status)) {
          yield create(ExecuteResponseSchema, { event: { case: 'result', value: viewToExecution(v) } });
          return;
        }
      }
      for (const { id, event } of events) {
        after = id;
        if (event.type === 'status') {
          yield create(ExecuteResponseSchema, {
            event: { case: 'status', value: { executionId, status: toStatus(event.status) } },
          });
        } else if (event.type === 'output') {
          yield create(ExecuteResponseSchema, {
            event: {
              case: 'output',
              value: {
                stream: outputStreams[event.stream],
                data: Buffer.from(event.data, 'base64'),
                seq: event.seq,
              },
            },
          });
        } else {
          // The result event carries the row as written (the caller's own execution, checked
          // when it was submitted or looked up); without it, look the execution up.
          const v =
            event.view?.executionId === executionId
              ? (event.view as ExecutionView)
              : await deps.executions.get(deps.userId, executionId);
          yield create(ExecuteResponseSchema, { event: { case: 'result', value: viewToExecution(v) } });
          return;
        }
      }
    }
  } finally {
    conn.disconnect();
  }
}
