import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the sandbox's cgroups saw of one submission: whether the kernel OOM-killed something in
 * the sandbox, whether the sandbox ran out of pids, and its peak memory. These are the facts a
 * sandbox that died without a result line is judged by (verdict.ts).
 */
export interface CgroupFacts {
  /** OOM kills in the memory cgroup since the submission started (memory.oom_control). */
  oomKills: number;
  /** The pids cgroup refused a fork since the submission started (pids.events `max`). */
  pidsExhausted: boolean;
  /** Peak bytes above the usage when the submission started; undefined if never read. */
  peakBytes: number | undefined;
}

/** A submission's cgroup watch: sampled while it runs, because the cgroups vanish with it. */
export interface CgroupWatch {
  /** Reads once more and stops sampling; the facts as last seen. */
  stop(): CgroupFacts;
}

const parseKeyed = (text: string): Map<string, number> =>
  new Map(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const [k, v] = line.trim().split(/\s+/);
        return [k ?? '', Number(v)] as const;
      }),
  );

/**
 * The memory and pids cgroups (v1) of a sandbox, read from the host while the container exists
 * (SANDBOX-NOTES.md): `memory.max_usage_in_bytes` is the peak of everything the sandbox holds
 * (the program, its children, files it wrote to tmpfs, and gVisor's own memory), which is what
 * the memory limit is enforced on. Where the files are missing (cgroup v2, another driver)
 * every call answers undefined and the launcher's rusage is used instead. The calls are
 * synchronous on purpose: cgroup files are kernel memory (microseconds), and the thread pool's
 * round trips would sit on every run's critical path.
 *
 * A sandbox killed by the OOM killer or by the pids limit (gVisor's own threads count against
 * it, so a fork bomb can take the Sentry down before RLIMIT_NPROC stops it) loses its cgroups
 * within ~100–200 ms of the kill, usually before Docker's attach stream even ends. So a
 * submission's cgroups are sampled while it runs (`watch`), and the last reading is kept.
 */
export function createCgroupMemory(
  root: string,
  opts: {
    /** pids cgroup folder of Docker's containers (default: `root` with `memory` → `pids`). */
    pidsRoot?: string;
    /** How often a running submission's cgroups are read. */
    sampleMs?: number;
  } = {},
) {
  const pidsRoot = opts.pidsRoot ?? root.replace(/\/memory(\/|$)/, '/pids$1');
  const sampleMs = opts.sampleMs ?? 20;
  const file = (id: string, name: string) => join(root, id, name);
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const readNumber = (id: string, name: string): number | undefined => {
    const text = read(file(id, name));
    if (text === undefined) return undefined;
    const n = Number(text.trim());
    return Number.isFinite(n) ? n : undefined;
  };
  const oomKills = (id: string): number | undefined => {
    const text = read(file(id, 'memory.oom_control'));
    return text === undefined ? undefined : (parseKeyed(text).get('oom_kill') ?? 0);
  };
  const pidsMaxEvents = (id: string): number | undefined => {
    const text = read(join(pidsRoot, id, 'pids.events'));
    return text === undefined ? undefined : (parseKeyed(text).get('max') ?? 0);
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
    /**
     * Samples the sandbox's OOM kills, pids refusals and peak memory every `sampleMs` until
     * stop(). Counters are taken relative to their values now, so a reused sandbox's earlier
     * submissions do not count.
     */
    watch(id: string, baseline: number | undefined): CgroupWatch {
      const oomAtStart = oomKills(id) ?? 0;
      const pidsAtStart = pidsMaxEvents(id) ?? 0;
      const facts: CgroupFacts = { oomKills: 0, pidsExhausted: false, peakBytes: undefined };
      const sample = () => {
        const oom = oomKills(id);
        if (oom !== undefined) facts.oomKills = Math.max(facts.oomKills, oom - oomAtStart);
        const pids = pidsMaxEvents(id);
        if (pids !== undefined && pids > pidsAtStart) facts.pidsExhausted = true;
        if (baseline !== undefined) {
          const peak = readNumber(id, 'memory.max_usage_in_bytes');
          if (peak !== undefined) facts.peakBytes = Math.max(facts.peakBytes ?? 0, peak - baseline, 0);
        }
      };
      const timer = setInterval(sample, sampleMs);
      timer.unref();
      return {
        stop() {
          clearInterval(timer);
          sample();
          return { ...facts };
        },
      };
    },
  };
}

export type CgroupMemory = ReturnType<typeof createCgroupMemory>;
