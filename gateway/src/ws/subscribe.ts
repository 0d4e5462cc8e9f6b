import { isFinalStatus, type ExecutionEvent } from '@muscode/common';
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
  s.error(r.error?.code ?? 'bad_gateway', r.error?.message ?? 'The API failed; try again.', { executionId });
  return null;
}

async function sendResult(ctx: WsContext, s: Session, executionId: string, seq: number): Promise<void> {
  const r = await ctx.upstream.getExecution(s, executionId);
  if (r.status === 200) s.send({ type: 'result', seq, ...(r.data as Record<string, unknown>) });
  else
    s.error(r.error?.code ?? 'bad_gateway', r.error?.message ?? 'The result could not be read.', {
      executionId,
    });
}

function toMessage(executionId: string, event: ExecutionEvent): Record<string, unknown> | null {
  switch (event.type) {
    case 'status':
      return { type: 'status', executionId, status: event.status, seq: event.seq };
    case 'output': {
      const { data, encoding } = encodeOutput(Buffer.from(event.data, 'base64'));
      return { type: 'output', executionId, stream: event.stream, data, encoding, seq: event.seq };
    }
    case 'result':
      return null;
  }
}

/** Follows an execution the caller owns from `fromSeq`, ending with its result. */
export function follow(ctx: WsContext, s: Session, executionId: string, fromSeq: number): void {
  let done = false;
  let expected = fromSeq + 1;
  let lastEventAt = Date.now();
  // Final without a result event (a writer that failed it did not append one): look it up.
  const staleCheck = setInterval(() => {
    if (done || Date.now() - lastEventAt < ctx.staleFollowMs) return;
    lastEventAt = Date.now();
    void ctx.upstream.getExecution(s, executionId).then((r) => {
      const view = r.data as Record<string, unknown> | undefined;
      if (done || r.status !== 200 || !view || !isFinalStatus(String(view['status']))) return;
      done = true;
      finish();
      s.send({ type: 'result', seq: 0, ...view });
    });
  }, ctx.staleFollowMs);
  staleCheck.unref();
  const finish = () => {
    clearInterval(staleCheck);
    stopFollowing();
    if (s.subs.get(executionId) === stop) s.subs.delete(executionId);
  };
  const stopFollowing = ctx.fanout.follow(executionId, fromSeq, {
    onEvent(event) {
      lastEventAt = Date.now();
      if (done) return;
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
      if (event.type !== 'result') {
        const msg = toMessage(executionId, event);
        if (msg) s.send(msg);
        return;
      }
      done = true;
      // The result event carries the execution as its row was written: send it as is. Without
      // it (large output, an older writer), look it up. The caller owns the execution: it was
      // checked (or submitted) before following began.
      if (event.view?.executionId === executionId) {
        s.send({ type: 'result', seq: event.seq, ...event.view });
        finish();
        return;
      }
      // The watch stays until the result is sent, so a draining gateway waits for it.
      void sendResult(ctx, s, executionId, event.seq).finally(finish);
    },
    onOverflow() {
      s.close(closeCodes.slowConsumer, 'slow consumer: too much unread data');
    },
  });
  const stop = () => {
    done = true;
    clearInterval(staleCheck);
    stopFollowing();
  };
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
