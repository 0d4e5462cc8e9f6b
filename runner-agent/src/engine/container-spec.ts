import type { ContainerCreateOptions } from 'dockerode';
import type { JobLimits } from '@muscode/common';
import { limitsPayload } from './frames.js';

export const managedLabel = 'dev.muscode.managed';
export const runnerLabel = 'dev.muscode.runner';
export const executionLabel = 'dev.muscode.execution';
/** Launcher protocol version an image must carry (sandbox-images/launcher/PROTOCOL.md). */
export const launcherLabel = 'dev.muscode.launcher';
export const launcherVersion = '4';

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
 * The Docker create body of a sandbox, following ARCHITECTURE.md's sandbox rules: gVisor, no
 * network at all, read-only root, size-capped tmpfs workspace and /tmp, no privilege gain,
 * pids, memory (= memory + swap), CPU and ulimits, and no log driver (output flows only through
 * the attach stream, never onto the host's disk). The launcher is root inside gVisor with the
 * few capabilities of launcherCaps(); the user's program runs as uid 1000 (or a jail uid) with
 * none, so it cannot reach the launcher's descriptors (PROTOCOL.md, "Process rules").
 */
export function sandboxSpec(input: SpecInput): ContainerCreateOptions {
  const { limits } = input;
  const memory = (limits.memoryMb + input.memoryOverheadMb) * MiB;
  return {
    Image: input.image,
    User: '0:0',
    WorkingDir: '/workspace',
    Env: [
      `MUSCODE_LAUNCHER_MODE=${input.isolation}`,
      ...(input.prepare
        ? [
            `MUSCODE_PREPARE=${input.prepare.command.join(' ')}`,
            `MUSCODE_LIMITS=${limitsPayload(launcherLimits(input.prepare.limits))}`,
          ]
        : []),
    ],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: true,
    Labels: {
      [managedLabel]: 'true',
      [runnerLabel]: input.runnerId,
      ...(input.executionId ? { [executionLabel]: input.executionId } : {}),
    },
    HostConfig: {
      Runtime: input.runtime,
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Tmpfs: {
        // In owner and jail mode the launcher covers these with fresh mounts of the same size
        // for every submission (a jail's workspace 0700, of its uid).
        '/workspace': `rw,exec,nosuid,nodev,size=${limits.workspaceMb}m,uid=1000,gid=1000,mode=0755`,
        '/tmp': `rw,exec,nosuid,nodev,size=${limits.workspaceMb}m,mode=1777`,
      },
      CapDrop: ['ALL'],
      CapAdd: launcherCaps(input.isolation),
      SecurityOpt: ['no-new-privileges'],
      // runsc's own threads count against the pids limit; the user's processes are held by
      // RLIMIT_NPROC inside, this is the backstop.
      PidsLimit: Math.max(256, limits.processes * 4),
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: Math.round(limits.cpus * 1e9),
      Ulimits: [
        { Name: 'nofile', Soft: limits.openFiles, Hard: limits.openFiles },
        { Name: 'fsize', Soft: limits.fileSizeBytes, Hard: limits.fileSizeBytes },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
      LogConfig: { Type: 'none', Config: {} },
      AutoRemove: false,
      Privileged: false,
      ...(input.cgroupParent ? { CgroupParent: input.cgroupParent } : {}),
    },
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
  };
}

/** Substitutes `{main}` and `{mainBase}` in a manifest command. */
export function expandCommand(argv: string[], mainFile: string): string[] {
  const base = mainFile.replace(/\.[^./]*$/, '');
  return argv.map((a) => a.replaceAll('{mainBase}', base).replaceAll('{main}', mainFile));
}
