import { describe, expect, it } from 'vitest';
import { loadLanguageManifest } from '@muscode/common';
import { fieldOf } from '../../testing/field-of.js';
import { gradingCaps, normalizeFilePath, resolveGrading, resolveLimits, resolveSource } from './request.js';

const manifest = loadLanguageManifest();
const python = manifest.languages.find((l) => l.id === 'python')!;

describe('normalizeFilePath', () => {
  it('joins the spec-style folder and the name', () => {
    expect(normalizeFilePath('/src', 'util.py', 'f')).toBe('src/util.py');
    expect(normalizeFilePath(undefined, 'main.py', 'f')).toBe('main.py');
    expect(normalizeFilePath('a/b/', 'c.py', 'f')).toBe('a/b/c.py');
  });

  it.each([
    ['/', '../etc/passwd'],
    ['/src/../..', 'x.py'],
    [undefined, '/etc/passwd'],
    [undefined, 'a\0b'],
    [undefined, 'a\nb'],
    [undefined, 'a\\b'],
    [undefined, '.'],
    [undefined, 'x'.repeat(300)],
  ])('rejects %s + %s', (dir, name) => {
    expect(fieldOf(() => normalizeFilePath(dir, name, 'files.0.name'))).toBe('files.0.name');
  });
});

describe('resolveLimits', () => {
  it('uses defaults and accepts values in range', () => {
    expect(resolveLimits(manifest, {}).timeoutMs).toBe(manifest.limits.timeoutSeconds.default * 1000);
    expect(resolveLimits(manifest, { timeout: 2, memoryLimit: 64 })).toMatchObject({
      timeoutMs: 2000,
      memoryMb: 64,
    });
  });

  it('takes every limit from the request, each within its range', () => {
    const l = manifest.limits;
    expect(resolveLimits(manifest, {})).toMatchObject({
      cpuTimeMs: l.cpuTimeSeconds.default * 1000,
      processes: l.processes.default,
      openFiles: l.openFiles.default,
      fileSizeBytes: l.fileSizeBytes.default,
      workspaceMb: l.workspaceMb.default,
      outputBytes: l.outputBytes.default,
    });
    expect(
      resolveLimits(manifest, {
        cpuTime: 2,
        compileTimeout: 20,
        processes: 8,
        openFiles: 32,
        fileSize: 4096,
        workspaceSize: 8,
        outputLimit: 2048,
      }),
    ).toMatchObject({
      cpuTimeMs: 2000,
      compileTimeoutMs: 20000,
      processes: 8,
      openFiles: 32,
      fileSizeBytes: 4096,
      workspaceMb: 8,
      outputBytes: 2048,
    });
    const above = {
      cpuTime: l.cpuTimeSeconds.max + 1,
      compileTimeout: l.compileTimeoutSeconds.max + 1,
      processes: l.processes.max + 1,
      openFiles: l.openFiles.max + 1,
      fileSize: l.fileSizeBytes.max + 1,
      workspaceSize: l.workspaceMb.max + 1,
      outputLimit: l.outputBytes.max + 1,
    };
    for (const [field, value] of Object.entries(above)) {
      expect(fieldOf(() => resolveLimits(manifest, { [field]: value }))).toBe(field);
    }
  });

  it('rejects values out of range, naming the field', () => {
    expect(fieldOf(() => resolveLimits(manifest, { timeout: 0 }))).toBe('timeout');
    expect(fieldOf(() => resolveLimits(manifest, { timeout: Number.NaN }))).toBe('timeout');
    expect(fieldOf(() => resolveLimits(manifest, { memoryLimit: 1e9 }))).toBe('memoryLimit');
  });
});

