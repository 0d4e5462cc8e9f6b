import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Job } from '@muscode/common';
import type { Isolation } from '../../runner-agent/src/engine/container-spec.js';
import { engineHarness, newestLanguage, testLimits } from '../support/sandbox-pool.js';

// Artifacts through the agent's engine on the real Docker + runsc: what a program leaves in
// /workspace/output comes back from the launcher (protocol 5) as files, byte for byte, and
// the limits flag what they leave out without touching the run's verdict.
const python = newestLanguage('python');
const limits = testLimits(10000);
const engine = engineHarness('artifacts', limits);
const artifactLimits = { maxCount: 50, maxFileBytes: 100_000, maxBytes: 150_000 };

// A PNG header and every byte value, a CSV, a file over the per-file limit, a symlink to a
// file outside, a FIFO, and a zero-byte file in a sub-folder.
const writer = `
import os
os.makedirs('output/sub', exist_ok=True)
open('output/plot.png', 'wb').write(bytes([0x89, 80, 78, 71, 13, 10, 26, 10]) + bytes(range(256)) * 40)
open('output/table.csv', 'w').write('x,y\\n1,2\\n3,4\\n')
open('output/big.bin', 'wb').write(b'z' * 200_000)
open('output/sub/empty.txt', 'w').close()
os.symlink('/etc/passwd', 'output/passwd')
os.mkfifo('output/fifo')
print('wrote')
`;
const pngBytes = Buffer.concat([
  Buffer.from([0x89, 80, 78, 71, 13, 10, 26, 10]),
  ...Array.from({ length: 40 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))),
]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const job = (code: string, withArtifacts = true): Job =>
  engine.job('alice', python, code, withArtifacts ? { ...limits, artifacts: artifactLimits } : limits);

const pools: { stop(): Promise<void> }[] = [];
function poolFor(isolation: Isolation) {
  const pool = engine.pool({ isolation, lang: python });
  pools.push(pool);
  return (j: Job) => pool.run('alice', j);
}

afterAll(async () => {
  for (const p of pools) await p.stop();
  await engine.reap();
});

describe('artifacts through the engine', () => {
  it.each(['sandbox', 'jail'] as const)(
    '%s: a PNG and a CSV come back byte for byte; the rest is flagged',
    async (iso) => {
      const run = poolFor(iso);
      const r = await run(job(writer));
      expect(r.verdict).toBe('completed');
      expect(r.stdout.toString()).toBe('wrote\n');
      const files = r.artifacts?.files ?? [];
      expect(files.map((f) => f.name)).toEqual(['plot.png', 'sub/empty.txt', 'table.csv']);
      expect(files[0]!.content.equals(pngBytes)).toBe(true);
      expect(files[0]!.sha256).toBe(sha(pngBytes));
      expect(files[1]!.content.length).toBe(0);
      expect(files[2]!.content.toString()).toBe('x,y\n1,2\n3,4\n');
      expect(r.artifacts?.skipped).toEqual([
        { name: 'big.bin', reason: 'too_large' },
        { name: 'fifo', reason: 'not_regular' },
        { name: 'passwd', reason: 'symlink' },
      ]);
      // Asked for nothing: nothing is collected, and the same program runs as before.
      const plain = await run(job(writer, false));
      expect(plain.verdict).toBe('completed');
      expect(plain.artifacts).toBeUndefined();
    },
  );

  it('10,000 files: the first 50 by name come back, the rest are counted; the run is judged on its own', async () => {
    const run = poolFor('sandbox');
    const many = `
import os, sys
os.makedirs('output')
for i in range(10000):
    open('output/f%05d' % i, 'w').write(str(i))
sys.exit(3)
`;
    // 10,000 files through runsc's gofer take seconds of their own on a slow or busy machine:
    // the time limits are not what this case is about.
    const j = job(many);
    const r = await run({ ...j, limits: { ...j.limits, timeoutMs: 40_000, cpuTimeMs: 40_000 } });
    expect(r.verdict).toBe('runtime_error');
    expect(r.run?.exit).toBe(3);
    expect(r.artifacts?.files.map((f) => f.content.toString())).toEqual(
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
    expect(r.artifacts?.skippedCount).toBe(9950);
    expect(r.artifacts?.skipped[0]).toEqual({ name: 'f00050', reason: 'count_limit' });
  });
});
