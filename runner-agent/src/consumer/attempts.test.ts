import { describe, expect, it } from 'vitest';
import { decideDelivery } from './attempts.js';

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
