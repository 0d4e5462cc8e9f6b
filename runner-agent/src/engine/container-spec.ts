import type { ContainerCreateOptions } from 'dockerode';
import type { JobLimits } from '@muscode/common';

export const managedLabel = 'dev.muscode.managed';
export const runnerLabel = 'dev.muscode.runner';
export const executionLabel = 'dev.muscode.execution';

const MiB = 1024 * 1024;

export interface SpecInput {
  image: string;
  runtime: string;
  runnerId: string;
  executionId: string;
  limits: JobLimits;
  memoryOverheadMb: number;
}

/**
 * The Docker create body of a sandbox, following ARCHITECTURE.md's sandbox rules: gVisor, no
 * network at all, read-only root, size-capped tmpfs workspace and /tmp, a non-root user with no
 * capabilities and no privilege gain, pids, memory (= memory + swap), CPU and ulimits, and no
 * log driver (output flows only through the attach stream, never onto the host's disk).
 */
export function sandboxSpec(input: SpecInput): ContainerCreateOptions {
  const { limits } = input;
  const memory = (limits.memoryMb + input.memoryOverheadMb) * MiB;
  return {
    Image: input.image,
    User: '1000:1000',
    WorkingDir: '/workspace',
    Env: [],
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
      [executionLabel]: input.executionId,
    },
    HostConfig: {
      Runtime: input.runtime,
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Tmpfs: {
        '/workspace': `rw,exec,nosuid,nodev,size=${limits.workspaceMb}m,uid=1000,gid=1000,mode=0755`,
        '/tmp': `rw,exec,nosuid,nodev,size=${limits.workspaceMb}m,mode=1777`,
      },
      CapDrop: ['ALL'],
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
    },
  };
}

/** The limits the launcher enforces inside the sandbox, per step. */
export function launcherLimits(limits: JobLimits): Record<string, number> {
  return {
    compile_wall_ms: limits.compileTimeoutMs,
    compile_cpu_ms: limits.compileTimeoutMs,
    run_wall_ms: limits.timeoutMs,
    run_cpu_ms: limits.timeoutMs,
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
