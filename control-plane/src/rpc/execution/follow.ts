import { create } from '@bufbuild/protobuf';
import { followExecution as followToResult, statusToProto, type ExecutionEvent } from '@muscode/common';
import {
  ExecuteResponseSchema,
  OutputStream,
  Status,
  type ExecuteResponse,
} from '@muscode/proto/execution/v1';
import type { Streams } from '../../infra/streams.js';
import type { ExecutionService } from '../../modules/executions/service.js';
import type { ExecutionView } from '../../modules/executions/view.js';
import { viewToExecution } from '../execution-convert.js';

const outputStreams = {
  stdout: OutputStream.STDOUT,
  stderr: OutputStream.STDERR,
  compile: OutputStream.COMPILE,
} as const;

/** Quiet time after which the row is read (made final without a result event, e.g. by the sweeper?). */
const quietMs = 5000;

function toResponse(executionId: string, event: ExecutionEvent): ExecuteResponse | null {
  if (event.type === 'status') {
    return create(ExecuteResponseSchema, {
      event: { case: 'status', value: { executionId, status: statusToProto(event.status) } },
    });
  }
  if (event.type === 'output') {
    return create(ExecuteResponseSchema, {
      event: {
        case: 'output',
        value: {
          stream: outputStreams[event.stream],
          data: Buffer.from(event.data, 'base64'),
          seq: event.seq,
        },
      },
    });
  }
  return null;
}

/**
 * The events of an execution, from its queued status to its result, read from its Redis
 * stream (common's followExecution: a result without its view, or none at all, is read from
 * the row). Used by Execute and Interact, whose responses have the same shape.
 */
export async function* followExecution(deps: {
  executions: ExecutionService;
  streams: Streams;
  userId: string;
  executionId: string;
  signal: AbortSignal;
}): AsyncGenerator<ExecuteResponse> {
  const { executionId } = deps;
  yield create(ExecuteResponseSchema, {
    event: { case: 'status', value: { executionId, status: Status.QUEUED } },
  });
  const queue: ExecuteResponse[] = [];
  let ended: { err?: unknown } | undefined;
  let wake: (() => void) | undefined;
  const push = () => {
    wake?.();
    wake = undefined;
  };
  const follow = followToResult<ExecutionView>({
    executionId,
    quietMs,
    // Every follower of this control-plane shares one reading connection; from the start.
    subscribe: (onEvent) => {
      const f = deps.streams.followEvents(executionId, '0', (events) => {
        for (const { event } of events) onEvent(event);
      });
      return () => f.stop();
    },
    onEvent(event) {
      const res = toResponse(executionId, event);
      if (res) queue.push(res);
      push();
    },
    // The caller's own execution (checked when it was submitted or looked up).
    readRow: () => deps.executions.get(deps.userId, executionId),
    onResult(view) {
      queue.push(
        create(ExecuteResponseSchema, {
          event: { case: 'result', value: viewToExecution(view as ExecutionView) },
        }),
      );
      push();
    },
    onEnd(err) {
      ended = { err };
      push();
    },
  });
  const onAbort = () => push();
  deps.signal.addEventListener('abort', onAbort);
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (ended) {
        if (ended.err !== undefined) throw ended.err;
        return;
      }
      if (deps.signal.aborted) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    deps.signal.removeEventListener('abort', onAbort);
    follow.stop();
  }
}
