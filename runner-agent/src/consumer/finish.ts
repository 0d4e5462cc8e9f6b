import { consumerGroup, scriptCodes, type Job, type Logger } from '@muscode/common';
import { settlementOf, type DeliveryPlan, type Settlement } from './attempts.js';
import type { StreamScripts } from './scripts.js';

/** A delivery that is a job: run as an attempt, or given up on. */
export type JobPlan = Exclude<DeliveryPlan, { action: 'malformed' }>;

export interface FinisherOptions {
  scripts: StreamScripts;
  stream: string;
  /** The dead-letter stream, `jobs:<region>:dead`. */
  dead: string;
  consumerName: string;
  deadLetterMaxLen: number;
  /** Runs one attempt; the entry is acknowledged once this resolves (the result reached the control-plane). */
  handle: (job: Job, attempt: number) => Promise<void>;
  /** Records an abandoned execution's final result (internal_error, `message`); must reach the control-plane. */
  abandon: (job: Job, attempt: number, message: string) => Promise<void>;
  deadLettered?: (reason: 'attempts' | 'malformed') => void;
}

/**
 * The end of a delivery: its attempt runs (or the job is abandoned), then its entry leaves the
 * stream, acknowledged or dead-lettered, each only if still pending to this agent
 * (scripts.ts): a reclaimed job is left to its new owner.
 */
export function createFinisher(opts: FinisherOptions) {
  const { scripts, stream } = opts;

  /** Returns scriptCodes.ownedEntry. */
  async function settle(id: string, raw: string, s: Settlement): Promise<number> {
    if (s.kind === 'ack') return scripts.ackIfOwner(stream, consumerGroup, opts.consumerName, id);
    const moved = await scripts.deadLetter(stream, opts.dead, {
      group: consumerGroup,
      consumer: opts.consumerName,
      id,
      reason: s.reason,
      attempts: s.attempts,
      job: raw,
      maxLen: opts.deadLetterMaxLen,
    });
    if (moved === scriptCodes.ownedEntry.done) opts.deadLettered?.(s.reason);
    return moved;
  }

  /** Rejects (the entry then stays pending, for a later attempt) if the attempt's end was not recorded. */
  async function finish(id: string, plan: JobPlan, deliveries: number, log: Logger): Promise<void> {
    const settlement = settlementOf(plan, deliveries);
    if (plan.action === 'run') {
      await opts.handle(plan.job, plan.attempt);
      const acked = await settle(id, plan.raw, settlement);
      if (acked === scriptCodes.ownedEntry.otherConsumer)
        log.info({ attempt: plan.attempt }, 'job was reclaimed meanwhile; left to its new owner');
      return;
    }
    await opts.abandon(plan.job, plan.attempt, plan.message);
    log.warn({ attempt: plan.attempt }, 'job abandoned after too many attempts; dead-lettered');
    await settle(id, plan.raw, settlement);
  }

  return { settle, finish };
}
