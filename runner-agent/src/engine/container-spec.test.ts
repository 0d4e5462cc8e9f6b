import { describe, expect, it } from 'vitest';
import { expandCommand, launcherLimits, sandboxSpec } from './container-spec.js';
import { testLimits as limits, testSpec } from '../testing/jobs.js';
import { limitsPayload } from './frames.js';

const base = { image: 'muscode/sandbox-python:latest', runtime: 'runsc', runnerId: 'r1', limits };

describe('sandboxSpec', () => {
  it('asks for exactly the limits of the job, under gVisor, for its execution', () => {
    const spec = sandboxSpec({ ...base, executionId: 'e1', memoryOverheadMb: 32, isolation: 'sandbox' });
    // testSpec spells it out: memory + swap with gVisor's overhead, the launcher's capabilities.
    expect(spec).toEqual(testSpec);
  });

  it('raises the pids backstop with the process limit', () => {
    const spec = sandboxSpec({
      ...base,
      limits: { ...limits, processes: 100 },
      memoryOverheadMb: 0,
      isolation: 'sandbox',
    });
    expect(spec.pidsLimit).toBe(400);
  });

  it('keeps the default cgroup parent unless one is configured', () => {
    expect(sandboxSpec({ ...base, memoryOverheadMb: 32, isolation: 'sandbox' }).cgroupParent).toBeUndefined();
    const own = sandboxSpec({
      ...base,
      memoryOverheadMb: 32,
      cgroupParent: '/muscode-sandboxes',
      isolation: 'sandbox',
    });
    expect(own.cgroupParent).toBe('/muscode-sandboxes');
  });

  it('adds SYS_ADMIN only for reused sandboxes, whose launcher mounts and unshares', () => {
    // owner and jail: fresh tmpfs mounts and a new IPC namespace for every submission.
    for (const level of ['owner', 'jail'] as const) {
      const s = sandboxSpec({ ...base, memoryOverheadMb: 32, isolation: level });
      expect(s.capabilities).toEqual(['SETUID', 'SETGID', 'KILL', 'SETPCAP', 'SYS_ADMIN']);
      expect(s.env).toEqual({ MUSCODE_LAUNCHER_MODE: level });
      expect(s.executionId).toBeUndefined();
    }
    expect(sandboxSpec({ ...base, memoryOverheadMb: 0, isolation: 'sandbox' }).capabilities).not.toContain(
      'SYS_ADMIN',
    );
  });

  it("gives a pooled sandbox its prepared interpreter and that language's default limits", () => {
    const prepared = { ...limits, timeoutMs: 3000 };
    const spec = sandboxSpec({
      ...base,
      memoryOverheadMb: 32,
      isolation: 'jail',
      prepare: { command: ['python3', '-q'], limits: prepared },
    });
    expect(spec.env).toEqual({
      MUSCODE_LAUNCHER_MODE: 'jail',
      MUSCODE_PREPARE: 'python3 -q',
      MUSCODE_LIMITS: limitsPayload(launcherLimits(prepared)),
    });
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
