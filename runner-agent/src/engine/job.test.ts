import { defaultJobLimits, loadLanguageManifest, type Job } from '@muscode/common';
import { Verdict } from '@muscode/proto/runner/v1';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeLauncher } from '../testing/fake-driver.js';
import { createFakeEngine, finishedOf } from '../testing/fake-engine.js';
import { testJob, testSpec } from '../testing/jobs.js';
import { runJob, RuntimeUnavailableError } from './job.js';

// The whole attempt, as the consumer's handle runs it, against a fake driver of our own
// SandboxDriver interface: no Docker, no Redis, no control-plane.
const manifest = loadLanguageManifest();

const pools: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

function setup(opts: Parameters<typeof createFakeEngine>[0] = {}) {
  const t = createFakeEngine(opts);
  pools.push(t.pool);
  return t;
}

const job = (over: Partial<Job> = {}): Job =>
  testJob({ image: 'python', limits: defaultJobLimits(manifest), enqueuedAt: Date.now(), ...over });

describe('runJob', () => {
  it("asks the driver for exactly the job's limits, runs it and reports started, output, finished", async () => {
    const t = setup();
    const j = job({ limits: { ...defaultJobLimits(manifest), memoryMb: 256, cpus: 0.5 } });
    await runJob(t.deps, j, 1);

    expect(t.sandboxes.map((s) => s.spec)).toEqual([
      { ...testSpec, executionId: j.executionId, memoryBytes: (256 + 32) * 1024 * 1024, cpus: 0.5 },
    ]);
    // The launcher got the file, the run command, the limits, go and end of input.
    expect(t.sandboxes[0]!.received.map((f) => f.type)).toEqual(['F', 'R', 'L', 'G', 'E']);
    expect(t.events.map((e) => e.case)).toEqual(['started', 'output', 'finished']);
    const fin = finishedOf(t.events);
    expect(fin.verdict).toBe(Verdict.COMPLETED);
    expect(Buffer.from(fin.stdout ?? []).toString()).toBe('hello\n');
    expect(fin.exitCode).toBe(0);
    expect(t.finishedCount()).toBe(1);
    // sandbox isolation: never reused, removed once the result is in.
    await expect.poll(() => t.sandboxes[0]!.removed).toBe(true);
  });

  it('a sandbox that does not start is internal_error for the user when the runtime is up', async () => {
    const t = setup({ startError: () => new Error('create failed') });
    await runJob(t.deps, job({ limits: { ...defaultJobLimits(manifest), memoryMb: 300 } }), 1);
    expect(t.events.map((e) => e.case)).toEqual(['finished']);
    expect(finishedOf(t.events)).toMatchObject({
      verdict: Verdict.INTERNAL_ERROR,
      message: 'The sandbox could not be started.',
    });
  });

  it('a sandbox that does not start while the runtime is down leaves the job pending, reporting nothing', async () => {
    const t = setup({ startError: () => new Error('connect ENOENT'), runtimeHealthy: false });
    await expect(
      runJob(t.deps, job({ limits: { ...defaultJobLimits(manifest), memoryMb: 300 } }), 1),
    ).rejects.toBeInstanceOf(RuntimeUnavailableError);
    expect(t.events).toEqual([]);
    // The empty report stream is closed, not left open.
    expect(t.finishedCount()).toBe(1);
  });

  it('a language whose image this runner lacks is internal_error naming it, with no sandbox', async () => {
    const t = setup();
    await runJob(t.deps, job({ language: 'python', image: 'trixie/python', version: '3.13' }), 1);
    expect(t.sandboxes).toEqual([]);
    expect(finishedOf(t.events)).toMatchObject({
      verdict: Verdict.INTERNAL_ERROR,
      message: 'Language python 3.13 is not available on this runner.',
    });
  });

  it('cleanup runs when the run phase throws: the sandbox is removed and the follow stopped', async () => {
    const t = setup({ brokenStdin: true });
    await expect(runJob(t.deps, job(), 1)).rejects.toThrow('attach stream broken');
    expect(t.sandboxes).toHaveLength(1);
    await expect.poll(() => t.sandboxes[0]!.removed).toBe(true);
    expect(t.control.follows.size).toBe(0);
    expect(t.finishedCount()).toBe(1);
    // No verdict was made up for the user: the job is retried as a later attempt.
    expect(t.events.map((e) => e.case)).toEqual(['started']);
  });

  it('a cancel sent before the run starts reaches the launcher as K once it runs', async () => {
    // Waits for input until cancelled, then reports a cancelled run.
    const waiting: FakeLauncher = (_setup, io) => {
      io.onFrame((f) => {
        if (f.type !== 'K') return;
        io.result({ exit: -1, signal: 9, cancelled: 1 });
        io.end();
      });
    };
    const t = setup({ launcher: waiting });
    const j = job({ interactive: true });
    const running = runJob(t.deps, j, 1);
    await expect.poll(() => t.control.follows.size).toBe(1);
    t.control.send([...t.control.follows.keys()][0]!, { type: 'cancel' });
    await running;
    expect(t.sandboxes[0]!.received.map((f) => f.type)).toContain('K');
    expect(finishedOf(t.events).verdict).toBe(Verdict.CANCELLED);
  });

  it('a launcher that never answers is killed at the deadline: timeout, the sandbox not reused', async () => {
    const silent: FakeLauncher = () => undefined;
    const t = setup({ launcher: silent });
    const limits = { ...defaultJobLimits(manifest), timeoutMs: 50 };
    await runJob(t.deps, job({ limits }), 1);
    expect(t.sandboxes[0]!.killed).toBe(true);
    expect(finishedOf(t.events)).toMatchObject({
      verdict: Verdict.TIMEOUT,
      message: 'The program exceeded its time limit (0.1 s).',
    });
    await expect.poll(() => t.sandboxes[0]!.removed).toBe(true);
  });

  it('a sandbox that dies without a result line and with no limit seen is internal_error, not a user verdict', async () => {
    const dies: FakeLauncher = (_s, io) => io.end();
    const t = setup({ launcher: dies, exit: { exitCode: 137, oomKilled: false } });
    await runJob(t.deps, job(), 1);
    expect(finishedOf(t.events)).toMatchObject({
      verdict: Verdict.INTERNAL_ERROR,
      message: 'The sandbox ended unexpectedly.',
    });
  });

  it('a sandbox the runtime reports OOM-killed is memory_limit', async () => {
    const dies: FakeLauncher = (_s, io) => io.end();
    const t = setup({ launcher: dies, exit: { exitCode: 137, oomKilled: true } });
    await runJob(t.deps, job(), 1);
    expect(finishedOf(t.events).verdict).toBe(Verdict.MEMORY_LIMIT);
  });
});
