import { t } from 'elysia';
import { checker } from '../executions/model.js';
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
