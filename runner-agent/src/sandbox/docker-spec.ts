import type { ContainerCreateOptions } from 'dockerode';
import type { SandboxSpec } from './driver.js';

export const managedLabel = 'dev.muscode.managed';
export const runnerLabel = 'dev.muscode.runner';
export const executionLabel = 'dev.muscode.execution';

/**
 * The Docker create body of a sandbox, following ARCHITECTURE.md's sandbox rules: gVisor, no
 * network at all, read-only root, size-capped tmpfs workspace and /tmp, no privilege gain,
 * pids, memory (= memory + swap), CPU and ulimits, and no log driver (output flows only through
 * the attach stream, never onto the host's disk). The launcher is root inside gVisor with the
 * capabilities the spec lists; the user's program runs as uid 1000 (or a jail uid) with none,
 * so it cannot reach the launcher's descriptors (PROTOCOL.md, "Process rules").
 */
export function dockerCreateOptions(spec: SandboxSpec): ContainerCreateOptions {
  return {
    Image: spec.image,
    User: '0:0',
    WorkingDir: '/workspace',
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: true,
    Labels: {
      [managedLabel]: 'true',
      [runnerLabel]: spec.runnerId,
      ...(spec.executionId ? { [executionLabel]: spec.executionId } : {}),
    },
    HostConfig: {
      Runtime: spec.runtime,
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Tmpfs: {
        // In owner and jail mode the launcher covers these with fresh mounts of the same size
        // for every submission (a jail's workspace 0700, of its uid).
        '/workspace': `rw,exec,nosuid,nodev,size=${spec.tmpfsMb}m,uid=1000,gid=1000,mode=0755`,
        '/tmp': `rw,exec,nosuid,nodev,size=${spec.tmpfsMb}m,mode=1777`,
      },
      CapDrop: ['ALL'],
      CapAdd: spec.capabilities,
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: spec.pidsLimit,
      Memory: spec.memoryBytes,
      MemorySwap: spec.memoryBytes,
      NanoCpus: Math.round(spec.cpus * 1e9),
      Ulimits: [
        { Name: 'nofile', Soft: spec.openFiles, Hard: spec.openFiles },
        { Name: 'fsize', Soft: spec.fileSizeBytes, Hard: spec.fileSizeBytes },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
      LogConfig: { Type: 'none', Config: {} },
      AutoRemove: false,
      Privileged: false,
      ...(spec.cgroupParent ? { CgroupParent: spec.cgroupParent } : {}),
    },
  };
}
