import { describe, expect, it } from 'vitest';
import { loadLanguageManifest } from '@muscode/common';
import { fieldOf } from '../../testing/field-of.js';
import { resolveProgramChecker } from './checker.js';

const manifest = loadLanguageManifest();
const none = new Map();

describe('resolveProgramChecker', () => {
  it("resolves an alias and a version range to the language's id, version and image", () => {
    const c = resolveProgramChecker(
      manifest,
      { type: 'program', language: 'C++', version: '12', code: 'x' },
      none,
    );
    expect(c).toMatchObject({ type: 'program', language: 'cpp', code: 'x' });
    expect(c.version).toMatch(/^12/);
    expect(c.image).toBeTruthy();
    const newest = resolveProgramChecker(manifest, { type: 'program', language: 'py', code: 'x' }, none);
    expect(newest.language).toBe('python');
    expect(newest.version).toMatch(/^3\.13/);
  });

  it('names checker.language, checker.version or checker.code in its 400', () => {
    const r = (c: { language: string; version?: string; code: string }) => () =>
      resolveProgramChecker(manifest, { type: 'program', ...c }, none);
    expect(fieldOf(r({ language: 'cobol-2099', code: 'x' }))).toBe('checker.language');
    expect(fieldOf(r({ language: 'python', version: '2.7', code: 'x' }))).toBe('checker.version');
    expect(fieldOf(r({ language: 'python', code: ' \n' }))).toBe('checker.code');
    const max = manifest.limits.codeBytes.max;
    expect(fieldOf(r({ language: 'python', code: 'x'.repeat(max + 1) }))).toBe('checker.code');
    expect(
      resolveProgramChecker(manifest, { type: 'program', language: 'python', code: 'x'.repeat(max) }, none)
        .code,
    ).toHaveLength(max);
  });
});
