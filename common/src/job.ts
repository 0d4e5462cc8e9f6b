import { z } from 'zod';
import { checkerSchema } from './grading/checkers.js';

/**
 * A job on `jobs:<region>`: everything an agent needs to run one execution, and nothing about
 * the user beyond an opaque owner id (for the `owner` isolation level).
 */
export const jobSchema = z.object({
  executionId: z.string().uuid(),
  ownerId: z.string(),
  language: z.string(),
  /**
   * The manifest image of the language version to run (`trixie/python`) and its version as the
   * control-plane resolved it. Absent (older control-planes): the language's first version.
   */
  image: z.string().optional(),
  version: z.string().optional(),
  /** `encoding: "base64"`: `content` is base64 of the file's bytes (which need not be UTF-8). */
  files: z
    .array(
      z.object({ path: z.string(), content: z.string(), encoding: z.enum(['utf8', 'base64']).optional() }),
    )
    .min(1),
  mainFile: z.string(),
  /** Command-line arguments of the program, after the language's run command. */
  args: z.array(z.string()).optional(),
  /** Base64 of the program's stdin. */
  stdin: z.string(),
  /**
   * Interactive jobs keep stdin open after `stdin` for data sent through the control stream
   * until a stdin_close; others close it at once.
   */
  interactive: z.boolean().default(false),
  limits: z.object({
    timeoutMs: z.number().int().positive(),
    /** CPU time of the run step; absent (older jobs) means timeoutMs. */
    cpuTimeMs: z.number().int().positive().optional(),
    compileTimeoutMs: z.number().int().positive(),
    memoryMb: z.number().int().positive(),
    cpus: z.number().positive(),
    processes: z.number().int().positive(),
    openFiles: z.number().int().positive(),
    fileSizeBytes: z.number().int().positive(),
    workspaceMb: z.number().int().positive(),
    outputBytes: z.number().int().positive(),
    /** Files the program leaves under /workspace/output, sent back within these limits;
     * absent: none are collected (launcher protocol 5, "Artifacts"). */
    artifacts: z
      .object({
        maxCount: z.number().int().positive(),
        maxFileBytes: z.number().int().positive(),
        maxBytes: z.number().int().positive(),
      })
      .optional(),
  }),
  /**
   * A graded submission (README, "Grading"): compile once, then run the program once per test
   * with the test's stdin and wall time, and compare its stdout with the checker. Absent: an
   * ordinary run of `stdin`.
   */
  grading: z
    .object({
      tests: z
        .array(
          z.object({
            name: z.string(),
            /** Base64 of the test's stdin. */
            stdin: z.string(),
            /** Base64 of the output it must print. */
            expectedOutput: z.string(),
            /** Wall time of this test's run; absent: limits.timeoutMs. */
            timeoutMs: z.number().int().positive().optional(),
            /**
             * A hidden test of a stored set the submitter does not own: the control-plane
             * withholds its output from every answer (the agent runs it like any other).
             */
            hidden: z.boolean().optional(),
          }),
        )
        .min(1),
      checker: checkerSchema,
      stopOnFirstFailure: z.boolean(),
    })
    .optional(),
  enqueuedAt: z.number(),
  /**
   * Attempts made before this stream entry existed (a job re-queued by the sweeper). The
   * attempt number of a delivery is attemptBase + the entry's delivery count.
   */
  attemptBase: z.number().int().min(0).optional(),
});

export type Job = z.infer<typeof jobSchema>;
export type JobLimits = Job['limits'];
export type JobGrading = NonNullable<Job['grading']>;
export type JobTest = JobGrading['tests'][number];

/** Redis stream field that carries the job JSON. */
export const jobField = 'job';
