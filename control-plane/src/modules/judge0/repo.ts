import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from '../../infra/db.js';

const submissionRow = z.object({
  execution_id: z.string(),
  language_id: z.number(),
  expected_output: z.instanceof(Buffer).nullable(),
});
export type Judge0SubmissionRow = z.infer<typeof submissionRow>;

/** The Judge0 side of a submission; its execution (and its owner) is the executions row. */
export function createJudge0Repo(db: Db) {
  return {
    async insert(s: {
      executionId: string;
      languageId: number;
      expectedOutput: Buffer | null;
      callbackUrl: string | null;
    }) {
      await db.query(sql.unsafe`
        INSERT INTO judge0_submissions (execution_id, language_id, expected_output, callback_url)
        VALUES (${s.executionId}, ${s.languageId},
                ${s.expectedOutput ? sql.binary(s.expectedOutput) : null}, ${s.callbackUrl})
        ON CONFLICT (execution_id) DO NOTHING`);
    },

    /** The submissions of these executions that belong to the user (others are absent). */
    async findOwned(executionIds: string[], userId: string): Promise<Judge0SubmissionRow[]> {
      if (executionIds.length === 0) return [];
      const rows = await db.any(sql.type(submissionRow)`
        SELECT j.execution_id, j.language_id, j.expected_output
        FROM judge0_submissions j JOIN executions e ON e.id = j.execution_id
        WHERE j.execution_id = ANY(${sql.array(executionIds, 'uuid')}) AND e.user_id = ${userId}`);
      return [...rows];
    },
  };
}

export type Judge0Repo = ReturnType<typeof createJudge0Repo>;
