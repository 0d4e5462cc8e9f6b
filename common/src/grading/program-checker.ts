// The fixed limits of checker programs (README, "Grading"), shared by the control-plane (an
// execution's time budget) and the agent (the checker's runs).

import {
  defaultJobLimits,
  findLanguage,
  languageVersionOfImage,
  languageVersions,
  type LanguageManifest,
  type LanguageVersion,
} from '../languages.js';
import type { JobLimits } from '../job.js';
import type { Checker, ProgramChecker } from './checkers.js';

export const checkerRunLimits = {
  /** Wall time and CPU time of one checker run. */
  timeoutMs: 10_000,
  /** Characters of the first line of the checker's stdout kept as the test's message. */
  messageChars: 500,
  /** Time to get a sandbox for one checker run and hand it back, at most, beyond its limits. */
  sandboxMs: 10_000,
};

/** The language version a checker runs with (the image the control-plane chose, else the first). */
export function checkerLanguage(m: LanguageManifest, checker: ProgramChecker): LanguageVersion | undefined {
  const lang = findLanguage(m, checker.language);
  return lang && (checker.image ? languageVersionOfImage(lang, checker.image) : languageVersions(lang)[0]);
}

/**
 * The limits of a checker's run: the language's defaults (so a pooled sandbox fits), with the
 * checker's own wall and CPU time, and no artifacts.
 */
export function checkerJobLimits(m: LanguageManifest, lang: LanguageVersion): JobLimits {
  return {
    ...defaultJobLimits(m, lang),
    timeoutMs: checkerRunLimits.timeoutMs,
    cpuTimeMs: checkerRunLimits.timeoutMs,
  };
}

/**
 * The longest the checker runs of a graded job take in all: per test, a sandbox, the checker's
 * compile and its run. 0 for a checker applied by the agent itself.
 */
export function checkerRunsBudgetMs(
  m: LanguageManifest,
  grading: { tests: readonly unknown[]; checker: Checker },
): number {
  const { checker } = grading;
  if (checker.type !== 'program') return 0;
  const lang = checkerLanguage(m, checker);
  if (!lang) return 0;
  const limits = checkerJobLimits(m, lang);
  const perTest =
    checkerRunLimits.sandboxMs + limits.timeoutMs + (lang.compile ? limits.compileTimeoutMs : 0);
  return grading.tests.length * perTest;
}
