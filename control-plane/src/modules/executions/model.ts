import { executionStatuses } from '@muscode/common';
import { t, type TSchema } from 'elysia';
import { int } from '../../http/answers.js';
import { artifactStates } from '../artifacts/repo.js';

const file = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 255 }),
    path: t.Optional(t.String({ maxLength: 500 })),
    content: t.String(),
  },
  { additionalProperties: false },
);

/** One test of a graded submission (README, "Grading"). */
const gradingTest = t.Object(
  {
    name: t.Optional(t.String({ minLength: 1, maxLength: 100 })),
    stdin: t.String(),
    expectedOutput: t.String(),
    /** Wall time of this test's run in seconds; absent: the submission's `timeout`. */
    timeout: t.Optional(t.Number()),
  },
  { additionalProperties: false },
);

export const checker = t.Union([
  t.Object({ type: t.Literal('exact') }, { additionalProperties: false }),
  t.Object({ type: t.Literal('trimmed') }, { additionalProperties: false }),
  t.Object({ type: t.Literal('tokens') }, { additionalProperties: false }),
  t.Object(
    {
      type: t.Literal('float'),
      absolute: t.Optional(t.Number({ minimum: 0 })),
      relative: t.Optional(t.Number({ minimum: 0 })),
    },
    { additionalProperties: false },
  ),
  /** A checker program (README, "Grading"); checked further in checker.ts. */
  t.Object(
    {
      type: t.Literal('program'),
      language: t.String({ maxLength: 50 }),
      version: t.Optional(t.String({ maxLength: 50 })),
      code: t.String(),
    },
    { additionalProperties: false },
  ),
]);

/** The grading fields, shared by `POST /execute` and a project's run. */
export const gradingFields = {
  /** Run the program once per test and check its output (README, "Grading"). */
  tests: t.Optional(t.Array(gradingTest)),
  /** Grade against a stored test set instead of `tests` (README, "Grading"). */
  testSetId: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
  /** How outputs are compared; default `trimmed`. */
  checker: t.Optional(checker),
  /** Stop after the first test that fails (default true); the rest are `skipped`. */
  stopOnFirstFailure: t.Optional(t.Boolean()),
};

/** `POST /execute` and `POST /execute/batch`: either `code`, or `files` with a `mainFile`. */
export const executeBody = t.Object(
  {
    language: t.String({ minLength: 1, maxLength: 50 }),
    /** The language version: exact or a semver range (`3`, `3.11.x`); absent, the newest available. */
    version: t.Optional(t.String({ minLength: 1, maxLength: 50 })),
    code: t.Optional(t.String()),
    /** `base64`: `code` is base64 of the program's bytes, which may be any (not UTF-8) bytes. */
    codeEncoding: t.Optional(t.Union([t.Literal('utf8'), t.Literal('base64')])),
    files: t.Optional(t.Array(file, { minItems: 1, maxItems: 256 })),
    mainFile: t.Optional(t.String({ minLength: 1, maxLength: 500 })),
    stdin: t.Optional(t.String()),
    /** `base64`: `stdin` is base64 of bytes, which may be any (not UTF-8) bytes. */
    stdinEncoding: t.Optional(t.Union([t.Literal('utf8'), t.Literal('base64')])),
    timeout: t.Optional(t.Number()),
    memoryLimit: t.Optional(t.Number()),
    /** Limits beyond the spec's two, each with a default and a maximum (GET /languages). */
    cpuTime: t.Optional(t.Number()),
    compileTimeout: t.Optional(t.Number()),
    processes: t.Optional(t.Number()),
    openFiles: t.Optional(t.Number()),
    fileSize: t.Optional(t.Number()),
    workspaceSize: t.Optional(t.Number()),
    outputLimit: t.Optional(t.Number()),
    /** Command-line arguments of the program. */
    args: t.Optional(t.Array(t.String({ maxLength: 4096 }), { maxItems: 64 })),
    region: t.Optional(t.String({ pattern: '^[a-z0-9-]{1,50}$' })),
    /** Keep stdin open for data sent later (WebSocket `stdin`, gRPC Interact) until stdin_close. */
    interactive: t.Optional(t.Boolean()),
    ...gradingFields,
  },
  { additionalProperties: false },
);

export type ExecuteBody = typeof executeBody.static;

export const executeQuery = t.Object({
  /** Answer with the final result instead of at once, waiting at most the execution's limits. */
  wait: t.Optional(t.BooleanString()),
});

export const historyQuery = t.Object({
  page: t.Optional(t.Integer({ minimum: 1, maximum: 100000 })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100 })),
  status: t.Optional(t.Union(executionStatuses.map((s) => t.Literal(s)))),
  language: t.Optional(t.String({ minLength: 1, maxLength: 50 })),
  project: t.Optional(t.String({ format: 'uuid' })),
});
export type HistoryQuery = typeof historyQuery.static;

/* ---------------------------------------------------------------- answers (the document's only) */

const nullable = <S extends TSchema>(s: S) => t.Union([s, t.Null()]);
const encoding = t.Union([t.Literal('utf8'), t.Literal('base64')]);
const status = t.Union(executionStatuses.map((s) => t.Literal(s)));
const timestamp = t.String({ format: 'date-time' });

