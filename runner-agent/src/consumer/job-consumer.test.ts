import { describe, expect, it } from 'vitest';
import { nextStep } from './job-consumer.js';

describe('nextStep', () => {
  it('reads into the free slots, blocking no later than the next lease round', () => {
    expect(nextStep({ free: 2, now: 1000, nextRound: 1300, blockMs: 5000 })).toEqual({
      action: 'read',
      count: 2,
      blockMs: 300,
    });
    expect(nextStep({ free: 1, now: 1000, nextRound: 9000, blockMs: 5000 })).toMatchObject({ blockMs: 5000 });
  });

  it('waits for a slot or the next round when full, never for 0 ms', () => {
    expect(nextStep({ free: 0, now: 1000, nextRound: 1400, blockMs: 5000 })).toEqual({
      action: 'wait',
      ms: 400,
    });
    expect(nextStep({ free: 0, now: 1500, nextRound: 1400, blockMs: 5000 })).toEqual({
      action: 'wait',
      ms: 1,
    });
  });
});
