import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import type { Redis } from 'ioredis';
import type { ControlMessage, Logger } from '@muscode/common';
import {
  InteractResponseSchema,
  type InteractRequest,
  type InteractResponse,
} from '@muscode/proto/execution/v1';
import type { Streams } from '../../infra/streams.js';
import type { ExecutionService } from '../../modules/executions/service.js';
import { guarded } from '../errors.js';
import { specToBody } from '../execution-convert.js';
import type { RpcAuth } from './auth.js';
import { followExecution } from './follow.js';

/**
 * Interactive execution over one bidirectional stream: the first request is the spec, later
 * ones go to the program's control stream (stdin, stdin_close, cancel). The end of the
 * request stream closes stdin; a call abandoned before the result cancels the execution.
 */
export function interact(deps: {
  auth: RpcAuth;
  executions: ExecutionService;
  streams: Streams;
  redis: Redis;
  log: Logger;
}) {
  return async function* (
    requests: AsyncIterable<InteractRequest>,
    ctx: HandlerContext,
  ): AsyncGenerator<InteractResponse> {
    const input = requests[Symbol.asyncIterator]();
    const { caller, executionId } = await guarded(deps.log, async () => {
      const first = await input.next();
      if (first.done || first.value.message.case !== 'spec') {
        throw new ConnectError('the first message of Interact must carry the spec', Code.InvalidArgument);
      }
      const caller = await deps.auth(ctx, 'execute');
      const body = { ...specToBody(first.value.message.value), interactive: true };
      const r = await deps.executions.submit(caller.userId, body);
      return { caller, executionId: r.executionId };
    })();
    const log = deps.log.child({ executionId, userId: caller.userId });
    const control = (m: ControlMessage) => deps.streams.sendControl(executionId, m);

    let finished = false;
    const pump = (async () => {
      for (;;) {
        const next = await input.next();
        if (next.done) return control({ type: 'stdin_close' });
        const m = next.value.message;
        if (m.case === 'stdin')
          await control({ type: 'stdin', data: Buffer.from(m.value).toString('base64') });
        else if (m.case === 'stdinClose') await control({ type: 'stdin_close' });
        else if (m.case === 'cancel') await control({ type: 'cancel' });
      }
    })();
    pump.catch((err: unknown) => {
      // The client went away mid-run: nobody can answer the program any more.
      if (!finished) {
        log.info({ err: (err as Error).message }, 'interact input ended abnormally; cancelling');
        control({ type: 'cancel' }).catch(() => undefined);
      }
    });

    try {
      for await (const res of followExecution({
        ...deps,
        userId: caller.userId,
        executionId,
        signal: ctx.signal,
      })) {
        if (res.event.case === 'result') finished = true;
        yield create(InteractResponseSchema, { event: res.event });
      }
    } finally {
      if (!finished) await control({ type: 'cancel' }).catch(() => undefined);
    }
  };
}
