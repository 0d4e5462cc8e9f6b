import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  defaultManifestPath,
  findLanguage,
  languageLimits,
  languageVersionOfImage,
  languageVersions,
  loadLanguageManifest,
  manifestImages,
  sandboxImageName,
} from './languages.js';

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

  it('defines 50 or more languages, each with three self-tests and an expected error verdict', () => {
    expect(m.languages.length).toBeGreaterThanOrEqual(50);
    for (const lang of m.languages) {
      expect(lang.selfTest.error.status, lang.id).toMatch(/^(runtime_error|compile_error)$/);
      // A compiled language's error case is a compile error; an interpreted one fails at run time.
      for (const v of languageVersions(lang)) {
        expect(lang.selfTest.error.status === 'compile_error', `${lang.id}@${v.image}`).toBe(
          v.compile !== null,
        );
      }
    }
  });

  it('keeps the bookworm builds as the older versions and trixie as the newer of the popular languages', () => {
    const images = (id: string) => findLanguage(m, id)!.versions.map((v) => `${v.image} ${v.series}`);
    expect(images('python')).toEqual(['python 3.11', 'trixie/python 3.13']);
    expect(images('javascript')).toEqual(['javascript 18', 'trixie/javascript 20']);
    expect(images('java')).toEqual(['jvm 17', 'trixie/jvm 21', 'trixie/jdk25 25']);
    expect(images('c')).toEqual(['native 12', 'trixie/native 14']);
    expect(images('go')).toEqual(['go 1.19', 'trixie/go 1.24']);
    expect(images('typescript')).toEqual(['javascript 4.8', 'trixie/javascript 5.9']);
  });

  it("gives a version its own commands over the language's", () => {
    const [oldRust, newRust] = languageVersions(findLanguage(m, 'rust')!);
    expect(oldRust?.compile).toContain('--edition=2021');
    expect(newRust?.compile).toContain('--edition=2024');
    expect(newRust?.run).toEqual(oldRust?.run);
    expect(languageVersionOfImage(findLanguage(m, 'rust')!, 'trixie/rust')).toEqual(newRust);
  });

  it('names images of a family after their folder: trixie/python is sandbox-trixie-python', () => {
    expect(sandboxImageName('python')).toBe('muscode/sandbox-python:latest');
    expect(sandboxImageName('trixie/python', 'muscode-x')).toBe('muscode-x/sandbox-trixie-python:latest');
    expect(manifestImages(m)).toContain('trixie/native');
    expect(new Set(manifestImages(m)).size).toBe(manifestImages(m).length);
  });

  it('refuses a version whose series is not a semver range, and an image named twice in a language', () => {
    const badSeries = variant((doc) => {
      doc.languages[0].versions[0].series = 'three';
    });
    expect(() => loadLanguageManifest(badSeries)).toThrow(/series "three" is not a semver range/);
    const twice = variant((doc) => {
      doc.languages[0].versions.push({ ...doc.languages[0].versions[0] });
    });
    expect(() => loadLanguageManifest(twice)).toThrow(/names image python twice/);
  });

  it('gives a language its own limits over the manifest-wide ones, field by field', () => {
    const java = languageVersions(findLanguage(m, 'java')!)[0]!;
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
