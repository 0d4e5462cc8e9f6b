import { describe, expect, it } from 'vitest';
import { deliveryCounts } from './take.js';

describe('deliveryCounts', () => {
  it("reads each id's delivery count from its XPENDING row, leaving out failed calls and gone entries", () => {
    const counts = deliveryCounts(
      ['1-0', '2-0', '3-0'],
      [
        [null, [['1-0', 'agent-a', 120, 2]]],
        [new Error('LOADING'), null],
        [null, []],
      ],
    );
    expect([...counts]).toEqual([['1-0', 2]]);
  });
});
