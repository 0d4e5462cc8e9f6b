import type { Redis } from 'ioredis';
import { controlField, redisKeys, type ControlMessage } from '@muscode/common';
import { sendStdinCodes, sendStdinScript } from './scripts/send-stdin.js';
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

type WithSendStdin = Redis & {
  muscodeSendStdin(
    budget: string,
    report: string,
    control: string,
    message: string,
    bytes: number,
    maxLen: number,
    ttl: number,
  ): Promise<number>;
};

/** Spends the stdin budget and writes the message; answers the client when it is refused. */
async function sendStdin(
  ctx: WsContext,
  s: Session,
  executionId: string,
  message: Extract<ControlMessage, { type: 'stdin' | 'stdin_close' }>,
): Promise<void> {
  const redis = ctx.redis as WithSendStdin;
  if (!('muscodeSendStdin' in redis))
    ctx.redis.defineCommand('muscodeSendStdin', { numberOfKeys: 3, lua: sendStdinScript });
  const keys = redisKeys(ctx.redisPrefix);
  const bytes = message.type === 'stdin' ? Buffer.byteLength(message.data, 'base64') : -1;
  const left = await redis.muscodeSendStdin(
    keys.stdinBudget(executionId),
    keys.report(executionId),
    keys.control(executionId),
    JSON.stringify(message),
    bytes,
    ctx.controlMaxLen,
    ctx.controlTtlSeconds,
  );
  if (left === sendStdinCodes.finished)
    return s.error('stdin_not_accepted', 'The execution has finished.', { executionId });
  if (left === sendStdinCodes.notInteractive)
    return s.error('stdin_not_accepted', 'Only an interactive execution that is still running takes stdin.', {
      executionId,
    });
  if (left === sendStdinCodes.overBudget)
    return s.error('stdin_limit', 'This stdin would pass the execution\u2019s stdin limit.', { executionId });
}

/**
 * stdin, stdin_close and cancel reach the agent running the execution through its control
 * stream in Redis, after the control-plane has confirmed the caller owns it. Stdin is taken
 * only for an interactive execution that has not finished, within its stdin limit.
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
    if (message.type === 'cancel') await sendControl(ctx, executionId, message);
    else await sendStdin(ctx, s, executionId, message);
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message, executionId }, 'control message not written');
    s.error('unavailable', 'The message could not be delivered; try again.', { executionId });
  }
}
