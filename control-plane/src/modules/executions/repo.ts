import { sql } from 'slonik';
import { z } from 'zod';
import { executionStatuses, type JobGrading, type JobLimits, type VerdictName } from '@muscode/common';
import type { Db } from '../../infra/db.js';
import type { SourceFile } from './request.js';

const executionRow = z.object({
  id: z.string(),
  user_id: z.string(),
  region: z.string(),
  language: z.string(),
  language_version: z.string().nullable(),
  status: z.enum(executionStatuses),
  stdout: z.instanceof(Buffer).nullable(),
  stderr: z.instanceof(Buffer).nullable(),
  stdout_truncated: z.boolean(),
  stderr_truncated: z.boolean(),
  exit_code: z.number().nullable(),
  signal: z.number().nullable(),
  execution_time_ms: z.number().nullable(),
  cpu_time_ms: z.number().nullable(),
  memory_used_kb: z.number().nullable(),
  compilation_error: z.string().nullable(),
  message: z.string().nullable(),
  test_results: z.array(z.record(z.unknown())).nullable(),
  created_at: z.number(),
  started_at: z.number().nullable(),
  completed_at: z.number().nullable(),
  /** Output past CP_STORAGE_OUTPUT_INLINE_BYTES lives in the object store (the column is empty). */
  stdout_object_key: z.string().nullable(),
  stdout_size: z.number().nullable(),
  stderr_object_key: z.string().nullable(),
  stderr_size: z.number().nullable(),
});
export type ExecutionRow = z.infer<typeof executionRow>;

const executionSummaryRow = z.object({
  id: z.string(),
  project_id: z.string().nullable(),
  language: z.string(),
  language_version: z.string().nullable(),
  status: z.enum(executionStatuses),
  exit_code: z.number().nullable(),
  execution_time_ms: z.number().nullable(),
  cpu_time_ms: z.number().nullable(),
  memory_used_kb: z.number().nullable(),
  created_at: z.number(),
  completed_at: z.number().nullable(),
});
export type ExecutionSummaryRow = z.infer<typeof executionSummaryRow>;

const columns = sql.fragment`
  id, user_id, region, language, language_version, status, stdout, stderr, stdout_truncated, stderr_truncated, exit_code,
  signal, execution_time_ms, cpu_time_ms, memory_used_kb, compilation_error, message, test_results,
  created_at, started_at, completed_at, stdout_object_key, stdout_size::float8 AS stdout_size,
  stderr_object_key, stderr_size::float8 AS stderr_size`;

export interface FinalResult {
  status: VerdictName;
  exitCode: number | null;
  signal: number;
  wallMs: number;
  cpuMs: number;
  memoryKb: number;
  stdout: Buffer;
  stderr: Buffer;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  compileOutput: Buffer | null;
  message: string | null;
  /** Where a stream too large for the row was stored (its bytes above are then empty). */
  stdoutObject?: { key: string; size: number } | undefined;
  stderrObject?: { key: string; size: number } | undefined;
  /** A graded submission's tests as recorded (recording.ts); null for an ordinary run. */
  tests?: RecordedTest[] | null | undefined;
}

/** One test of a graded submission as the row keeps it (`test_results`). */
export interface RecordedTest {
  name: string;
  status: string;
  exitCode: number | null;
  signal: number;
  time: number;
  cpuTime: number;
  memory: number;
  /** Base64 of the test's stdout and stderr (capped). */
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  message: string | null;
  /**
   * A hidden test of a set the submitter does not own: recorded without its output (the
   * fields above are empty), and shown without it.
   */
  hidden?: boolean;
}

