import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The memory cgroup (v1) of a sandbox, read from the host while the container exists
 * (SANDBOX-NOTES.md): `memory.max_usage_in_bytes` is the peak of everything the sandbox holds
 * (the program, its children, files it wrote to tmpfs, and gVisor's own memory), which is what
 * the memory limit is enforced on. Where the files are missing (cgroup v2, another driver)
 * every call answers undefined and the launcher's rusage is used instead. The calls are
 * synchronous on purpose: cgroup files are kernel memory (microseconds), and the thread pool's
 * round trips would sit on every run's critical path.
 */
export function createCgroupMemory(root: string) {
  const file = (id: string, name: string) => join(root, id, name);
  const readNumber = (id: string, name: string): number | undefined => {
    try {
      const n = Number(readFileSync(file(id, name), 'utf8').trim());
      return Number.isFinite(n) ? n : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    /**
     * Starts a measurement: resets the peak to the current usage (a reused sandbox's earlier
     * submissions must not count) and returns that usage as the baseline.
     */
    async begin(id: string): Promise<number | undefined> {
      try {
        writeFileSync(file(id, 'memory.max_usage_in_bytes'), '0');
      } catch {
        return undefined;
      }
      return readNumber(id, 'memory.usage_in_bytes');
    },
    /** Peak bytes above the baseline since begin(). */
    async peakSince(id: string, baseline: number | undefined): Promise<number | undefined> {
      if (baseline === undefined) return undefined;
      const peak = readNumber(id, 'memory.max_usage_in_bytes');
      return peak === undefined ? undefined : Math.max(0, peak - baseline);
    },
  };
}

export type CgroupMemory = ReturnType<typeof createCgroupMemory>;
