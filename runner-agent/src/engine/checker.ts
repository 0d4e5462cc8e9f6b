import {
  checkerJobLimits,
  checkerLanguage,
  checkerRunLimits,
  type Job,
  type JobTest,
  type LanguageVersion,
  type Logger,
  type ProgramChecker,
} from '@muscode/common';
import type { CgroupMemory } from '../sandbox/cgroup.js';
import type { ExecuteResult } from './collect.js';
import { prepare, type PrepareDeps } from './prepare.js';
import { executeOnSession } from './run.js';

/**
 * Checker programs (README, "Grading"): a graded submission's `program` checker runs once per
 * test, as an ordinary submission of its own, in a sandbox of its own taken from the pool under
 * the agent's isolation level (never the submission's sandbox, which the submitted program
 * could have changed). Its working directory holds its code and the test's `input.txt`,
 * `expected.txt` and `actual.txt`; its exit code is the test's verdict.
 */

/** The files a checker finds next to its code. */
export const checkerFiles = { input: 'input.txt', expected: 'expected.txt', actual: 'actual.txt' };

/** What the checker made of one test. */
export interface CheckOutcome {
  status: 'accepted' | 'wrong_answer' | 'internal_error';
  /** The test's message: the first line of the checker's stdout, or why the checker failed. */
  message: string;
  /** No further test can be checked (the checker did not compile, or cannot run here). */
  fatal?: boolean;
}

export type TestCheck = (test: JobTest, actual: Buffer) => Promise<CheckOutcome>;

/** The job of one checker run: the checker's code and the three files, nothing else. */
export function checkerJob(opts: {
  job: Job;
  checker: ProgramChecker;
  lang: LanguageVersion;
  limits: Job['limits'];
  test: JobTest;
  actual: Buffer;
}): Job {
  const { job, checker, lang, test } = opts;
  return {
    executionId: job.executionId,
    ownerId: job.ownerId,
    language: lang.id,
    image: lang.image,
    ...(checker.version === undefined ? {} : { version: checker.version }),
    files: [
      { path: lang.mainFile, content: checker.code },
      { path: checkerFiles.input, content: test.stdin, encoding: 'base64' },
      { path: checkerFiles.expected, content: test.expectedOutput, encoding: 'base64' },
      { path: checkerFiles.actual, content: opts.actual.toString('base64'), encoding: 'base64' },
    ],
    mainFile: lang.mainFile,
    args: [],
    stdin: '',
    interactive: false,
    limits: opts.limits,
    enqueuedAt: job.enqueuedAt,
  };
}

/** The first line of `text`, without its line end, at most `max` characters. */
export function firstLine(text: string, max = checkerRunLimits.messageChars): string {
  const line = text.split('\n', 1)[0]!.replace(/\r$/, '');
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

const excerpt = (text: string, max = checkerRunLimits.messageChars) =>
  text.length > max ? `${text.slice(0, max)}…` : text;

/**
 * The test's verdict from the checker's run: exit 0 accepted, exit 1 wrong_answer (the first
 * line of its stdout as the message either way); anything else is the checker's failure, an
 * internal_error. A checker that did not compile ends the grading.
 */
export function checkerOutcome(r: ExecuteResult): CheckOutcome {
  const line = firstLine(r.stdout.toString('utf8'));
  if (r.verdict === 'compile_error') {
    const output = excerpt(r.compileOutput.toString('utf8').trim());
    const why = r.message ? ` (${r.message})` : '';
    return {
      status: 'internal_error',
      message: `The checker did not compile${why}${output ? `: ${output}` : '.'}`,
      fatal: true,
    };
  }
  if (r.verdict === 'completed') return { status: 'accepted', message: line };
  const exit = r.run && r.run.signal === 0 ? r.run.exit : undefined;
  if (r.verdict === 'runtime_error' && exit === 1) {
    return { status: 'wrong_answer', message: line || 'The checker rejected the output.' };
  }
  const reason =
    r.verdict === 'runtime_error' && r.run
      ? exit === undefined
        ? `killed by signal ${r.run.signal}`
        : `exit code ${exit}`
      : r.message || r.verdict;
  return { status: 'internal_error', message: `The checker failed (${reason})${line ? `: ${line}` : '.'}` };
}

export interface CheckerDeps extends PrepareDeps {
  startGraceMs: number;
  wipeTimeoutMs: number;
  cgroup: CgroupMemory | undefined;
}

/**
 * Runs the job's checker for each test it is given. A sandbox that cannot be had is a fatal
 * internal_error of the grading; a container runtime that is down throws (prepare's
 * RuntimeUnavailableError: the attempt is left pending, as for the submission's own sandbox).
 */
export function createProgramChecker(
  deps: CheckerDeps,
  job: Job,
  checker: ProgramChecker,
  log: Logger,
): TestCheck {
  const lang = checkerLanguage(deps.manifest, checker);
  const clog = log.child({ checker: checker.language });
  return async (test, actual) => {
    if (!lang) {
      return {
        status: 'internal_error',
        message: `The checker's language ${checker.language} is not available on this runner.`,
        fatal: true,
      };
    }
    const cj = checkerJob({
      job,
      checker,
      lang,
      limits: checkerJobLimits(deps.manifest, lang),
      test,
      actual,
    });
    const prepared = await prepare(deps, cj, clog);
    if (!prepared.ok) {
      return {
        status: 'internal_error',
        message: `The checker could not run: ${prepared.message}`,
        fatal: true,
      };
    }
    const { lease } = prepared;
    let result: ExecuteResult;
    try {
      result = await executeOnSession({
        session: lease.session,
        job: cj,
        lang: prepared.lang,
        graceMs: deps.startGraceMs,
        cgroup: deps.cgroup,
      });
    } catch (err) {
      lease.release(false);
      throw err;
    }
    // A reused sandbox (owner, jail) is wiped by its launcher before it serves anyone again.
    const reusable = result.reusable && deps.pool.isolation !== 'sandbox';
    lease.release(reusable && (await lease.session.nextReady(deps.wipeTimeoutMs)));
    const outcome = checkerOutcome(result);
    if (outcome.status === 'internal_error') {
      clog.warn({ verdict: result.verdict, detail: result.detail }, 'checker failed');
    }
    return outcome;
  };
}
