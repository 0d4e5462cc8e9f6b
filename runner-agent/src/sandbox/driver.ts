import type { Readable, Writable } from 'node:stream';

/**
 * The seam between the agent and its container runtime. The engine and the pool speak only
 * these types; `docker.ts` implements them with the Docker Engine API (and `docker-spec.ts`
 * translates the spec), and unit tests implement them with a fake of their own.
 */

/**
 * What one sandbox is made with: the parts that differ between sandboxes. There is no field
 * for a network, a host mount, a log, extra privileges or a writable root: every sandbox has
 * none, whatever the spec (ARCHITECTURE.md's sandbox rules, enforced by the driver).
 */
export interface SandboxSpec {
  image: string;
  /** The OCI runtime (runsc: gVisor). */
  runtime: string;
  /** The launcher's environment, in order. */
  env: Record<string, string>;
  /** The agent that owns it (its sandboxes are found by it, for reaping). */
  runnerId: string;
  /** The execution it is made for; absent for a pre-started (pooled) sandbox. */
  executionId?: string;
  /** The capabilities the launcher keeps; every other one is dropped. */
  capabilities: string[];
  /** Memory limit in bytes, swap included (memory = memory + swap). */
  memoryBytes: number;
  cpus: number;
  /** Processes and threads of the whole sandbox (gVisor's own count too). */
  pidsLimit: number;
  /** Size of each tmpfs, `/workspace` and `/tmp`, in MiB. */
  tmpfsMb: number;
  openFiles: number;
  fileSizeBytes: number;
  /** The cgroup parent folder; the runtime's default without. */
  cgroupParent?: string;
}

export interface SandboxExit {
  exitCode: number | undefined;
  oomKilled: boolean;
}

/** A started sandbox: its launcher's stdin, its demultiplexed stdout and stderr, and how to end it. */
export interface Sandbox {
  id: string;
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Resolves when the sandbox's output has ended, i.e. all of it has been read. */
  ended: Promise<void>;
  /** Exit state from the runtime; only call once the sandbox has stopped. */
  exit(): Promise<SandboxExit>;
  kill(): Promise<void>;
  remove(): Promise<void>;
}

export interface SandboxDriver {
  /** Creates and starts a sandbox, attached before it starts (no output is missed). */
  start(spec: SandboxSpec): Promise<Sandbox>;
  /** Removes every sandbox a runner left behind (after a crash), returning how many. */
  reap(runnerId: string): Promise<number>;
  /**
   * Removes this runner's sandboxes that this driver does not hold (started and not yet
   * removed): those whose removal failed while the runtime was away, or that a restarted
   * runtime left created or exited. Returns how many.
   */
  reapOrphans(runnerId: string, minAgeMs: number): Promise<number>;
  /** Image labels by image name, for images carrying `dev.muscode.image`. */
  images(): Promise<Map<string, Record<string, string>>>;
  ping(): Promise<void>;
}
