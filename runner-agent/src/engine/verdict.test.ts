import { describe, expect, it } from 'vitest';
import type { StepResult } from './frames.js';
import { decideVerdict, type SandboxEnd } from './verdict.js';

const step = (over: Partial<StepResult>): StepResult => ({
  step: 'run',
  exit: 0,
  signal: 0,
  cpuMs: 1,
  wallMs: 1,
  maxRssKb: 1,
  timeout: false,
  cpuLimit: false,
  outputLimit: false,
  cancelled: false,
  prepared: false,
  ...over,
});
const end = (over: Partial<SandboxEnd>): SandboxEnd => ({
  run: undefined,
  compile: undefined,
  deadlineHit: false,
  oomKilled: false,
  sandboxExitCode: undefined,
  cancelled: false,
  ...over,
});

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
    ['compile_error', end({ compile: step({ step: 'compile', exit: 1 }) })],
    ['cancelled', end({ cancelled: true, run: step({}) })],
    ['internal_error', end({ sandboxExitCode: 3 })],
  ])('%s', (verdict, input) => {
    expect(decideVerdict(input)).toBe(verdict);
  });
});
