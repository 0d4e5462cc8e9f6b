import { describe, expect, it } from 'vitest';
import { loadLanguageManifest } from '../languages.js';
import { checkerRunsBudgetMs } from './program-checker.js';

const manifest = loadLanguageManifest();
const tests = [{}, {}, {}];

describe('checkerRunsBudgetMs', () => {
  it('counts a sandbox, the compile and the run per test for a checker program only', () => {
    expect(checkerRunsBudgetMs(manifest, { tests, checker: { type: 'trimmed' } })).toBe(0);
    const python = { type: 'program' as const, language: 'python', code: 'x' };
    expect(checkerRunsBudgetMs(manifest, { tests, checker: python })).toBe(3 * (10_000 + 10_000));
    const cpp = { type: 'program' as const, language: 'cpp', code: 'x' };
    const compileMs = manifest.limits.compileTimeoutSeconds.default * 1000;
    const cppLimits = manifest.languages.find((l) => l.id === 'cpp')?.limits?.compileTimeoutSeconds?.default;
    expect(checkerRunsBudgetMs(manifest, { tests, checker: cpp })).toBe(
      3 * (10_000 + 10_000 + (cppLimits === undefined ? compileMs : cppLimits * 1000)),
    );
  });
});
