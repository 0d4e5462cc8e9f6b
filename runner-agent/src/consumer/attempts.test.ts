import { describe, expect, it } from 'vitest';
import { testJob } from '../testing/jobs.js';
import { decideDelivery, planDelivery, settlementOf } from './attempts.js';

describe('decideDelivery', () => {
  it('runs the first delivery as attempt 1', () => {
    expect(decideDelivery(0, 1, 3)).toEqual({ action: 'run', attempt: 1 });
  });

  it('counts reclaims as further attempts, up to the limit', () => {
    expect(decideDelivery(0, 3, 3)).toEqual({ action: 'run', attempt: 3 });
    const past = decideDelivery(0, 4, 3);
    expect(past.action).toBe('give-up');
    expect(past.attempt).toBe(4);
    if (past.action === 'give-up') expect(past.message).toContain('after 3 attempts');
  });

  it('continues the numbering of a re-queued job', () => {
    expect(decideDelivery(2, 1, 3)).toEqual({ action: 'run', attempt: 3 });
    expect(decideDelivery(3, 1, 3).action).toBe('give-up');
  });
});

const job = testJob();
const entry = (fields: string[]) => ({ id: '1-0', fields });

describe('planDelivery', () => {
  it("reads the entry's job field (the fair queue writes exec and owner before it)", () => {
    const raw = JSON.stringify(job);
    const plan = planDelivery(entry(['exec', job.executionId, 'owner', 'u1', 'job', raw]), 2, 3);
    expect(plan).toMatchObject({ action: 'run', attempt: 2, raw, job: { executionId: job.executionId } });
  });

  it('gives up on a job out of attempts, its own attemptBase counted', () => {
    const raw = JSON.stringify({ ...job, attemptBase: 3 });
    expect(planDelivery(entry(['job', raw]), 1, 3)).toMatchObject({ action: 'give-up', attempt: 4 });
  });

  it('calls a payload that is not JSON, or not a job, malformed, keeping it as it was', () => {
    expect(planDelivery(entry(['job', '{"not":"a job"}']), 1, 3)).toMatchObject({
      action: 'malformed',
      raw: '{"not":"a job"}',
    });
    const notJson = planDelivery(entry(['job', 'nope']), 1, 3);
    expect(notJson.action).toBe('malformed');
    if (notJson.action === 'malformed') expect(notJson.error).toMatch(/JSON/);
  });
});

describe('settlementOf', () => {
  it('acknowledges a run attempt, dead-letters the rest with the attempts they used', () => {
    const run = planDelivery(entry(['job', JSON.stringify(job)]), 1, 3);
    expect(settlementOf(run, 1)).toEqual({ kind: 'ack' });
    const poison = planDelivery(entry(['job', JSON.stringify(job)]), 4, 3);
    // Delivery 4 ran nothing: the three before it are the attempts made.
    expect(settlementOf(poison, 4)).toEqual({ kind: 'dead-letter', reason: 'attempts', attempts: 3 });
    const bad = planDelivery(entry(['job', '[]']), 2, 3);
    expect(settlementOf(bad, 2)).toEqual({ kind: 'dead-letter', reason: 'malformed', attempts: 2 });
  });
});
