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
