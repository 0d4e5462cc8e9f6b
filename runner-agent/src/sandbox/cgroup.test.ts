import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCgroupMemory } from './cgroup.js';

// The cgroup v1 files as the kernel lays them out, in a folder of the test's own.
let root = '';
const id = 'c0ffee';
function layout(files: { oomKill: number; pidsMax: number; maxUsage: number }) {
  mkdirSync(join(root, 'memory', id), { recursive: true });
  mkdirSync(join(root, 'pids', id), { recursive: true });
  writeFileSync(
    join(root, 'memory', id, 'memory.oom_control'),
    `oom_kill_disable 0\nunder_oom 0\noom_kill ${files.oomKill}\n`,
  );
  writeFileSync(join(root, 'memory', id, 'memory.max_usage_in_bytes'), `${files.maxUsage}\n`);
  writeFileSync(join(root, 'memory', id, 'memory.usage_in_bytes'), '1000\n');
  writeFileSync(join(root, 'pids', id, 'pids.events'), `max ${files.pidsMax}\n`);
}
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('cgroup watch', () => {
  it('keeps what it saw after the sandbox and its cgroups are gone', async () => {
    root = mkdtempSync(join(tmpdir(), 'cgroup-test-'));
    layout({ oomKill: 0, pidsMax: 0, maxUsage: 1000 });
    const cg = createCgroupMemory(join(root, 'memory'), { sampleMs: 5 });
    const watch = cg.watch(id, 1000);
    layout({ oomKill: 1, pidsMax: 3, maxUsage: 1000 + 64 * 1024 * 1024 });
    await new Promise((r) => setTimeout(r, 50));
    rmSync(join(root, 'memory', id), { recursive: true });
    rmSync(join(root, 'pids', id), { recursive: true });
    expect(watch.stop()).toEqual({ oomKills: 1, pidsExhausted: true, peakBytes: 64 * 1024 * 1024 });
  });

  it('counts only what happened since the submission started (a reused sandbox)', () => {
    root = mkdtempSync(join(tmpdir(), 'cgroup-test-'));
    layout({ oomKill: 2, pidsMax: 5, maxUsage: 1000 });
    const watch = createCgroupMemory(join(root, 'memory')).watch(id, 1000);
    expect(watch.stop()).toEqual({ oomKills: 0, pidsExhausted: false, peakBytes: 0 });
  });

  it('knows nothing where there are no cgroup files', () => {
    root = mkdtempSync(join(tmpdir(), 'cgroup-test-'));
    const watch = createCgroupMemory(join(root, 'memory')).watch(id, undefined);
    expect(watch.stop()).toEqual({ oomKills: 0, pidsExhausted: false, peakBytes: undefined });
  });
});
