import type { ControlMessage } from '@muscode/common';
import { checkOwner } from './subscribe.js';
import type { Session, WsContext } from './session.js';

async function owns(ctx: WsContext, s: Session, executionId: string): Promise<boolean> {
  return s.owned.has(executionId) || (await checkOwner(ctx, s, executionId)) !== null;
}

/** Spends the stdin budget and writes the message; answers the client when it is refused. */
async function sendStdin(
  ctx: WsContext,
  s: Session,
  executionId: string,
  message: Extract<ControlMessage, { type: 'stdin' | 'stdin_close' }>,
): Promise<void> {
  const outcome = await ctx.control.sendStdin(executionId, message);
  switch (outcome) {
    case 'sent':
      return;
    case 'finished':
      return s.error('stdin_not_accepted', 'The execution has finished.', { executionId });
    case 'not_interactive':
      return s.error(
        'stdin_not_accepted',
        'Only an interactive execution that is still running takes stdin.',
        { executionId },
      );
    case 'over_budget':
      return s.error('stdin_limit', 'This stdin would pass the execution\u2019s stdin limit.', {
        executionId,
      });
  }
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
      return s.relay(r.error, ['cancel_failed', 'Cancel was refused.'], { executionId });
    }
    // No such endpoint, or the API failed: tell the agent directly.
  }
  try {
    if (message.type === 'cancel') await ctx.control.send(executionId, message);
    else await sendStdin(ctx, s, executionId, message);
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message, executionId }, 'control message not written');
    s.error('unavailable', 'The message could not be delivered; try again.', { executionId });
  }
}
