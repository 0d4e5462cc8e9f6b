import type { ClientMessage } from './protocol.js';
import { closeCodes } from './protocol.js';
import type { Session, WsContext } from './session.js';
import { follow } from './subscribe.js';

type ExecuteMessage = Extract<ClientMessage, { type: 'execute' }>;

/**
 * Submits through the control-plane's REST API with the caller's token (so validation, quota
 * and rate limits are the same as POST /execute), then follows the new execution from seq 0.
 */
export async function execute(ctx: WsContext, s: Session, m: ExecuteMessage): Promise<void> {
  const requestId = m.requestId === undefined ? {} : { requestId: m.requestId };
  if (ctx.draining()) return s.error('shutting_down', 'This gateway is shutting down; reconnect.', requestId);
  if (s.subs.size >= ctx.maxSubscriptions) {
    return s.error(
      'too_many_subscriptions',
      `At most ${ctx.maxSubscriptions} executions at once.`,
      requestId,
    );
  }
  const body: Record<string, unknown> = { language: m.language };
  if (m.version !== undefined) body['version'] = m.version;
  if (m.args !== undefined) body['args'] = m.args;
  if (m.code !== undefined) body['code'] = m.code;
  if (m.files !== undefined) body['files'] = m.files;
  if (m.mainFile !== undefined) body['mainFile'] = m.mainFile;
  if (m.stdin !== undefined) body['stdin'] = m.stdin;
  if (m.limits?.timeout !== undefined) body['timeout'] = m.limits.timeout;
  if (m.limits?.memoryLimit !== undefined) body['memoryLimit'] = m.limits.memoryLimit;
  if (m.interactive) body['interactive'] = true;
  if (m.tests !== undefined) body['tests'] = m.tests;
  if (m.checker !== undefined) body['checker'] = m.checker;
  if (m.stopOnFirstFailure !== undefined) body['stopOnFirstFailure'] = m.stopOnFirstFailure;
  if (m.testSetId !== undefined) body['testSetId'] = m.testSetId;

  const r = await ctx.upstream.submit(s, body);
  if (s.closed) return;
  if (r.status === 401) return s.close(closeCodes.unauthorized, 'access token rejected');
  if (r.status !== 200 && r.status !== 201) {
    return s.relay(r.error, ['bad_gateway', 'The API failed; try again.'], {
      ...requestId,
      ...(r.error?.details === undefined ? {} : { details: r.error.details }),
    });
  }
  const executionId = String((r.data as { executionId: string }).executionId);
  s.owned.add(executionId);
  s.send({ type: 'status', executionId, status: 'queued', seq: 0, ...requestId });
  follow(ctx, s, executionId, 0);
}
