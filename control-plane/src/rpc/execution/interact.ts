import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import type { Redis } from 'ioredis';
import type { ControlMessage, Logger } from '@muscode/common';
import {
  InteractResponseSchema,
  type InteractRequest,
  type InteractResponse,
} from '@muscode/proto/execution/v1';
import type { Streams } from '../../infra/streams.js';
import type { ExecutionService } from '../../modules/executions/service.js';
import { guarded, toConnectError } from '../errors.js';
import { errors, type AppError } from '../../errors.js';
import { specToBody } from '../execution-convert.js';
import type { RpcAuth } from './auth.js';
import { followExecution } from './follow.js';

/**
 * Interactive execution over one bidirectional stream: the first request is the spec, later
 * ones go to the program's control stream (stdin, stdin_close, cancel). Stdin spends the
 * execution's stdin budget (its stdin limit, less the spec's stdin), as over the WebSocket: past
 * it the call ends RESOURCE_EXHAUSTED and the execution is cancelled. The end of the request
 * stream closes stdin; a call abandoned before the result cancels the execution.
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
        throw errors.validation('the first message of Interact must carry the spec');
      }
      const caller = await deps.auth(ctx, 'execute');
      const body = { ...specToBody(first.value.message.value), interactive: true };
      const r = await deps.executions.submit(caller.userId, body);
      return { caller, executionId: r.executionId };
    })();
    const log = deps.log.child({ executionId, userId: caller.userId });
    const control = (m: ControlMessage) => deps.streams.sendControl(executionId, m);

    let finished = false;
    // Set when the input breaks a rule: the call ends with it (and the execution is cancelled).
    let refusal: AppError | undefined;
    const stop = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stop.signal]);
    const stdin = async (m: Extract<ControlMessage, { type: 'stdin' | 'stdin_close' }>) => {
      if ((await deps.streams.sendStdin(executionId, m)) === 'over_budget') {
        refusal = errors.stdinLimit();
        stop.abort();
      }
      // Finished (or, past its budget's life, not interactive): nothing reads stdin any more.
    };
    const pump = (async () => {
      while (!refusal) {
        const next = await input.next();
        if (next.done) return stdin({ type: 'stdin_close' });
        const m = next.value.message;
        if (m.case === 'stdin') await stdin({ type: 'stdin', data: Buffer.from(m.value).toString('base64') });
        else if (m.case === 'stdinClose') await stdin({ type: 'stdin_close' });
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
        signal,
      })) {
        if (refusal) break;
        if (res.event.case === 'result') finished = true;
        yield create(InteractResponseSchema, { event: res.event });
      }
      if (refusal) throw toConnectError(refusal, log);
    } finally {
      if (!finished) await control({ type: 'cancel' }).catch(() => undefined);
    }
  };
}
