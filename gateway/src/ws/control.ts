import { controlField, redisKeys, type ControlMessage } from '@muscode/common';
import { checkOwner } from './subscribe.js';
import type { Session, WsContext } from './session.js';

async function owns(ctx: WsContext, s: Session, executionId: string): Promise<boolean> {
  return s.owned.has(executionId) || (await checkOwner(ctx, s, executionId)) !== null;
}

async function sendControl(ctx: WsContext, executionId: string, message: ControlMessage): Promise<void> {
  const key = redisKeys(ctx.redisPrefix).control(executionId);
  await ctx.redis
    .multi()
    .xadd(key, 'MAXLEN', '~', ctx.controlMaxLen, '*', controlField, JSON.stringify(message))
    .expire(key, ctx.controlTtlSeconds)
    .exec();
}

/**
 * stdin, stdin_close and cancel reach the agent running the execution through its control
 * stream in Redis, after the control-plane has confirmed the caller owns it.
 */
export async function control(
  ctx: WsContext,
  s: Session,
  executionId: string,
  message: ControlMessage,
): Promise<void> {
  if (!(await owns(ctx, s, executionId)) || s.closed) return;
  if (message.type === 'cancel') {
    // The control-plane's cancel endpoint, where it exists, also settles queued executions.
    const r = await ctx.upstream.cancel(s, executionId);
    if (r.status === 200 || r.status === 202) return;
    const noEndpoint = (r.status === 404 && r.error?.code === 'route_not_found') || r.status === 405;
    if (!noEndpoint && r.status >= 400 && r.status < 500) {
      if (r.status === 404) return s.error('not_found', 'Execution was not found.', { executionId });
      return s.error(r.error?.code ?? 'cancel_failed', r.error?.message ?? 'Cancel was refused.', {
        executionId,
      });
    }
    // No such endpoint, or the API failed: tell the agent directly.
  }
  try {
    await sendControl(ctx, executionId, message);
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message, executionId }, 'control message not written');
    s.error('unavailable', 'The message could not be delivered; try again.', { executionId });
  }
}
