import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  findLanguage,
  languageVersions,
  loadLanguageManifest,
  sandboxImageName,
  type Job,
  type JobLimits,
} from '@muscode/common';
import { sandboxSpec, type Isolation } from '../../runner-agent/src/engine/container-spec.js';
import { executeOnSession } from '../../runner-agent/src/engine/run.js';
import { createWarmPool } from '../../runner-agent/src/pool/warm-pool.js';
import { createDockerDriver } from '../../runner-agent/src/sandbox/docker.js';
import { imageRepo } from '../support/stack.js';

// Artifacts through the agent's engine on the real Docker + runsc: what a program leaves in
// /workspace/output comes back from the launcher (protocol 5) as files, byte for byte, and
// the limits flag what they leave out without touching the run's verdict.
const manifest = loadLanguageManifest();
const python = languageVersions(findLanguage(manifest, 'python')!).at(-1)!;
const image = sandboxImageName(python.image, imageRepo);
const runnerId = `artifacts-test-${process.pid}`;
const driver = createDockerDriver('/var/run/docker.sock');
const lm = manifest.limits;
const limits: JobLimits = {
  timeoutMs: 10000,
  cpuTimeMs: 10000,
  compileTimeoutMs: 10000,
  memoryMb: lm.memoryMb.default,
  cpus: lm.cpus.default,
  processes: lm.processes.default,
  openFiles: lm.openFiles.default,
  fileSizeBytes: lm.fileSizeBytes.default,
  workspaceMb: lm.workspaceMb.default,
  outputBytes: lm.outputBytes.default,
};
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

let n = 0;
const job = (code: string, withArtifacts = true): Job => ({
  executionId: `00000000-0000-4000-9000-${String(++n).padStart(12, '0')}`,
  ownerId: 'alice',
  language: 'python',
  files: [{ path: 'main.py', content: code }],
  mainFile: 'main.py',
  args: [],
  stdin: '',
  interactive: false,
  limits: withArtifacts ? { ...limits, artifacts: artifactLimits } : limits,
  enqueuedAt: Date.now(),
});

const pools: { stop(): Promise<void> }[] = [];
function poolFor(isolation: Isolation) {
  const removals: Promise<unknown>[] = [];
  const pool = createWarmPool({
    driver,
    specFor: (img) =>
      sandboxSpec({
        image: img,
        runtime: 'runsc',
        runnerId,
        limits,
        memoryOverheadMb: 32,
        isolation,
        prepare: { command: python.prepare!, limits },
      }),
    preparedFor: () => python.id,
    images: [image],
    config: { isolation, size: 1, maxRuns: 3, maxAgeMs: 60_000, startConcurrency: 1 },
    log: createLogger('test', 'warn'),
    track: (p) => removals.push(p.catch(() => undefined)),
  });
  pools.push({ stop: async () => (await pool.stop(), await Promise.all(removals), undefined) });
  return async (j: Job) => {
    const lease = await pool.acquire(image, 'alice');
    const r = await executeOnSession({
      session: lease.session,
      job: j,
      lang: python,
      graceMs: 5000,
      cgroup: undefined,
    });
    lease.release(r.reusable && isolation !== 'sandbox' && (await lease.session.nextReady(3000)));
    return r;
  };
}

afterAll(async () => {
  for (const p of pools) await p.stop();
  await driver.reap(runnerId);
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
