import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from '../support/stack.js';

// The launcher's C parts that need no sandbox (frame parsers, limits, path checks, file
// writing and wiping, collecting artifacts, and a step's confinement applied in a forked child on the host kernel),
// compiled with the host's gcc and the image's warning flags, one vitest case per C case.
// The sandbox-level behaviour is covered by tests/hostile and tests/integration through runsc.
const dir = join(root, 'sandbox-images/launcher');
const build = mkdtempSync(join(tmpdir(), 'launcher-c-'));
const binary = join(build, 'launcher-test');
// Everything but the parts that need the sandbox (main, children, steps, prepared, submission, graded).
const parts = ['frames', 'limits', 'workspace', 'fault', 'confine', 'artifacts'];
execFileSync('gcc', [
  '-O1',
  '-D_GNU_SOURCE',
  '-Wall',
  '-Wextra',
  '-Werror',
  `-I${join(dir, 'src')}`,
  '-o',
  binary,
  join(dir, 'test/launcher-test.c'),
  ...parts.map((p) => join(dir, `src/${p}.c`)),
]);
const cases = execFileSync(binary, ['--list'], { encoding: 'utf8' }).trim().split('\n');

afterAll(() => rmSync(build, { recursive: true, force: true }));

describe('launcher C parts', () => {
  it('every source file of the launcher is compiled here or needs the sandbox', () => {
    const sandboxOnly = ['main', 'children', 'steps', 'prepared', 'submission', 'graded'];
    const sources = readdirSync(join(dir, 'src'))
      .filter((f) => f.endsWith('.c'))
      .map((f) => f.slice(0, -2));
    expect(sources.sort()).toEqual([...parts, ...sandboxOnly].sort());
  });

  it.each(cases)('%s', (name) => {
    const r = spawnSync(binary, [name], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok\n');
    expect(r.status).toBe(0);
  });
});
