import type { JobLimits } from '@muscode/common';
import type { SandboxSpec } from '../sandbox/driver.js';
import { limitsPayload } from './frames.js';

/** Launcher protocol version an image must carry (sandbox-images/launcher/PROTOCOL.md). */
export const launcherLabel = 'dev.muscode.launcher';
export const launcherVersion = '5';

export type Isolation = 'sandbox' | 'owner' | 'jail';

/**
 * Capabilities of the launcher, which is root inside gVisor and runs every step as an
 * unprivileged uid with none of them: SETUID/SETGID to switch to it, SETPCAP to clear the
 * bounding set, KILL to stop the step's processes (another uid), and in a reused sandbox
 * (owner, jail) SYS_ADMIN to give every submission fresh tmpfs mounts and a new IPC namespace
 * (and a jail's steps their namespaces).
 */
export function launcherCaps(isolation: Isolation): string[] {
  const caps = ['SETUID', 'SETGID', 'KILL', 'SETPCAP'];
  return isolation === 'sandbox' ? caps : [...caps, 'SYS_ADMIN'];
}

const MiB = 1024 * 1024;

export interface SpecInput {
  image: string;
  runtime: string;
  runnerId: string;
  /** The execution it is made for; absent for a pre-started (pooled) sandbox. */
  executionId?: string;
  limits: JobLimits;
  memoryOverheadMb: number;
  /** Docker's cgroup parent for the sandbox (config.cgroupParent); Docker's default without. */
  cgroupParent?: string | undefined;
  isolation: Isolation;
  /**
   * A pooled sandbox's prepared interpreter (the manifest's `prepare`), started ahead with the
   * limits a job of its language gets by default (the launcher uses it only for such a job).
   */
  prepare?: { command: string[]; limits: JobLimits };
}

/**
 * The spec of a sandbox for these limits: memory (the user's limit plus gVisor's own
 * overhead, swap included), CPU, tmpfs sizes, ulimits and a pids limit, and the launcher's
 * mode and prepared interpreter in its environment. What every sandbox has regardless (no
 * network, a read-only root, no logs…) is the driver's job (sandbox/docker-spec.ts).
 */
export function sandboxSpec(input: SpecInput): SandboxSpec {
  const { limits } = input;
  return {
    image: input.image,
    runtime: input.runtime,
    env: {
      MUSCODE_LAUNCHER_MODE: input.isolation,
      ...(input.prepare && {
        MUSCODE_PREPARE: input.prepare.command.join(' '),
        MUSCODE_LIMITS: limitsPayload(launcherLimits(input.prepare.limits)),
      }),
    },
    runnerId: input.runnerId,
    ...(input.executionId ? { executionId: input.executionId } : {}),
    capabilities: launcherCaps(input.isolation),
    memoryBytes: (limits.memoryMb + input.memoryOverheadMb) * MiB,
    cpus: limits.cpus,
    // runsc's own threads count against the pids limit; the user's processes are held by
    // RLIMIT_NPROC inside, this is the backstop.
    pidsLimit: Math.max(256, limits.processes * 4),
    tmpfsMb: limits.workspaceMb,
    openFiles: limits.openFiles,
    fileSizeBytes: limits.fileSizeBytes,
    ...(input.cgroupParent ? { cgroupParent: input.cgroupParent } : {}),
  };
}

/** The limits the launcher enforces inside the sandbox, per step. */
export function launcherLimits(limits: JobLimits): Record<string, number> {
  return {
    compile_wall_ms: limits.compileTimeoutMs,
    compile_cpu_ms: limits.compileTimeoutMs,
    run_wall_ms: limits.timeoutMs,
    run_cpu_ms: limits.cpuTimeMs ?? limits.timeoutMs,
    nproc: limits.processes,
    nofile: limits.openFiles,
    fsize_bytes: limits.fileSizeBytes,
    stdout_max: limits.outputBytes,
    stderr_max: limits.outputBytes,
    compile_output_max: limits.outputBytes,
    ...(limits.artifacts && {
      artifacts_max_count: limits.artifacts.maxCount,
      artifacts_max_file_bytes: limits.artifacts.maxFileBytes,
      artifacts_max_bytes: limits.artifacts.maxBytes,
    }),
  };
}

/** Substitutes `{main}` and `{mainBase}` in a manifest command. */
export function expandCommand(argv: string[], mainFile: string): string[] {
  const base = mainFile.replace(/\.[^./]*$/, '');
  return argv.map((a) => a.replaceAll('{mainBase}', base).replaceAll('{main}', mainFile));
}