describe('resolveSource', () => {
  it('puts code in the language main file', () => {
    expect(resolveSource(manifest, python, { code: 'print(1)' })).toEqual({
      files: [{ path: 'main.py', content: 'print(1)' }],
      mainFile: 'main.py',
    });
  });

  it('keeps base64 code as bytes, counting their size against the code limit', () => {
    const bytes = Buffer.from([0x70, 0xe9, 0xff, 0x00]);
    expect(
      resolveSource(manifest, python, { code: bytes.toString('base64'), codeEncoding: 'base64' }),
    ).toEqual({
      files: [{ path: 'main.py', content: bytes.toString('base64'), encoding: 'base64' }],
      mainFile: 'main.py',
    });
    const big = Buffer.alloc(manifest.limits.codeBytes.max + 1).toString('base64');
    expect(fieldOf(() => resolveSource(manifest, python, { code: big, codeEncoding: 'base64' }))).toBe(
      'code',
    );
  });

  it('takes several files with a main file', () => {
    const r = resolveSource(manifest, python, {
      files: [
        { name: 'util.py', path: '/lib', content: 'x = 1' },
        { name: 'app.py', content: 'import lib.util' },
      ],
      mainFile: 'app.py',
    });
    expect(r.mainFile).toBe('app.py');
    expect(r.files.map((f) => f.path)).toEqual(['lib/util.py', 'app.py']);
  });

  it('rejects both or neither of code and files, duplicates, and a missing main file', () => {
    expect(fieldOf(() => resolveSource(manifest, python, {}))).toBe('code');
    expect(
      fieldOf(() => resolveSource(manifest, python, { code: '', files: [{ name: 'a.py', content: '' }] })),
    ).toBe('code');
    expect(
      fieldOf(() =>
        resolveSource(manifest, python, {
          files: [
            { name: 'a.py', content: '' },
            { name: 'a.py', path: '/', content: '' },
          ],
        }),
      ),
    ).toBe('files');
    expect(
      fieldOf(() =>
        resolveSource(manifest, python, { files: [{ name: 'a.py', content: '' }], mainFile: 'b.py' }),
      ),
    ).toBe('mainFile');
  });
});

describe('resolveGrading', () => {
  const limits = resolveLimits(manifest, {}, python);
  const grade = (body: Parameters<typeof resolveGrading>[1]) =>
    resolveGrading(manifest, body, limits, python);

  it('is nothing without tests; checker and stopOnFirstFailure need tests', () => {
    expect(grade({})).toBeUndefined();
    expect(fieldOf(() => grade({ checker: { type: 'exact' } }))).toBe('checker');
    expect(fieldOf(() => grade({ stopOnFirstFailure: true }))).toBe('stopOnFirstFailure');
  });

  it('names tests, carries stdin and expected output as base64, defaults to trimmed and stopping', () => {
    const g = grade({
      tests: [
        { stdin: 'é\n', expectedOutput: '1' },
        { name: 'big', stdin: '', expectedOutput: '2', timeout: 1 },
      ],
    });
    expect(g).toEqual({
      tests: [
        { name: 'test 1', stdin: Buffer.from('é\n').toString('base64'), expectedOutput: 'MQ==' },
        { name: 'big', stdin: '', expectedOutput: 'Mg==', timeoutMs: 1000 },
      ],
      checker: { type: 'trimmed' },
      stopOnFirstFailure: true,
    });
    expect(
      grade({
        tests: [{ stdin: '', expectedOutput: '' }],
        stopOnFirstFailure: false,
        checker: { type: 'float', absolute: 0.5 },
      }),
    ).toMatchObject({
      checker: { type: 'float', absolute: 0.5 },
      stopOnFirstFailure: false,
    });
  });

  it('refuses what it cannot run, naming the field', () => {
    const t = { stdin: '', expectedOutput: '' };
    expect(fieldOf(() => grade({ tests: [] }))).toBe('tests');
    expect(fieldOf(() => grade({ tests: Array.from({ length: gradingCaps.maxTests + 1 }, () => t) }))).toBe(
      'tests',
    );
    expect(
      fieldOf(() =>
        grade({ tests: [t, { ...t, expectedOutput: 'x'.repeat(gradingCaps.maxTestBytes + 1) }] }),
      ),
    ).toBe('tests.1.expectedOutput');
    expect(fieldOf(() => grade({ tests: [{ ...t, timeout: 0 }] }))).toBe('tests.0.timeout');
    expect(
      fieldOf(() =>
        grade({
          tests: [
            { ...t, name: 'a' },
            { ...t, name: 'a' },
          ],
        }),
      ),
    ).toBe('tests.1.name');
    expect(fieldOf(() => grade({ tests: [t], stdin: 'x' }))).toBe('stdin');
    expect(fieldOf(() => grade({ tests: [t], interactive: true }))).toBe('interactive');
    const regex = { type: 'regex' } as unknown as { type: 'exact' };
    expect(fieldOf(() => grade({ tests: [t], checker: regex }))).toBe('checker');
    const third = 'x'.repeat(Math.floor(gradingCaps.maxTotalBytes / 3) + 1);
    expect(fieldOf(() => grade({ tests: [1, 2, 3].map(() => ({ stdin: third, expectedOutput: '' })) }))).toBe(
      'tests',
    );
  });
});
