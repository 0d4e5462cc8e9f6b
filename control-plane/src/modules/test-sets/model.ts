import { t } from 'elysia';
import { int } from '../../http/answers.js';
import { checker, pagination } from '../executions/model.js';
import { visibilities } from '../projects/model.js';

/** One stored test: an inline test (README, "Grading") that may be hidden. */
const storedTest = t.Object(
  {
    name: t.Optional(t.String({ minLength: 1, maxLength: 100 })),
    stdin: t.String(),
    expectedOutput: t.String(),
    /** Wall time of this test's run in seconds; absent: the submission's `timeout`. */
    timeout: t.Optional(t.Number()),
    /** Only the set's owner sees its stdin, expected output and the program's output on it. */
    hidden: t.Optional(t.Boolean()),
  },
  { additionalProperties: false },
);

/** `POST /test-sets` and `PUT /test-sets/{id}` (a PUT replaces: absent optional fields reset). */
export const testSetBody = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 200 }),
    /** private (default): the owner's only; unlisted and public: anyone with the id may read and use it. */
    visibility: t.Optional(t.Union(visibilities.map((v) => t.Literal(v)))),
    tests: t.Array(storedTest),
    /** The set's checker, used when a submission names none; null or absent: trimmed. */
    checker: t.Optional(t.Union([checker, t.Null()])),
  },
  { additionalProperties: false },
);
export type TestSetBody = typeof testSetBody.static;

export const testSetParams = t.Object({ testSetId: t.String({ maxLength: 64 }) });

export const testSetListQuery = t.Object({
  page: t.Optional(t.Integer({ minimum: 1, maximum: 100000 })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100 })),
});
export type TestSetListQuery = typeof testSetListQuery.static;

/** A test of a set as the caller sees it: a hidden one is `{name, hidden: true}` to all but its owner. */
const storedTestAnswer = t.Object({
  name: t.String(),
  stdin: t.Optional(t.String()),
  expectedOutput: t.Optional(t.String()),
  timeout: t.Optional(t.Number()),
  hidden: t.Boolean(),
});

/** A set in a list (service.ts `summaryView`); the checker's `code` only for its owner. */
export const testSetSummaryAnswer = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    name: t.String(),
    visibility: t.Union(visibilities.map((v) => t.Literal(v))),
    owner: t.Object({ id: t.String({ format: 'uuid' }), username: t.String() }),
    isOwner: t.Boolean(),
    checker: t.Union([t.Record(t.String(), t.Unknown()), t.Null()]),
    testCount: int(),
    hiddenCount: int(),
    createdAt: t.String({ format: 'date-time' }),
    updatedAt: t.String({ format: 'date-time' }),
  },
  { $id: 'TestSetSummary' },
);

/** One set with its tests (service.ts `testSetView`). */
export const testSetAnswer = t.Composite(
  [testSetSummaryAnswer, t.Object({ tests: t.Array(storedTestAnswer) })],
  {
    $id: 'TestSet',
  },
);

export const testSetListAnswer = t.Object({ testSets: t.Array(testSetSummaryAnswer), pagination });