/** One test of a graded submission as the answer shows it (view.ts `testView`). */
export const testAnswer = t.Object(
  {
    name: t.String(),
    status: t.String({ description: 'accepted, wrong_answer, skipped, or the run verdict' }),
    time: t.Number({ description: 'Wall time of the run, in seconds' }),
    cpuTime: t.Number({ description: 'CPU time of the run, in seconds' }),
    memory: t.Number({ description: 'Peak memory of the run, in MB' }),
    exitCode: nullable(int()),
    signal: nullable(int()),
    signalName: nullable(t.String()),
    // Absent from a hidden test of a set the submitter does not own (README, "Grading").
    output: t.Optional(t.String()),
    outputEncoding: t.Optional(encoding),
    error: t.Optional(t.String()),
    errorEncoding: t.Optional(encoding),
    outputTruncated: t.Optional(t.Boolean()),
    errorTruncated: t.Optional(t.Boolean()),
    message: t.Optional(nullable(t.String())),
    /** A hidden test (or one after it) of a set the submitter does not own: its output withheld. */
    hidden: t.Optional(t.Literal(true)),
  },
  { $id: 'TestResult' },
);

/** How a graded submission went (view.ts `gradingView`). */
export const gradingSummaryAnswer = t.Object(
  {
    passed: int(),
    total: int(),
    firstFailure: nullable(t.Object({ index: int(), name: t.String(), status: t.String() })),
  },
  { $id: 'GradingSummary' },
);

/** The files a program left in /workspace/output (artifacts/service.ts `ArtifactsView`). */
export const artifactsAnswer = t.Object(
  {
    files: t.Array(
      t.Object({
        id: t.String({ format: 'uuid' }),
        name: t.String(),
        size: int(),
        contentType: t.String(),
        sha256: t.String(),
        state: t.Union(artifactStates.map((s) => t.Literal(s))),
        /** The download path (the owner's token needed), while the bytes are stored. */
        url: nullable(t.String()),
        /** A short-lived download path that needs no token (when signed URLs are configured). */
        signedUrl: t.Optional(nullable(t.String())),
      }),
    ),
    skipped: t.Array(t.Object({ name: t.String(), reason: t.String() })),
    skippedCount: int(),
    storageQuotaExceeded: t.Boolean(),
  },
  { $id: 'Artifacts' },
);

/** An execution as `GET /execute/{id}` shows it (view.ts `executionView`). */
export const executionAnswer = t.Object(
  {
    executionId: t.String({ format: 'uuid' }),
    language: t.String(),
    version: nullable(t.String()),
    status,
    output: t.String(),
    outputEncoding: encoding,
    error: t.String(),
    errorEncoding: encoding,
    outputTruncated: t.Boolean(),
    errorTruncated: t.Boolean(),
    executionTime: nullable(t.Number({ description: 'Wall time, in seconds' })),
    cpuTime: nullable(t.Number({ description: 'CPU time, in seconds' })),
    memoryUsed: nullable(t.Number({ description: 'Peak memory, in MB' })),
    exitCode: nullable(int()),
    signal: nullable(int()),
    signalName: nullable(t.String()),
    compilationError: nullable(t.String()),
    message: nullable(t.String()),
    createdAt: nullable(timestamp),
    startedAt: nullable(timestamp),
    completedAt: nullable(timestamp),
    tests: t.Optional(t.Array(testAnswer)),
    summary: t.Optional(gradingSummaryAnswer),
    artifacts: nullable(artifactsAnswer),
    /** Streams whose stored output expired (their text is empty). */
    outputExpired: t.Optional(t.Array(t.Union([t.Literal('stdout'), t.Literal('stderr')]))),
    /** While queued: its 1-based place among its region's waiting jobs (0: starting). */
    queuePosition: t.Optional(int()),
  },
  { $id: 'Execution' },
);

/** What a submission without `wait` answers (service.ts `queue`). */
export const queuedAnswer = t.Object(
  {
    executionId: t.String({ format: 'uuid' }),
    status: t.Literal('queued'),
    language: t.String(),
    version: nullable(t.String()),
    /** Seconds the run may take at most. */
    estimatedTime: int(),
    queuePosition: t.Optional(int()),
  },
  { $id: 'QueuedExecution' },
);

/** `POST /execute` (and a project's run): queued, or with `?wait=true` the result. */
export const submitAnswer = t.Union([queuedAnswer, executionAnswer]);

export const cancelAnswer = t.Object({
  executionId: t.String({ format: 'uuid' }),
  status: t.Union([t.Literal('cancelled'), t.Literal('cancelling')]),
});

export const pagination = t.Object(
  { total: int(), page: int(), limit: int(), pages: int() },
  { $id: 'Pagination' },
);

/** `GET /executions`: a page of the caller's history (view.ts `executionSummaryView`). */
export const historyAnswer = t.Object({
  executions: t.Array(
    t.Object(
      {
        executionId: t.String({ format: 'uuid' }),
        projectId: nullable(t.String({ format: 'uuid' })),
        language: t.String(),
        version: nullable(t.String()),
        status,
        exitCode: nullable(int()),
        executionTime: nullable(t.Number()),
        cpuTime: nullable(t.Number()),
        memoryUsed: nullable(t.Number()),
        createdAt: nullable(timestamp),
        completedAt: nullable(timestamp),
      },
      { $id: 'ExecutionSummary' },
    ),
  ),
  pagination,
});
