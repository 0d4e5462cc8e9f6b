import type { Job } from '@muscode/common';
import { describe, expect, it } from 'vitest';
import { testJob, testLimits } from '../testing/jobs.js';
import { collectResult, createStepCollector, type RunEnd } from './collect.js';
import { frame } from './frames.js';

// Output capped at 8 bytes per stream.
const job = (over: Partial<Job['limits']> = {}): Job =>
  testJob({ limits: { ...testLimits, outputBytes: 8, ...over } });
const x = (fields: string) =>
  frame(
    'x',
    `step=run exit=0 signal=0 cpu_ms=1 wall_ms=2 maxrss_kb=3000 timeout=0 cpu_limit=0 output_limit=0 cancelled=0 ${fields}`.trim(),
  );
const end: RunEnd = {
  deadlineHit: false,
  killed: false,
  cancelled: false,
  exit: { exitCode: undefined, oomKilled: false },
  cgroup: undefined,
  launcherStderr: '',
};
const feed = (c: ReturnType<typeof createStepCollector>, ...frames: Buffer[]) => {
  for (const f of frames) c.onFrame({ type: String.fromCharCode(f[0]!), payload: f.subarray(5) });
};

describe('collect', () => {
  it('caps output at the limit, flags it when the launcher cut it, and reports the peak memory', async () => {
    const c = createStepCollector(job());
    feed(c, frame('o', 'hello, world\n'), frame('e', 'oops'), x('output_limit=1 exit=-1 signal=9'));
    await c.stepsDone;
    const r = collectResult(job(), false, c, {
      ...end,
      cgroup: { oomKills: 0, pidsExhausted: false, peakBytes: 4096 * 1024 },
    });
    expect(r.stdout.toString()).toBe('hello, w');
    expect(r.stdoutTruncated).toBe(true);
    expect(r.stderrTruncated).toBe(false);
    expect(r.verdict).toBe('output_limit');
    expect(r.peakMemoryKb).toBe(4096);
    expect(r.reusable).toBe(true);
  });

  it('an unknown frame is the launcher breaking the protocol: internal_error, never reused', async () => {
    const c = createStepCollector(job());
    feed(c, frame('Q', 'x'));
    await c.stepsDone;
    const r = collectResult(job(), false, c, end);
    expect(r).toMatchObject({
      verdict: 'internal_error',
      reusable: false,
      detail: 'unknown launcher frame "Q"',
    });
  });

  it('a failed compile ends the submission; its rusage is not the program peak', async () => {
    const c = createStepCollector(job());
    feed(c, frame('c', 'main.c:1: error'), x('step=compile exit=1'));
    await c.stepsDone;
    expect(c.stepDone()).toBe(true);
    const r = collectResult(job(), true, c, end);
    expect(r.verdict).toBe('compile_error');
    expect(r.compileOutput.toString()).toBe('main.c:1');
    expect(r.peakMemoryKb).toBe(3000);
  });

  it('asked for artifacts, the run is done only once they ended with y', () => {
    const j = job({ artifacts: { maxCount: 5, maxFileBytes: 100, maxBytes: 100 } });
    const c = createStepCollector(j);
    feed(c, x(''));
    expect(c.stepDone()).toBe(false);
    feed(
      c,
      frame('a', Buffer.from('out.txt\x002')),
      frame('b', 'hi'),
      frame('y', 'count=1 bytes=2 skipped=0'),
    );
    expect(c.stepDone()).toBe(true);
    const r = collectResult(j, false, c, end);
    expect(r.verdict).toBe('completed');
    expect(r.artifacts?.files.map((f) => [f.name, f.content.toString()])).toEqual([['out.txt', 'hi']]);
  });

  it('a sandbox killed at our deadline is not reusable', async () => {
    const c = createStepCollector(job());
    const r = collectResult(job(), false, c, { ...end, deadlineHit: true, killed: true });
    expect(r).toMatchObject({ verdict: 'timeout', reusable: false });
  });
});
