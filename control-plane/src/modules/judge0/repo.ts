import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from '../../infra/db.js';
import { changeStorage } from '../files/storage.js';

const submissionRow = z.object({
  execution_id: z.string(),
  language_id: z.number(),
  expected_output: z.instanceof(Buffer).nullable(),
  command_line_arguments: z.string().nullable(),
  callback_url: z.string().nullable(),
  /** The main file's text, the stdin and the limits, from the execution. */
  source_code: z.instanceof(Buffer).nullable(),
  stdin: z.instanceof(Buffer).nullable(),
  limits: z.record(z.string(), z.unknown()).nullable(),
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
      commandLineArguments: string | null;
    }) {
      await db.query(sql.unsafe`
        INSERT INTO judge0_submissions (execution_id, language_id, expected_output, callback_url, command_line_arguments)
        VALUES (${s.executionId}, ${s.languageId},
                ${s.expectedOutput ? sql.binary(s.expectedOutput) : null}, ${s.callbackUrl},
                ${s.commandLineArguments})
        ON CONFLICT (execution_id) DO NOTHING`);
    },

    /** The submissions of these executions that belong to the user (others are absent). */
    async findOwned(executionIds: string[], userId: string): Promise<Judge0SubmissionRow[]> {
      if (executionIds.length === 0) return [];
      const rows = await db.any(sql.type(submissionRow)`
        SELECT j.execution_id, j.language_id, j.expected_output, j.command_line_arguments, j.callback_url,
               (SELECT CASE WHEN f->>'encoding' = 'base64' THEN decode(f->>'content', 'base64')
                            ELSE convert_to(f->>'content', 'UTF8') END
                FROM jsonb_array_elements(e.source) f
                WHERE f->>'path' = e.main_file LIMIT 1) AS source_code,
               e.stdin, e.limits
        FROM judge0_submissions j JOIN executions e ON e.id = j.execution_id
        WHERE j.execution_id = ANY(${sql.array(executionIds, 'uuid')}) AND e.user_id = ${userId}`);
      return [...rows];
    },

    /**
     * Deletes the user's finished execution (and with it its Judge0 row), as Judge0's DELETE
     * does; a queued or running one, or another user's, is left alone. True when it went.
     */
    /**
     * Deletes a finished execution of the user's (its artifact rows go with it, by cascade) and
     * gives its stored artifacts' bytes back to the storage quota in the same transaction. The
     * objects themselves go with the retention sweep of `executions/`.
     */
    async deleteFinished(executionId: string, userId: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        const stored = await tx.oneFirst(sql.type(z.object({ bytes: z.coerce.number() }))`
          SELECT coalesce(sum(size_bytes), 0) AS bytes FROM execution_artifacts
          WHERE execution_id = ${executionId} AND state = 'stored'`);
        const r = await tx.query(sql.unsafe`
          DELETE FROM executions
          WHERE id = ${executionId} AND user_id = ${userId} AND status NOT IN ('queued', 'running')`);
        if (r.rowCount === 0) return false;
        if (stored > 0) await changeStorage(tx, userId, -stored);
        return true;
      });
    },
  };
}

export type Judge0Repo = ReturnType<typeof createJudge0Repo>;
