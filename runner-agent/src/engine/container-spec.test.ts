import { describe, expect, it } from 'vitest';
import { expandCommand, sandboxSpec } from './container-spec.js';

const limits = {
  timeoutMs: 5000,
  compileTimeoutMs: 15000,
  memoryMb: 128,
  cpus: 1,
  processes: 64,
  openFiles: 256,
  fileSizeBytes: 16 * 1024 * 1024,
  workspaceMb: 64,
  outputBytes: 65536,
};

describe('sandboxSpec', () => {
  const spec = sandboxSpec({
    image: 'muscode/sandbox-python:latest',
    runtime: 'runsc',
    runnerId: 'r1',
    executionId: 'e1',
    limits,
    memoryOverheadMb: 32,
    isolation: 'sandbox',
  });
  const host = spec.HostConfig!;

  it('asks for gVisor with no network at all', () => {
    expect(host.Runtime).toBe('runsc');
    expect(host.NetworkMode).toBe('none');
    expect(spec.NetworkDisabled).toBe(true);
  });

  it('keeps the root read-only and the workspace a capped tmpfs, never a host path', () => {
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.Binds ?? []).toEqual([]);
    expect(host.Mounts ?? []).toEqual([]);
    expect(host.Tmpfs?.['/workspace']).toContain('size=64m');
    expect(host.Tmpfs?.['/tmp']).toContain('size=64m');
  });

  it('starts the launcher as root in gVisor with only the capabilities it needs', () => {
    // The launcher drops every step to uid 1000 with no capabilities (PROTOCOL.md).
    expect(spec.User).toBe('0:0');
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd).toEqual(['SETUID', 'SETGID', 'KILL', 'SETPCAP']);
    expect(host.SecurityOpt).toContain('no-new-privileges');
    expect(host.Privileged).toBe(false);
    expect(spec.Env).toEqual(['MUSCODE_LAUNCHER_MODE=sandbox']);
  });

  it("keeps Docker's cgroup parent unless one is configured", () => {
    expect(host.CgroupParent).toBeUndefined();
    const own = sandboxSpec({
      image: 'muscode/sandbox-python:latest',
      runtime: 'runsc',
      runnerId: 'r1',
      limits,
      memoryOverheadMb: 32,
      cgroupParent: '/muscode-sandboxes',
      isolation: 'sandbox',
    });
    expect(own.HostConfig!.CgroupParent).toBe('/muscode-sandboxes');
  });

  it('adds SYS_ADMIN only for reused sandboxes, whose launcher mounts and unshares', () => {
    // owner and jail: fresh tmpfs mounts and a new IPC namespace for every submission.
    for (const level of ['owner', 'jail'] as const) {
      const s = sandboxSpec({
        image: 'muscode/sandbox-python:latest',
        runtime: 'runsc',
        runnerId: 'r1',
        limits,
        memoryOverheadMb: 32,
        isolation: level,
      });
      expect(s.HostConfig?.CapAdd).toEqual(['SETUID', 'SETGID', 'KILL', 'SETPCAP', 'SYS_ADMIN']);
      expect(s.Env).toEqual([`MUSCODE_LAUNCHER_MODE=${level}`]);
      expect(s.Labels?.['dev.muscode.execution']).toBeUndefined();
    }
    const sandbox = sandboxSpec({
      image: 'i',
      runtime: 'runsc',
      runnerId: 'r1',
      limits,
      memoryOverheadMb: 0,
      isolation: 'sandbox',
    });
    expect(sandbox.HostConfig?.CapAdd).not.toContain('SYS_ADMIN');
  });

  it('sets memory = memory + swap (with gVisor overhead), CPU, pids and ulimits', () => {
    expect(host.Memory).toBe((128 + 32) * 1024 * 1024);
    expect(host.MemorySwap).toBe(host.Memory);
    expect(host.NanoCpus).toBe(1e9);
    expect(host.PidsLimit).toBeGreaterThanOrEqual(256);
    const ulimits = Object.fromEntries((host.Ulimits ?? []).map((u) => [u.Name, u.Hard]));
    expect(ulimits).toEqual({ nofile: 256, fsize: 16 * 1024 * 1024, core: 0 });
  });

  it('writes no logs to the host and labels the sandbox for reaping', () => {
    expect(host.LogConfig?.Type).toBe('none');
    expect(spec.Labels).toMatchObject({ 'dev.muscode.runner': 'r1', 'dev.muscode.execution': 'e1' });
  });
});

describe('expandCommand', () => {
  it('substitutes the main file and its base name', () => {
    expect(expandCommand(['javac', '{main}', '&&', '{mainBase}'], 'pkg/Main.java')).toEqual([
      'javac',
      'pkg/Main.java',
      '&&',
      'pkg/Main',
    ]);
  });
});
