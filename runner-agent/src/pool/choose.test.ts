import { describe, expect, it } from 'vitest';
import { chooseIdle, type IdleCandidate } from './choose.js';

const img = 'py';
const c = (over: Partial<IdleCandidate>): IdleCandidate => ({
  image: img,
  owner: undefined,
  runs: 0,
  preparedReady: false,
  ...over,
});

describe('chooseIdle', () => {
  it('sandbox: only a never-used sandbox of the image, a loaded one first', () => {
    const idle = [c({ image: 'js' }), c({ runs: 1 }), c({}), c({ preparedReady: true })];
    expect(chooseIdle(idle, img, 'u1', 'sandbox')).toBe(3);
    expect(chooseIdle([c({ runs: 1 }), c({ image: 'js' })], img, 'u1', 'sandbox')).toBe(-1);
  });

  it("owner: the owner's own wiped sandbox, else a fresh one, never another owner's", () => {
    const idle = [c({ owner: 'bob', runs: 1, preparedReady: true }), c({}), c({ owner: 'alice', runs: 2 })];
    expect(chooseIdle(idle, img, 'alice', 'owner')).toBe(2);
    expect(chooseIdle(idle, img, 'carol', 'owner')).toBe(1);
    expect(chooseIdle([idle[0]!], img, 'carol', 'owner')).toBe(-1);
  });

  it('jail: a reused sandbox, even still loading, before a fresh one', () => {
    const idle = [c({ preparedReady: true }), c({ runs: 3 })];
    expect(chooseIdle(idle, img, 'u1', 'jail')).toBe(1);
    expect(chooseIdle([c({})], img, 'u1', 'jail')).toBe(0);
  });
});
