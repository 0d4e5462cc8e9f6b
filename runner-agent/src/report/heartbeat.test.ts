import { createLogger } from '@muscode/common';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlPlane } from './control-plane.js';
import { createHeartbeat } from './heartbeat.js';

const log = createLogger('test', 'silent');
const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((s) => s()));

function setup(answer: () => Promise<number>, intervalMs = 50) {
  const beats: number[] = [];
  const outcomes: boolean[] = [];
  let n = 0;
  const controlPlane: ControlPlane = {
    open: () => {
      throw new Error('not used');
    },
    heartbeat: async (req) => {
      beats.push(Number(req.running));
      return answer();
    },
  };
  const hb = createHeartbeat({
    controlPlane,
    intervalMs,
    // Built anew for each beat: the running count changes between beats.
    request: () => ({ runnerId: 'r1', running: n++ }),
    onBeat: (ok) => outcomes.push(ok),
    log,
  });
  stops.push(hb.stop);
  return { hb, beats, outcomes };
}

describe('heartbeat', () => {
  it('beats at start and every interval, with the request built anew each time', async () => {
    const t = setup(async () => 0);
    await t.hb.start();
    expect(t.beats).toEqual([0]);
    await expect.poll(() => t.beats.length).toBeGreaterThanOrEqual(3);
    expect(t.beats.slice(0, 3)).toEqual([0, 1, 2]);
  });

  it('beats sooner when the control-plane asks for a shorter interval, never later than its own', async () => {
    const t = setup(async () => 10, 10_000);
    await t.hb.start();
    await expect.poll(() => t.beats.length, { timeout: 1000 }).toBeGreaterThanOrEqual(3);
  });

  it('a failed beat is counted and retried on time; now() beats at once; stop() ends it', async () => {
    let fail = true;
    const t = setup(async () => {
      if (fail) throw new Error('unavailable');
      return 0;
    }, 10_000);
    await t.hb.start();
    expect(t.outcomes).toEqual([false]);
    fail = false;
    t.hb.now();
    await expect.poll(() => t.outcomes).toEqual([false, true]);
    t.hb.stop();
    t.hb.now();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.outcomes).toEqual([false, true]);
  });
});
