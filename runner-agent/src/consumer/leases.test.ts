import { createLogger } from '@muscode/common';
import { describe, expect, it } from 'vitest';
import { createLeases, freeSlots, leaseAction } from './leases.js';

describe('leaseAction', () => {
  it('renews within the budget, holds past it, frees the slot once others may reclaim', () => {
    expect(leaseAction(999, 1000, 500)).toBe('renew');
    expect(leaseAction(1000, 1000, 500)).toBe('hold');
    expect(leaseAction(1499, 1000, 500)).toBe('hold');
    expect(leaseAction(1500, 1000, 500)).toBe('free');
  });

  it('renews an attempt without a budget for ever', () => {
    expect(leaseAction(Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY, 500)).toBe('renew');
  });
});

describe('freeSlots', () => {
  it('counts the slots left, none while the runtime cannot take jobs', () => {
    expect(freeSlots(4, 1, true)).toBe(3);
    expect(freeSlots(4, 4, true)).toBe(0);
    // More running than capacity (never by reads; a later delivery of a freed entry): not negative.
    expect(freeSlots(1, 2, true)).toBe(0);
    expect(freeSlots(4, 0, false)).toBe(0);
  });
});

describe('createLeases', () => {
  const log = createLogger('test', 'silent');

  it('renews only attempts within budget and gives back the slot of one stuck past reclaim', async () => {
    const renewed: string[][] = [];
    const leases = createLeases({
      reclaimIdleMs: 100,
      renew: async (ids) => (renewed.push(ids), ids.length),
      log,
    });
    const task = new Promise<void>(() => undefined);
    leases.add('a', task, 1000);
    leases.add('b', task, 2000);
    await leases.renew(1050);
    expect(renewed).toEqual([['b']]);
    expect(leases.size()).toBe(2);
    await leases.renew(1100);
    expect(renewed.at(-1)).toEqual(['b']);
    expect(leases.has('a')).toBe(false);
    expect(leases.size()).toBe(1);
  });

  it('settles only the task it was given: a later delivery of the same entry keeps its slot', () => {
    const leases = createLeases({ reclaimIdleMs: 100, renew: async () => 0, log });
    const first = Promise.resolve();
    const second = Promise.resolve();
    leases.add('a', first, 10);
    leases.renewable(200); // freed: stuck past its budget
    leases.add('a', second, Number.POSITIVE_INFINITY);
    leases.settle('a', first);
    expect(leases.has('a')).toBe(true);
    leases.settle('a', second);
    expect(leases.size()).toBe(0);
  });
});
