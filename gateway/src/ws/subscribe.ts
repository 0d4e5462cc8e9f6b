import { followExecution, isFinalStatus, type ExecutionEvent } from '@muscode/common';
import { closeCodes, encodeOutput } from './protocol.js';
import type { Session, WsContext } from './session.js';

/**
 * Asks the control-plane whether the caller owns an execution (GET /execute/{id} with the
 * caller's token). Anything but "yours" is answered with the same not_found error, so others
 * learn nothing. Returns the execution's view, or null when an error was sent.
 */
export async function checkOwner(
  ctx: WsContext,
  s: Session,
  executionId: string,
): Promise<Record<string, unknown> | null> {
  const r = await ctx.upstream.getExecution(s, executionId);
  if (r.status === 200) {
    s.owned.add(executionId);
    return r.data as Record<string, unknown>;
  }
  if (r.status === 401) {
    s.close(closeCodes.unauthorized, 'access token rejected');
    return null;
  }
  if (r.status === 404 || r.status === 400) {
    s.error('not_found', 'Execution was not found.', { executionId });
    return null;
  }
  s.relay(r.error, ['bad_gateway', 'The API failed; try again.'], { executionId });
  return null;
}

function toMessage(executionId: string, event: ExecutionEvent): Record<string, unknown> | null {
  switch (event.type) {
    case 'status':
      return { type: 'status', executionId, status: event.status, seq: event.seq };
    case 'output': {
      const { data, encoding } = encodeOutput(Buffer.from(event.data, 'base64'));
      return { type: 'output', executionId, stream: event.stream, data, encoding, seq: event.seq };
    }
    case 'test':
      // A graded submission's test has run: the answer's `tests[index]`, as it will be.
      return { type: 'test', executionId, index: event.index, test: event.test, seq: event.seq };
    case 'result':
      return null;
  }
}

type View = Record<string, unknown> & { status: string };

/**
 * Follows an execution the caller owns from `fromSeq`, ending with its result: common's
 * followExecution, with the gateway's fan-out as the source and the API as the row (a result
 * event without its view, or an execution quiet for GATEWAY_WS_STALE_FOLLOW_MS that may have been
 * made final without a result event). The caller owns the execution: it was checked (or
 * submitted) before following began.
 */
export function follow(ctx: WsContext, s: Session, executionId: string, fromSeq: number): void {
  let expected = fromSeq + 1;
  const following = followExecution<View>({
    executionId,
    quietMs: ctx.staleFollowMs,
    subscribe: (onEvent) =>
      // A slow client is cut off by its socket's buffer (session.ts), not here.
      ctx.fanout.follow(executionId, fromSeq, { onEvent }),
    onEvent(event) {
      // Seqs are contiguous: a jump means Redis trimmed or expired what the client asked for.
      if (event.seq > expected) {
        s.error(
          'events_trimmed',
          `Events ${expected} to ${event.seq - 1} are no longer kept; the result has the full output.`,
          {
            executionId,
            fromSeq: expected - 1,
            availableFromSeq: event.seq,
          },
        );
      }
      expected = event.seq + 1;
      const msg = toMessage(executionId, event);
      if (msg) s.send(msg);
    },
    async readRow(why) {
      const r = await ctx.upstream.getExecution(s, executionId);
      if (r.status === 200) return r.data as View;
      // A quiet stream's lookup just tries again later; a result must be answered.
      if (why === 'result')
        s.relay(r.error, ['bad_gateway', 'The result could not be read.'], { executionId });
      return null;
    },
    onResult(view, seq) {
      s.send({ type: 'result', seq, ...view });
    },
    onEnd(err) {
      if (err !== undefined) ctx.log.warn({ err: (err as Error).message, executionId }, 'follow ended');
      if (s.subs.get(executionId) === stop) s.subs.delete(executionId);
    },
  });
  function stop() {
    following.stop();
  }
  s.subs.set(executionId, stop);
}

export async function subscribe(
  ctx: WsContext,
  s: Session,
  executionId: string,
  fromSeq: number,
): Promise<void> {
  if (ctx.draining())
    return s.error('shutting_down', 'This gateway is shutting down; reconnect.', { executionId });
  if (s.subs.has(executionId)) {
    return s.error('already_subscribed', 'This execution is already followed on this connection.', {
      executionId,
    });
  }
  if (s.subs.size >= ctx.maxSubscriptions) {
    return s.error('too_many_subscriptions', `At most ${ctx.maxSubscriptions} executions at once.`, {
      executionId,
    });
  }
  // Reserve the slot while the ownership check runs, so a repeated subscribe is refused.
  const reserved = () => undefined;
  s.subs.set(executionId, reserved);
  const view = await checkOwner(ctx, s, executionId);
  if (s.subs.get(executionId) !== reserved || s.closed) return;
  if (!view) {
    s.subs.delete(executionId);
    return;
  }
  // A finished execution whose event stream has expired: only its result is left to send.
  if (isFinalStatus(String(view['status'])) && !(await ctx.fanout.exists(executionId))) {
    s.subs.delete(executionId);
    s.send({ type: 'result', seq: 0, ...view });
    return;
  }
  if (s.subs.get(executionId) !== reserved || s.closed) return;
  follow(ctx, s, executionId, fromSeq);
}

export function unsubscribe(s: Session, executionId: string): void {
  const stop = s.subs.get(executionId);
  if (!stop)
    return s.error('not_subscribed', 'This execution is not followed on this connection.', { executionId });
  stop();
  s.subs.delete(executionId);
}
