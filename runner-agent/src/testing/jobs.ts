import { randomUUID } from 'node:crypto';
import type { Job, JobLimits } from '@muscode/common';
import type { SandboxSpec } from '../sandbox/driver.js';

/** A job's limits for unit tests (a python job's defaults, in round numbers). */
export const testLimits: JobLimits = {
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

/** A python job with `testLimits` and an execution id of its own; `over` replaces fields. */
export function testJob(over: Partial<Job> = {}): Job {
  return {
    executionId: randomUUID(),
    ownerId: 'u1',
    language: 'python',
    files: [{ path: 'main.py', content: 'print("hello")' }],
    mainFile: 'main.py',
    stdin: '',
    interactive: false,
    limits: testLimits,
    enqueuedAt: 0,
    ...over,
  };
}

/**
 * The spec the engine asks for a job with `testLimits` on runner `r1` (execution `e1`) in
 * `sandbox` isolation with 32 MB of gVisor overhead: what the driver must be given, exactly.
 */
export const testSpec: SandboxSpec = {
  image: 'muscode/sandbox-python:latest',
  runtime: 'runsc',
  env: { MUSCODE_LAUNCHER_MODE: 'sandbox' },
  runnerId: 'r1',
  executionId: 'e1',
  // The launcher drops every step to uid 1000 with no capabilities (PROTOCOL.md).
  capabilities: ['SETUID', 'SETGID', 'KILL', 'SETPCAP'],
  // memory = memory + swap, with gVisor's own overhead on top of the user's limit.
  memoryBytes: (128 + 32) * 1024 * 1024,
  cpus: 1,
  pidsLimit: 256,
  tmpfsMb: 64,
  openFiles: 256,
  fileSizeBytes: 16 * 1024 * 1024,
};
