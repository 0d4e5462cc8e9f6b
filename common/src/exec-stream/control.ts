import type { Redis } from 'ioredis';
import { redisScript, scriptCodes } from '../redis-scripts/index.js';
import { encodeControl, type ControlMessage } from './codec.js';
import { execStreamKeys } from './keys.js';

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

/** What became of stdin sent within the execution's budget. */
export type StdinOutcome = 'sent' | 'finished' | 'not_interactive' | 'over_budget';

export interface ControlWriter {
  /** Lets an interactive execution be sent `bytes` of stdin through `sendStdin`. */
  allowStdin(executionId: string, bytes: number): Promise<void>;
  /**
   * Writes a message to the execution's control stream as it is (cancel; stdin of callers that
   * enforce no budget of their own: the Interact RPC). Bounded by `maxLen`, expires after `ttlSeconds`.
   */
  send(executionId: string, message: ControlMessage): Promise<void>;
  /**
   * Writes stdin or stdin_close only while the execution is interactive, unfinished and within
   * its stdin budget (send-stdin.lua, atomically: two sockets cannot both spend the last bytes).
   */
  sendStdin(
    executionId: string,
    message: Extract<ControlMessage, { type: 'stdin' | 'stdin_close' }>,
  ): Promise<StdinOutcome>;
}

/** The one writer of execution control streams (the control-plane and the gateways use it). */
export function createControlWriter(
  redis: Redis,
  opts: { prefix: string; maxLen: number; ttlSeconds: number },
): ControlWriter {
  const keys = execStreamKeys(opts.prefix);
  const r = redis as WithSendStdin;
  if (!('muscodeSendStdin' in redis)) redis.defineCommand('muscodeSendStdin', redisScript('send-stdin'));
  return {
    async allowStdin(executionId, bytes) {
      await redis.set(keys.stdinBudget(executionId), bytes, 'EX', opts.ttlSeconds);
    },
    async send(executionId, message) {
      const key = keys.control(executionId);
      await redis
        .multi()
        .xadd(key, 'MAXLEN', '~', opts.maxLen, '*', ...encodeControl(message))
        .expire(key, opts.ttlSeconds)
        .exec();
    },
    async sendStdin(executionId, message) {
      const bytes = message.type === 'stdin' ? Buffer.byteLength(message.data, 'base64') : -1;
      const left = await r.muscodeSendStdin(
        keys.stdinBudget(executionId),
        keys.report(executionId),
        keys.control(executionId),
        encodeControl(message)[1],
        bytes,
        opts.maxLen,
        opts.ttlSeconds,
      );
      switch (left) {
        case scriptCodes.sendStdin.finished:
          return 'finished';
        case scriptCodes.sendStdin.notInteractive:
          return 'not_interactive';
        case scriptCodes.sendStdin.overBudget:
          return 'over_budget';
        default:
          return 'sent';
      }
    },
  };
}
