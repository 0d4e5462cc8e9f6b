import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { imageRepo, root } from '../support/stack.js';

/**
 * sandbox-images/launcher/smoke.mjs in the suite: the launcher protocol spoken straight to a
 * sandbox under runsc (no agent), for the checks that no test through the API can make: frames
 * and paths the agent never sends, a full workspace, a program that cannot be executed, stdin
 * larger than a pipe, a daemon left behind. (Its other checks — hello, limits, compile, cancel,
 * forged frames — are made through the API by tests/e2e, tests/hostile and languages.test.ts.)
 */
const checks = [
  'bad-path-dotdot',
  'bad-path-absolute',
  'bad-path-empty-segment',
  'bad-frame',
  'oversized-frame',
  'workspace-full',
  'exec-failure',
  'big-stdin',
  'background-daemon',
];
const image = `${imageRepo}/sandbox-python`;
const results = new Map<string, string>();
let exitCode: number | null = null;
let output = '';

beforeAll(async () => {
  const child = spawn(process.execPath, [`${root}/sandbox-images/launcher/smoke.mjs`, image, ...checks], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const v = JSON.parse(line) as { check?: string; result?: string };
    if (v.check && v.result) results.set(v.check, v.result);
  }
}, 180_000);

describe(`launcher smoke checks (${image}, runsc)`, () => {
  for (const name of checks) {
    it(name, () => {
      expect(results.get(name), output.slice(-2000)).toBe('PASS');
    });
  }

  it('ran every check and exited 0', () => {
    expect([...results.keys()].sort()).toEqual([...checks].sort());
    expect(exitCode).toBe(0);
  });
});
