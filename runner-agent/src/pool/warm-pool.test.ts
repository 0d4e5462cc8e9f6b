import { createLogger } from '@muscode/common';
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxSpec } from '../sandbox/driver.js';
import { createFakeDriver } from '../testing/fake-driver.js';
import { createWarmPool, type PoolConfig } from './warm-pool.js';

// The pool's policy against a fake driver of our own SandboxDriver interface (no Docker).
const log = createLogger('test', 'silent');
const image = 'muscode/sandbox-python:latest';
const specFor = (img: string): SandboxSpec => ({
  image: img,
  runtime: 'runsc',
  env: { MUSCODE_LAUNCHER_MODE: 'owner' },
  runnerId: 'r1',
  capabilities: [],
  memoryBytes: 1,
  cpus: 1,
  pidsLimit: 256,
  tmpfsMb: 1,
  openFiles: 1,
  fileSizeBytes: 1,
});

const pools: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

function pool(config: Partial<PoolConfig>, driverOpts: Parameters<typeof createFakeDriver>[0] = {}) {
  const fake = createFakeDriver(driverOpts);
  const p = createWarmPool({
    driver: fake.driver,
    specFor,
    images: [image],
    config: { isolation: 'owner', size: 1, maxRuns: 5, maxAgeMs: 60_000, startConcurrency: 2, ...config },
    log,
    track: (t) => void t.catch(() => undefined),
  });
  pools.push(p);
  return { pool: p, ...fake };
}

/** Fills a one-sandbox pool and serves one run of `owner` on its sandbox, handed back reusable. */
async function servedOnce(t: ReturnType<typeof pool>, owner: string) {
  t.pool.fill();
  await expect.poll(() => t.pool.idleCount()).toBe(1);
  const lease = await t.pool.acquire(image, owner);
  lease.session.runs++;
  lease.release(true);
  return lease;
}

describe('warm pool', () => {
  it("fills each image's pool with the image's spec", async () => {
    const t = pool({ size: 2 });
    t.pool.fill();
    await expect.poll(() => t.pool.idleCount()).toBe(2);
    expect(t.sandboxes.map((s) => s.spec)).toEqual([specFor(image), specFor(image)]);
  });

  it('refills after a take, and a cold spec bypasses the pool', async () => {
    const t = pool({ size: 1 });
    t.pool.fill();
    await expect.poll(() => t.pool.idleCount()).toBe(1);
    const lease = await t.pool.acquire(image, 'u1');
    expect(lease.warm).toBe(true);
    expect(lease.session.sandbox).toBe(t.sandboxes[0]!.sandbox);
    // The refill follows the take, a moment later.
    await expect.poll(() => t.sandboxes.length).toBe(2);
    await expect.poll(() => t.pool.idleCount()).toBe(1);

    const cold = { ...specFor(image), memoryBytes: 2 };
    const own = await t.pool.acquire(image, 'u1', cold);
    expect(own.warm).toBe(false);
    expect(t.sandboxes.at(-1)!.spec).toEqual(cold);
    own.release(true);
    // Made for one job: removed after it, never pooled.
    await expect.poll(() => t.sandboxes.at(-1)!.removed).toBe(true);
    expect(t.pool.idleCount()).toBe(1);
  });

  it('discards a sandbox released as failed and starts a fresh one', async () => {
    const t = pool({ size: 1 });
    t.pool.fill();
    await expect.poll(() => t.pool.idleCount()).toBe(1);
    const lease = await t.pool.acquire(image, 'u1');
    lease.release(false);
    await expect.poll(() => t.sandboxes[0]!.removed).toBe(true);
    await expect.poll(() => t.pool.idleCount()).toBe(1);
    expect(t.pool.idleCount()).toBe(1);
    const next = await t.pool.acquire(image, 'u1');
    expect(next.session.sandbox).not.toBe(t.sandboxes[0]!.sandbox);
  });

  it('replaces an idle sandbox that ended by itself', async () => {
    const t = pool({ size: 1 });
    t.pool.fill();
    await expect.poll(() => t.pool.idleCount()).toBe(1);
    await t.sandboxes[0]!.sandbox.kill();
    await expect.poll(() => t.pool.idleCount()).toBe(0);
    await expect.poll(() => t.sandboxes.length, { timeout: 3000 }).toBe(2);
    await expect.poll(() => t.pool.idleCount()).toBe(1);
  });

  it('a start that fails is logged and retried on the next take, never lent', async () => {
    let failures = 1;
    const t = pool(
      { size: 1 },
      { startError: () => (failures-- > 0 ? new Error('create failed') : undefined) },
    );
    t.pool.fill();
    await expect.poll(() => t.pool.startingCount()).toBe(0);
    expect(t.pool.idleCount()).toBe(0);
    // A miss starts one for the job now.
    const lease = await t.pool.acquire(image, 'u1');
    expect(lease.warm).toBe(false);
    expect(t.sandboxes.length).toBeGreaterThanOrEqual(1);
  });

  it('owner isolation: a wiped sandbox serves its owner again, never another owner', async () => {
    const t = pool({ isolation: 'owner', size: 1 });
    const first = await servedOnce(t, 'alice');
    await expect.poll(() => t.pool.idleCount()).toBe(2);
    const bob = await t.pool.acquire(image, 'bob');
    expect(bob.session).not.toBe(first.session);
    const alice = await t.pool.acquire(image, 'alice');
    expect(alice.session).toBe(first.session);
  });

  it('sandbox isolation: a sandbox is never lent twice', async () => {
    const t = pool({ isolation: 'sandbox', size: 1 });
    const first = await servedOnce(t, 'alice');
    await expect.poll(() => t.sandboxes[0]!.removed).toBe(true);
    const again = await t.pool.acquire(image, 'alice');
    expect(again.session).not.toBe(first.session);
  });
});