export function createExecutionRepo(db: Db) {
  return {
    /**
     * Admits and records a submission in ONE statement (one round trip, one commit): counts the
     * user's queued and running executions against `maxActive`, takes one execution from the
     * daily and monthly quota, inserts the row as queued and its `execution_submit` audit row.
     * The quota UPDATE's row lock serialises concurrent submissions of one user, and its
     * conditions are re-checked on the locked row, so two requests cannot both take the last
     * unit. Nothing is taken or inserted when the user is at the cap or the quota is spent.
     */
    async insertQueued(e: {
      userId: string;
      projectId?: string | null;
      language: string;
      /** The version it runs with, as resolved at submit. */
      languageVersion: string;
      /** The manifest image of that version. */
      image: string;
      region: string;
      files: SourceFile[];
      mainFile: string;
      limits: JobLimits;
      stdin: Buffer;
      /** The tests of a graded submission. */
      grading?: JobGrading | null;
      /** Executions the user may have queued or running at once (Infinity: no cap). */
      maxActive?: number;
    }): Promise<{ id: string } | { quotaExceeded: 'daily' | 'monthly' } | { tooManyActive: number }> {
      const newDay = sql.fragment`last_reset_daily < current_date`;
      const newMonth = sql.fragment`date_trunc('month', last_reset_monthly) < date_trunc('month', current_date)`;
      const maxActive = Number.isFinite(e.maxActive) ? (e.maxActive as number) : 2_147_483_647;
      // The count in the statement is read from its snapshot, which a concurrent submission of
      // the same user can predate: lock the user's quota row first, so submissions of one user
      // run one after another and each statement's snapshot sees the previous one's execution.
      const r = await db.transaction(async (tx) => {
        await tx.query(sql.unsafe`SELECT 1 FROM user_quotas WHERE user_id = ${e.userId} FOR UPDATE`);
        return tx.one(sql.type(z.object({ id: z.string().nullable(), active: z.number() }))`
        WITH active AS (
          SELECT count(*)::int AS n FROM executions
          WHERE user_id = ${e.userId} AND status IN ('queued', 'running')
        ), taken AS (
          UPDATE user_quotas SET
            executions_today = CASE WHEN ${newDay} THEN 1 ELSE executions_today + 1 END,
            executions_month = CASE WHEN ${newMonth} THEN 1 ELSE executions_month + 1 END,
            last_reset_daily = current_date,
            last_reset_monthly = CASE WHEN ${newMonth} THEN current_date ELSE last_reset_monthly END
          WHERE user_id = ${e.userId}
            AND (SELECT n FROM active) < ${maxActive}
            AND (CASE WHEN ${newDay} THEN 0 ELSE executions_today END) < max_executions_daily
            AND (CASE WHEN ${newMonth} THEN 0 ELSE executions_month END) < max_executions_monthly
          RETURNING user_id
        ), inserted AS (
          INSERT INTO executions (user_id, project_id, language, language_version, sandbox_image, region, source, main_file, limits, stdin, grading)
          SELECT user_id, ${e.projectId ?? null}, ${e.language}, ${e.languageVersion}, ${e.image}, ${e.region},
                 ${sql.jsonb(e.files.map((f) => ({ path: f.path, content: f.content, ...(f.encoding ? { encoding: f.encoding } : {}) })))}, ${e.mainFile},
                 ${sql.jsonb({ ...e.limits })}, ${sql.binary(e.stdin)},
                 ${e.grading ? sql.jsonb(e.grading) : null}
          FROM taken
          RETURNING id
        ), audited AS (
          INSERT INTO audit_logs (user_id, action, resource_type, resource_id, metadata)
          SELECT ${e.userId}, 'execution_submit', 'execution', id,
                 ${sql.jsonb({ language: e.language, version: e.languageVersion, projectId: e.projectId ?? null })}
          FROM inserted
        )
        SELECT (SELECT id FROM inserted) AS id, (SELECT n FROM active) AS active`);
      });
      if (r.id) return { id: r.id };
      if (r.active >= maxActive) return { tooManyActive: r.active };
      // Which quota is spent: read now (the statement's snapshot may predate a concurrent taker).
      const daily = await db.maybeOne(sql.type(z.object({ spent: z.boolean() }))`
        SELECT executions_today >= max_executions_daily AND NOT ${newDay} AS spent
        FROM user_quotas WHERE user_id = ${e.userId}`);
      return { quotaExceeded: daily?.spent ? 'daily' : 'monthly' };
    },

    /**
     * Takes back a submission whose job could not be queued: its row and audit row go and the
     * quota it took is given back, in one statement, as if it had been refused before the
     * insert. Only while it is still queued (nothing can have started it).
     */
    async withdrawQueued(id: string, userId: string): Promise<boolean> {
      const r = await db.query(sql.unsafe`
        WITH gone AS (
          DELETE FROM executions WHERE id = ${id} AND user_id = ${userId} AND status = 'queued'
          RETURNING id, created_at
        ), unaudited AS (
          DELETE FROM audit_logs
          WHERE resource_type = 'execution' AND resource_id = ${id} AND action = 'execution_submit'
            AND EXISTS (SELECT 1 FROM gone)
        )
        UPDATE user_quotas SET
          executions_today = CASE WHEN last_reset_daily = (SELECT created_at::date FROM gone)
                                  THEN greatest(executions_today - 1, 0) ELSE executions_today END,
          executions_month = CASE WHEN date_trunc('month', last_reset_monthly)
                                       = date_trunc('month', (SELECT created_at FROM gone))
                                  THEN greatest(executions_month - 1, 0) ELSE executions_month END
        WHERE user_id = ${userId} AND EXISTS (SELECT 1 FROM gone)`);
      return r.rowCount > 0;
    },

    async markInternalError(id: string, message: string): Promise<void> {
      await db.query(sql.unsafe`
        UPDATE executions SET status = 'internal_error', message = ${message}, completed_at = now()
        WHERE id = ${id} AND status IN ('queued', 'running')`);
    },

    /** The caller's own execution; another user's answers null, like a missing one. */
    async findOwned(id: string, userId: string): Promise<ExecutionRow | null> {
      return db.maybeOne(sql.type(executionRow)`
        SELECT ${columns} FROM executions WHERE id = ${id} AND user_id = ${userId}`);
    },

    /**
     * Marks an attempt as running. Fenced: an attempt older than the recorded one, or any
     * attempt once the execution is final, changes nothing.
     */
    async markRunning(id: string, attempt: number, runnerId: string): Promise<boolean> {
      const r = await db.query(sql.unsafe`
        UPDATE executions SET status = 'running', attempt = ${attempt}, runner_id = ${runnerId},
               started_at = coalesce(started_at, now())
        WHERE id = ${id} AND status IN ('queued', 'running') AND attempt <= ${attempt}`);
      return r.rowCount > 0;
    },

    /**
     * Writes the final result once; a redelivered or older attempt's result is ignored (null).
     * Returns the row as written, so its result event carries it without another read.
     */
    async finish(id: string, attempt: number, r: FinalResult): Promise<ExecutionRow | null> {
      return db.maybeOne(sql.type(executionRow)`
        UPDATE executions SET
          status = ${r.status}, exit_code = ${r.exitCode}, signal = ${r.signal},
          execution_time_ms = ${r.wallMs}, cpu_time_ms = ${r.cpuMs}, memory_used_kb = ${r.memoryKb},
          stdout = ${sql.binary(r.stdout)}, stderr = ${sql.binary(r.stderr)},
          stdout_truncated = ${r.stdoutTruncated}, stderr_truncated = ${r.stderrTruncated},
          compile_output = ${r.compileOutput ? sql.binary(r.compileOutput) : null},
          compilation_error = ${r.status === 'compile_error' && r.compileOutput ? r.compileOutput.toString('utf8').replaceAll('\0', '') : null},
          timed_out = ${r.status === 'timeout'}, message = ${r.message},
          test_results = ${r.tests ? sql.jsonb(r.tests.map((t) => ({ ...t }))) : null},
          stdout_object_key = ${r.stdoutObject?.key ?? null}, stdout_size = ${r.stdoutObject?.size ?? null},
          stderr_object_key = ${r.stderrObject?.key ?? null}, stderr_size = ${r.stderrObject?.size ?? null},
          attempt = ${attempt}, completed_at = now()
        WHERE id = ${id} AND status IN ('queued', 'running') AND attempt <= ${attempt}
        RETURNING ${columns}`);
    },

    /** Cancels an execution no agent has started: the row as written; null once it runs or is final. */
    async cancelQueued(id: string, userId: string): Promise<ExecutionRow | null> {
      return db.maybeOne(sql.type(executionRow)`
        UPDATE executions SET status = 'cancelled', message = 'Cancelled before it started.', completed_at = now()
        WHERE id = ${id} AND user_id = ${userId} AND status = 'queued'
        RETURNING ${columns}`);
    },

    /** One page of the caller's executions, newest first, and how many match in all. */
    async listOwned(q: {
      userId: string;
      status?: string | undefined;
      language?: string | undefined;
      projectId?: string | undefined;
      limit: number;
      offset: number;
    }): Promise<{ rows: ExecutionSummaryRow[]; total: number }> {
      const where = sql.join(
        [
          sql.fragment`user_id = ${q.userId}`,
          ...(q.status ? [sql.fragment`status = ${q.status}`] : []),
          ...(q.language ? [sql.fragment`language = ${q.language}`] : []),
          ...(q.projectId ? [sql.fragment`project_id = ${q.projectId}`] : []),
        ],
        sql.fragment` AND `,
      );
      const [rows, total] = await Promise.all([
        db.any(sql.type(executionSummaryRow)`
          SELECT id, project_id, language, language_version, status, exit_code, execution_time_ms, cpu_time_ms,
                 memory_used_kb, created_at, completed_at
          FROM executions WHERE ${where}
          ORDER BY created_at DESC, id DESC LIMIT ${q.limit} OFFSET ${q.offset}`),
        db.oneFirst(
          sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM executions WHERE ${where}`,
        ),
      ]);
      return { rows: [...rows], total };
    },

    /** The indexes of the execution's tests whose output its submitter must not see. */
    async hiddenTests(id: string): Promise<number[]> {
      const rows = await db.anyFirst(sql.type(z.object({ i: z.number() }))`
        SELECT (t.ord - 1)::int AS i
        FROM executions e, jsonb_array_elements(coalesce(e.grading->'tests', '[]'::jsonb)) WITH ORDINALITY AS t(test, ord)
        WHERE e.id = ${id} AND t.test->>'hidden' = 'true'`);
      return [...rows];
    },

    async ownerOf(id: string): Promise<string | null> {
      const row = await db.maybeOne(sql.type(z.object({ user_id: z.string() }))`
        SELECT user_id FROM executions WHERE id = ${id}`);
      return row?.user_id ?? null;
    },
  };
}

export type ExecutionRepo = ReturnType<typeof createExecutionRepo>;
