import { jobField, jobSchema, type Job, type StreamEntry } from '@muscode/common';

/** What to do with one delivery of a job stream entry. */
export type DeliveryDecision =
  { action: 'run'; attempt: number } | { action: 'give-up'; attempt: number; message: string };

/**
 * The attempt number of a delivery is the attempts made before the entry existed plus the
 * entry's delivery count (1 for the first read, +1 for every reclaim). Past `maxAttempts` the
 * job is not run again: every earlier attempt died with its agent, so this one would likely
 * too (a poison job).
 */
export function decideDelivery(
  attemptBase: number,
  deliveries: number,
  maxAttempts: number,
): DeliveryDecision {
  const attempt = attemptBase + Math.max(1, deliveries);
  if (attempt <= maxAttempts) return { action: 'run', attempt };
  return {
    action: 'give-up',
    attempt,
    message: `The execution was abandoned after ${attempt - 1} attempts: the runner running it stopped each time before finishing.`,
  };
}

/** A delivery read in full: its entry's payload, and what to do with it. */
export type DeliveryPlan =
  { action: 'malformed'; raw: string; error: string } | ({ job: Job; raw: string } & DeliveryDecision);

/** Parses a delivered entry's job and decides its attempt (a payload that is no job is malformed). */
export function planDelivery(entry: StreamEntry, deliveries: number, maxAttempts: number): DeliveryPlan {
  const raw = entry.fields[entry.fields.indexOf(jobField) + 1] ?? '';
  let job: Job;
  try {
    job = jobSchema.parse(JSON.parse(raw));
  } catch (err) {
    return { action: 'malformed', raw, error: (err as Error).message };
  }
  return { job, raw, ...decideDelivery(job.attemptBase ?? 0, deliveries, maxAttempts) };
}

/** How a delivery's entry leaves the job stream once its attempt is over. */
export type Settlement =
  { kind: 'ack' } | { kind: 'dead-letter'; reason: 'attempts' | 'malformed'; attempts: number };

/**
 * A run attempt whose result reached the control-plane is acknowledged; a job given up on is
 * dead-lettered with the attempts it used (the earlier ones: this delivery ran nothing), a
 * malformed one with its deliveries.
 */
export function settlementOf(plan: DeliveryPlan, deliveries: number): Settlement {
  switch (plan.action) {
    case 'run':
      return { kind: 'ack' };
    case 'give-up':
      return { kind: 'dead-letter', reason: 'attempts', attempts: plan.attempt - 1 };
    case 'malformed':
      return { kind: 'dead-letter', reason: 'malformed', attempts: deliveries };
  }
}
