// Output checkers of grading (README, "Grading"): whether a test's actual output matches its
// expected output. Pure functions, so the agent and the Judge0 route can share them; a
// `program` checker is the user's own program, run by the agent in a sandbox of its own
// (runner-agent/src/engine/checker.ts).

import { z } from 'zod';

const builtInCheckers = [
  z.object({ type: z.literal('exact') }),
  z.object({ type: z.literal('trimmed') }),
  z.object({ type: z.literal('tokens') }),
  z.object({
    type: z.literal('float'),
    absolute: z.number().nonnegative().optional(),
    relative: z.number().nonnegative().optional(),
  }),
] as const;

/**
 * A checker program: `code` in `language` (its main file), run once per test with
 * `input.txt`, `expected.txt` and `actual.txt` in its working directory. In a job, `language`
 * is the manifest's id and `image` / `version` the version the control-plane resolved.
 */
export const programCheckerSchema = z.object({
  type: z.literal('program'),
  language: z.string().min(1),
  version: z.string().optional(),
  image: z.string().optional(),
  code: z.string().min(1),
});

export const checkerSchema = z.discriminatedUnion('type', [...builtInCheckers, programCheckerSchema]);

export type Checker = z.infer<typeof checkerSchema>;
export type ProgramChecker = z.infer<typeof programCheckerSchema>;
/** The checkers applied in the agent's own process (every one but `program`). */
export type OutputChecker = Exclude<Checker, ProgramChecker>;

/**
 * What one test of a graded submission came to: `accepted` / `wrong_answer` for a program that
 * exited 0 (its stdout checked), else the run's own verdict (timeout, runtime_error, …), or
 * `skipped` for a test not run after a failure (stopOnFirstFailure).
 */
export const testStatuses = [
  'accepted',
  'wrong_answer',
  'runtime_error',
  'timeout',
  'cpu_limit',
  'memory_limit',
  'output_limit',
  'cancelled',
  'internal_error',
  'skipped',
] as const;
export type TestStatus = (typeof testStatuses)[number];

// A float checker without tolerances still allows rounding in the last printed digits.
const defaultTolerance = 1e-6;

// Trailing whitespace of every line and the trailing newlines go; leading whitespace is kept
// (indentation can be part of the answer).
function trimLines(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t\r\f\v]+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');
}

function tokens(text: string): string[] {
  return text.split(/\s+/).filter((t) => t.length > 0);
}

// Numbers compare within the tolerance (either one suffices); any other token compares exactly.
function sameToken(expected: string, actual: string, absolute: number, relative: number): boolean {
  if (expected === actual) return true;
  const e = Number(expected);
  const a = Number(actual);
  if (!isFinite(e) || !isFinite(a) || expected.trim() === '' || actual.trim() === '') return false;
  const diff = Math.abs(e - a);
  return diff <= absolute || diff <= relative * Math.abs(e);
}

export function checkOutput(checker: OutputChecker, expected: string, actual: string): boolean {
  switch (checker.type) {
    case 'exact':
      return expected === actual;
    case 'trimmed':
      return trimLines(expected) === trimLines(actual);
    case 'tokens': {
      const e = tokens(expected);
      const a = tokens(actual);
      return e.length === a.length && e.every((t, i) => t === a[i]);
    }
    case 'float': {
      const e = tokens(expected);
      const a = tokens(actual);
      const absolute = checker.absolute ?? (checker.relative === undefined ? defaultTolerance : 0);
      const relative = checker.relative ?? (checker.absolute === undefined ? defaultTolerance : 0);
      return e.length === a.length && e.every((t, i) => sameToken(t, a[i] ?? '', absolute, relative));
    }
  }
}
