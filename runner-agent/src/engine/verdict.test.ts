import { describe, expect, it } from 'vitest';
import { stepResult } from '../testing/results.js';
import { decideVerdict, type SandboxEnd } from './verdict.js';

const step = stepResult;
const end = (over: Partial<SandboxEnd>): SandboxEnd => ({
  run: undefined,
  compile: undefined,
  hasCompile: false,
  deadlineHit: false,
  oomKilled: false,
  cgroup: { oomKills: 0, pidsExhausted: false },
  sandboxExitCode: undefined,
  cancelled: false,
  limits: {
    timeoutMs: 5000,
    cpuTimeMs: 3000,
    compileTimeoutMs: 15_000,
    memoryMb: 64,
    processes: 32,
    outputBytes: 4096,
  },
  ...over,
});
const oom = { oomKills: 1, pidsExhausted: false };
const pids = { oomKills: 0, pidsExhausted: true };
const compiled = step({ step: 'compile' });

describe('decideVerdict', () => {
  it.each([
    ['completed', end({ run: step({}) })],
    ['runtime_error', end({ run: step({ exit: 1 }) })],
    ['runtime_error', end({ run: step({ exit: -1, signal: 11 }) })],
    ['timeout', end({ run: step({ exit: -1, signal: 9, timeout: true }) })],
    ['timeout', end({ deadlineHit: true })],
    ['cpu_limit', end({ run: step({ exit: -1, signal: 24, cpuLimit: true }) })],
    ['output_limit', end({ run: step({ exit: -1, signal: 9, outputLimit: true }) })],
    ['memory_limit', end({ oomKilled: true })],
    ['internal_error', end({ sandboxExitCode: 137 })],
    ['compile_error', end({ hasCompile: true, compile: step({ step: 'compile', exit: 1 }) })],
    ['cancelled', end({ cancelled: true, run: step({}) })],
    ['internal_error', end({ sandboxExitCode: 3 })],
    ['internal_error', end({ sandboxExitCode: 2, cgroup: undefined })],
  ])('%s', (verdict, input) => {
    expect(decideVerdict(input).verdict).toBe(verdict);
  });

  it('a sandbox that died with an OOM kill in its cgroup is memory_limit, even without Docker saying so', () => {
    expect(decideVerdict(end({ cgroup: oom, sandboxExitCode: 137 }))).toEqual({
      verdict: 'memory_limit',
      message: 'The program exceeded its memory limit (64 MB).',
    });
    // Also after the compile step succeeded: the run step was what died.
    expect(decideVerdict(end({ hasCompile: true, compile: compiled, cgroup: oom })).verdict).toBe(
      'memory_limit',
    );
  });

  it('a sandbox that ran out of pids is runtime_error naming the process limit, not a platform fault', () => {
    expect(decideVerdict(end({ cgroup: pids, sandboxExitCode: 2 }))).toEqual({
      verdict: 'runtime_error',
      message: 'The program exceeded its process limit (32 processes and threads).',
    });
  });

  it('memory wins over pids and over our own deadline when both were seen', () => {
    const both = { oomKills: 2, pidsExhausted: true };
    expect(decideVerdict(end({ cgroup: both, deadlineHit: true })).verdict).toBe('memory_limit');
    expect(decideVerdict(end({ cgroup: pids, deadlineHit: true })).verdict).toBe('runtime_error');
  });

  it('a sandbox killed at our deadline is timeout naming the wall limit', () => {
    expect(decideVerdict(end({ deadlineHit: true }))).toEqual({
      verdict: 'timeout',
      message: 'The program exceeded its time limit (5 s).',
    });
  });

  it('a finished program keeps its own result whatever else was seen', () => {
    expect(decideVerdict(end({ run: step({}), cgroup: pids })).verdict).toBe('completed');
    expect(decideVerdict(end({ run: step({ exit: 3 }), deadlineHit: true })).verdict).toBe('runtime_error');
  });

  it('names the limit a run step passed', () => {
    expect(decideVerdict(end({ run: step({ exit: -1, signal: 9, timeout: true }) })).message).toBe(
      'The program exceeded its time limit (5 s).',
    );
    expect(decideVerdict(end({ run: step({ exit: -1, signal: 24, cpuLimit: true }) })).message).toBe(
      'The program exceeded its CPU time limit (3 s).',
    );
    expect(decideVerdict(end({ run: step({ exit: -1, signal: 9, outputLimit: true }) })).message).toBe(
      "The program's output exceeded its limit (4096 bytes).",
    );
    expect(decideVerdict(end({ run: step({ exit: 1 }) })).message).toBe('');
  });

  describe('the compile stage', () => {
    it.each([
      ['memory', end({ hasCompile: true, cgroup: oom }), 'Compilation exceeded the memory limit (64 MB).'],
      [
        'memory (Docker)',
        end({ hasCompile: true, oomKilled: true }),
        'Compilation exceeded the memory limit (64 MB).',
      ],
      [
        'processes',
        end({ hasCompile: true, cgroup: pids }),
        'Compilation exceeded the process limit (32 processes and threads).',
      ],
      [
        'our deadline',
        end({ hasCompile: true, deadlineHit: true }),
        'Compilation exceeded the time limit (15 s).',
      ],
      [
        'the launcher wall limit',
        end({ hasCompile: true, compile: step({ step: 'compile', exit: -1, signal: 9, timeout: true }) }),
        'Compilation exceeded the time limit (15 s).',
      ],
      [
        'the CPU limit',
        end({ hasCompile: true, compile: step({ step: 'compile', exit: -1, signal: 24, cpuLimit: true }) }),
        'Compilation exceeded the CPU time limit (15 s).',
      ],
    ])('a compiler that exhausts %s is compile_error naming it', (_what, input, message) => {
      expect(decideVerdict(input)).toEqual({ verdict: 'compile_error', message });
    });

    it('a plain compile error has no limit message; a compile cancelled is cancelled', () => {
      expect(decideVerdict(end({ hasCompile: true, compile: step({ step: 'compile', exit: 1 }) }))).toEqual({
        verdict: 'compile_error',
        message: '',
      });
      expect(
        decideVerdict(
          end({ hasCompile: true, compile: step({ step: 'compile', exit: -1, signal: 9, cancelled: true }) }),
        ).verdict,
      ).toBe('cancelled');
    });

    it('a sandbox that died compiling without any fact is still an internal error', () => {
      expect(decideVerdict(end({ hasCompile: true, sandboxExitCode: 137 }))).toEqual({
        verdict: 'internal_error',
        message: 'The sandbox ended unexpectedly.',
      });
    });
  });
});
