import { describe, expect, it } from 'vitest';
import { coerceVersion, listRuntimes, liveVersions, resolveVersion } from './language-versions.js';
import { findLanguage, loadLanguageManifest } from './languages.js';

const m = loadLanguageManifest();
const python = findLanguage(m, 'python')!;
const java = findLanguage(m, 'java')!;
// What live agents report: both python images, java 17 and 25 (21 on no live agent).
const live = liveVersions([
  { languageId: 'python', image: 'python', version: '3.11.2' },
  { languageId: 'python', image: 'trixie/python', version: '3.13.5' },
  { languageId: 'java', image: 'jvm', version: '17.0.21.1' },
  { languageId: 'java', image: 'trixie/jdk25', version: '25.0.5.1' },
  // Another language of the same image: its version is its own.
  { languageId: 'kotlin', image: 'jvm', version: '1.3.31' },
]);
const pick = (lang = python, requested?: string, l = live) => {
  const r = resolveVersion(lang, requested, l);
  return r.ok ? `${r.choice.entry.image} ${r.choice.version} ${r.choice.available}` : r;
};

describe('coerceVersion', () => {
  it('reads non-semver toolchain versions by their first three numbers', () => {
    expect(coerceVersion('2.2.9.debian')?.version).toBe('2.2.9');
    expect(coerceVersion('1.3-SNAPSHOT')?.version).toBe('1.3.0');
    expect(coerceVersion('17.0.21.1')?.version).toBe('17.0.21');
    expect(coerceVersion('2024.09')?.version).toBe('2024.9.0');
    expect(coerceVersion('3.13.5')?.version).toBe('3.13.5');
    expect(coerceVersion('none')).toBeNull();
  });
});

describe('resolveVersion', () => {
  it('gives the newest available version when none is asked for', () => {
    expect(pick()).toBe('trixie/python 3.13.5 true');
    expect(pick(python, 'latest')).toBe('trixie/python 3.13.5 true');
    // java 21 is on no live agent: the newest available is 25, then 17 if 25 goes.
    expect(pick(java)).toBe('trixie/jdk25 25.0.5.1 true');
    expect(
      pick(java, undefined, liveVersions([{ languageId: 'java', image: 'jvm', version: '17.0.21.1' }])),
    ).toBe('jvm 17.0.21.1 true');
  });

  it('takes an exact version, also one that is not semver', () => {
    expect(pick(python, '3.11.2')).toBe('python 3.11.2 true');
    expect(pick(java, '17.0.21.1')).toBe('jvm 17.0.21.1 true');
    const sbcl = findLanguage(m, 'commonlisp')!;
    expect(
      pick(
        sbcl,
        '2.2.9.debian',
        liveVersions([{ languageId: 'commonlisp', image: 'lisp', version: '2.2.9.debian' }]),
      ),
    ).toBe('lisp 2.2.9.debian true');
  });

  it("takes semver ranges like Piston's", () => {
    expect(pick(python, '3')).toBe('trixie/python 3.13.5 true');
    expect(pick(python, '3.11.x')).toBe('python 3.11.2 true');
    expect(pick(python, '3.11')).toBe('python 3.11.2 true');
    expect(pick(python, '<3.13')).toBe('python 3.11.2 true');
    expect(pick(java, '17')).toBe('jvm 17.0.21.1 true');
    expect(pick(findLanguage(m, 'kotlin')!)).toBe('jvm 1.3.31 true');
    expect(pick(java, '>=21')).toBe('trixie/jdk25 25.0.5.1 true');
  });

  it('resolves against the series of an image no live agent has', () => {
    expect(pick(java, '21')).toBe('trixie/jvm 21 false');
    expect(pick(java, '21.0.3')).toBe('trixie/jvm 21 false');
    // With no agent at all, a request without a version gets the newest series.
    expect(pick(python, undefined, new Map())).toBe('trixie/python 3.13 false');
  });

  it('answers the versions there are, newest first, for a version nothing matches', () => {
    for (const requested of ['2.7', '4.x', 'not-a-version', '3.12']) {
      expect(pick(python, requested)).toEqual({
        ok: false,
        reason: 'unknown_version',
        requested,
        versions: ['3.13.5', '3.11.2'],
      });
    }
    expect(resolveVersion(java, '8', live)).toMatchObject({
      ok: false,
      versions: ['25.0.5.1', '21', '17.0.21.1'],
    });
  });
});

describe('listRuntimes', () => {
  it("lists every language version flat, for runtimes lists like Piston's", () => {
    const runtimes = listRuntimes(m, live).filter((r) => r.language === 'python');
    expect(runtimes).toEqual([
      {
        language: 'python',
        name: 'Python',
        aliases: python.aliases,
        version: '3.13.5',
        series: '3.13',
        image: 'trixie/python',
        available: true,
      },
      {
        language: 'python',
        name: 'Python',
        aliases: python.aliases,
        version: '3.11.2',
        series: '3.11',
        image: 'python',
        available: true,
      },
    ]);
    expect(new Set(listRuntimes(m, live).map((r) => r.language)).size).toBe(m.languages.length);
  });
});
