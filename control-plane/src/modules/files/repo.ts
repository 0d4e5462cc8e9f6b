import { sql, UniqueIntegrityConstraintViolationError, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Db } from '../../infra/db.js';
import { fileRow, type FileRow } from '../projects/repo.js';
import { changeStorage } from './storage.js';

const columns = sql.fragment`id, name, path, content, size_bytes::float8 AS size_bytes, language, is_main, created_at, updated_at`;

export type FileWriteError = 'not_found' | 'exists' | 'too_many' | 'storage' | 'precondition';

/** Thrown inside a transaction to roll it back, caught outside it. */
class Rollback extends Error {
  constructor(readonly reason: FileWriteError) {
    super(reason);
  }
}

async function lockOwnedProject(tx: CommonQueryMethods, projectId: string, userId: string) {
  const found = await tx.maybeOne(sql.type(z.object({ id: z.string() }))`
    SELECT id FROM projects WHERE id = ${projectId} AND user_id = ${userId} AND deleted_at IS NULL
    FOR UPDATE`);
  if (!found) throw new Rollback('not_found');
}

async function touchProject(tx: CommonQueryMethods, projectId: string) {
  await tx.query(sql.unsafe`UPDATE projects SET updated_at = now() WHERE id = ${projectId}`);
}

async function guarded<T>(work: () => Promise<T>): Promise<T | FileWriteError> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof Rollback) return err.reason;
    if (err instanceof UniqueIntegrityConstraintViolationError) return 'exists';
    throw err;
  }
}

export interface FileFields {
  name: string;
  path: string;
  content: string;
  sizeBytes: number;
  language: string | null;
  isMain: boolean;
}

export function createFileRepo(db: Db, limits: { maxFilesPerProject: number }) {
  return {
    /**
     * Adds a file to the caller's project. The project row is locked, so the count check and
     * the storage charge hold under concurrent writes; any failure rolls everything back.
     */
    async create(projectId: string, userId: string, f: FileFields): Promise<FileRow | FileWriteError> {
      return guarded(() =>
        db.transaction(async (tx) => {
          await lockOwnedProject(tx, projectId, userId);
          const count = await tx.oneFirst(sql.type(z.object({ n: z.number() }))`
            SELECT count(*)::int AS n FROM files WHERE project_id = ${projectId}`);
          if (count >= limits.maxFilesPerProject) throw new Rollback('too_many');
          if (f.isMain)
            await tx.query(sql.unsafe`UPDATE files SET is_main = false WHERE project_id = ${projectId}`);
          const row = await tx.one(sql.type(fileRow)`
            INSERT INTO files (project_id, name, path, content, size_bytes, language, is_main)
            VALUES (${projectId}, ${f.name}, ${f.path}, ${f.content}, ${f.sizeBytes}, ${f.language}, ${f.isMain})
            RETURNING ${columns}`);
          if (!(await changeStorage(tx, userId, f.sizeBytes))) throw new Rollback('storage');
          await touchProject(tx, projectId);
          return row;
        }),
      );
    },

    /** A file of a project the caller may read (their own, public or unlisted). */
    async findReadable(projectId: string, fileId: string, callerId: string | null): Promise<FileRow | null> {
      return db.maybeOne(sql.type(fileRow)`
        SELECT f.id, f.name, f.path, f.content, f.size_bytes::float8 AS size_bytes, f.language, f.is_main, f.created_at, f.updated_at
        FROM files f JOIN projects p ON p.id = f.project_id
        WHERE f.id = ${fileId} AND p.id = ${projectId} AND p.deleted_at IS NULL
          AND (p.visibility IN ('public', 'unlisted') OR p.user_id = ${callerId})`);
    },

    async update(
      projectId: string,
      fileId: string,
      userId: string,
      change: (old: FileRow) => FileFields | 'precondition',
    ): Promise<FileRow | FileWriteError> {
      return guarded(() =>
        db.transaction(async (tx) => {
          await lockOwnedProject(tx, projectId, userId);
          const old = await tx.maybeOne(sql.type(fileRow)`
            SELECT ${columns} FROM files WHERE id = ${fileId} AND project_id = ${projectId} FOR UPDATE`);
          if (!old) throw new Rollback('not_found');
          // Under the row lock: a concurrent writer's If-Match sees this write or waits for it.
          const f = change(old);
          if (f === 'precondition') throw new Rollback('precondition');
          if (f.isMain && !old.is_main) {
            await tx.query(sql.unsafe`UPDATE files SET is_main = false WHERE project_id = ${projectId}`);
          }
          const row = await tx.one(sql.type(fileRow)`
            UPDATE files SET name = ${f.name}, path = ${f.path}, content = ${f.content},
                   size_bytes = ${f.sizeBytes}, language = ${f.language}, is_main = ${f.isMain}
            WHERE id = ${fileId} RETURNING ${columns}`);
          if (!(await changeStorage(tx, userId, f.sizeBytes - old.size_bytes))) throw new Rollback('storage');
          await touchProject(tx, projectId);
          return row;
        }),
      );
    },

    async delete(projectId: string, fileId: string, userId: string): Promise<true | FileWriteError> {
      return guarded(() =>
        db.transaction(async (tx) => {
          await lockOwnedProject(tx, projectId, userId);
          const gone = await tx.maybeOne(sql.type(z.object({ size_bytes: z.coerce.number() }))`
            DELETE FROM files WHERE id = ${fileId} AND project_id = ${projectId} RETURNING size_bytes::float8 AS size_bytes`);
          if (!gone) throw new Rollback('not_found');
          await changeStorage(tx, userId, -gone.size_bytes);
          await touchProject(tx, projectId);
          return true as const;
        }),
      );
    },
  };
}

export type FileRepo = ReturnType<typeof createFileRepo>;
