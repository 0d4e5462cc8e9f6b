import { executionStatuses } from '@muscode/common';
import { t } from 'elysia';

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
