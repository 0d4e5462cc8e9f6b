import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultManifestPath, findLanguage, languageLimits, loadLanguageManifest } from './languages.js';

const dir = mkdtempSync(join(tmpdir(), 'muscode-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The shipped manifest, changed by `edit`, written to a file of its own. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- edits arbitrary JSON
function variant(edit: (doc: Record<string, any>) => void): string {
  const doc = JSON.parse(readFileSync(defaultManifestPath, 'utf8'));
  edit(doc);
  const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

describe('language manifest', () => {
  const m = loadLanguageManifest();

  it('defines 25 or more languages, each with three self-tests and an expected error verdict', () => {
    expect(m.languages.length).toBeGreaterThanOrEqual(25);
    for (const lang of m.languages) {
      expect(lang.selfTest.error.status, lang.id).toMatch(/^(runtime_error|compile_error)$/);
      // A compiled language's error case is a compile error; an interpreted one fails at run time.
      expect(lang.selfTest.error.status === 'compile_error', lang.id).toBe(lang.compile !== null);
    }
  });

  it('gives a language its own limits over the manifest-wide ones, field by field', () => {
    const java = findLanguage(m, 'java')!;
    const python = findLanguage(m, 'python')!;
    expect(languageLimits(m, java).memoryMb).toEqual({ ...m.limits.memoryMb, default: 512, max: 2048 });
    expect(languageLimits(m, java).timeoutSeconds).toEqual(m.limits.timeoutSeconds);
    expect(languageLimits(m, python)).toEqual(m.limits);
  });

  it('refuses a language limit whose default is above its maximum', () => {
    const path = variant((doc) => {
      doc.languages[0].limits = { memoryMb: { default: 4096 } };
    });
    expect(() => loadLanguageManifest(path)).toThrow(/python\.limits\.memoryMb needs min <= default <= max/);
  });

  it('refuses an unknown limit name in a language', () => {
    const path = variant((doc) => {
      doc.languages[0].limits = { memory: { default: 64 } };
    });
    expect(() => loadLanguageManifest(path)).toThrow();
  });

  it('refuses a manifest-wide default below its minimum', () => {
    const path = variant((doc) => {
      doc.limits.files.default = 0;
    });
    expect(() => loadLanguageManifest(path)).toThrow(/limits\.files needs min <= default <= max/);
  });

  it('refuses a name given to two languages', () => {
    const path = variant((doc) => {
      doc.languages[1].aliases.push('py');
    });
    expect(() => loadLanguageManifest(path)).toThrow(/"py" is defined twice/);
  });
});
