import { describe, expect, it } from 'vitest';
import { dockerCreateOptions } from './docker-spec.js';
import { testSpec } from '../testing/jobs.js';
import type { SandboxSpec } from './driver.js';

const spec: SandboxSpec = {
  ...testSpec,
  env: { MUSCODE_LAUNCHER_MODE: 'sandbox', MUSCODE_PREPARE: 'python3 -q' },
  cpus: 1.5,
};

describe('dockerCreateOptions', () => {
  const body = dockerCreateOptions(spec);
  const host = body.HostConfig!;

  it('asks for gVisor with no network at all', () => {
    expect(host.Runtime).toBe('runsc');
    expect(host.NetworkMode).toBe('none');
    expect(body.NetworkDisabled).toBe(true);
  });

  it('keeps the root read-only and the workspace a capped tmpfs, never a host path', () => {
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.Binds ?? []).toEqual([]);
    expect(host.Mounts ?? []).toEqual([]);
    expect(host.Tmpfs?.['/workspace']).toContain('size=64m');
    expect(host.Tmpfs?.['/tmp']).toContain('size=64m');
  });

  it('starts the launcher as root with only the capabilities of the spec', () => {
    expect(body.User).toBe('0:0');
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd).toEqual(['SETUID', 'SETGID', 'KILL', 'SETPCAP']);
    expect(host.SecurityOpt).toContain('no-new-privileges');
    expect(host.Privileged).toBe(false);
    expect(body.Env).toEqual(['MUSCODE_LAUNCHER_MODE=sandbox', 'MUSCODE_PREPARE=python3 -q']);
  });

  it('sets memory = memory + swap, CPU, pids and ulimits', () => {
    expect(host.Memory).toBe(160 * 1024 * 1024);
    expect(host.MemorySwap).toBe(host.Memory);
    expect(host.NanoCpus).toBe(1.5e9);
    expect(host.PidsLimit).toBe(256);
    const ulimits = Object.fromEntries((host.Ulimits ?? []).map((u) => [u.Name, u.Hard]));
    expect(ulimits).toEqual({ nofile: 256, fsize: 16 * 1024 * 1024, core: 0 });
  });

  it('writes no logs to the host and labels the sandbox for reaping', () => {
    expect(host.LogConfig?.Type).toBe('none');
    expect(body.Labels).toEqual({
      'dev.muscode.managed': 'true',
      'dev.muscode.runner': 'r1',
      'dev.muscode.execution': 'e1',
    });
  });

  it("keeps Docker's cgroup parent unless the spec names one", () => {
    expect(host.CgroupParent).toBeUndefined();
    expect(dockerCreateOptions({ ...spec, cgroupParent: '/muscode' }).HostConfig?.CgroupParent).toBe(
      '/muscode',
    );
    const pooled = dockerCreateOptions({ ...spec, executionId: undefined });
    expect(pooled.Labels?.['dev.muscode.execution']).toBeUndefined();
  });
});
