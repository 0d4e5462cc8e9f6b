import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Db } from '../../infra/db.js';
import { changeStorage } from '../files/storage.js';
import type { ProjectSort, Visibility } from './model.js';

const projectRow = z.object({
  id: z.string(),
  user_id: z.string(),
  owner_username: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  language: z.string(),
  language_version: z.string().nullable(),
  visibility: z.string(),
  fork_from: z.string().nullable(),
  star_count: z.number(),
  file_count: z.number(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type ProjectRow = z.infer<typeof projectRow>;

export const fileRow = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  content: z.string().nullable(),
  size_bytes: z.coerce.number(),
  language: z.string().nullable(),
  is_main: z.boolean(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type FileRow = z.infer<typeof fileRow>;

const select = sql.fragment`
  SELECT p.id, p.user_id, u.username AS owner_username, p.name, p.description, p.language,
         p.language_version, p.visibility, p.fork_from, p.star_count,
         (SELECT count(*)::int FROM files f WHERE f.project_id = p.id) AS file_count,
         p.created_at, p.updated_at
  FROM projects p JOIN users u ON u.id = p.user_id`;

// Only these fixed fragments reach ORDER BY: never text from the request.
const orderBy: Record<ProjectSort, ReturnType<typeof sql.fragment>> = {
  updatedAt: sql.fragment`p.updated_at ASC, p.id ASC`,
  '-updatedAt': sql.fragment`p.updated_at DESC, p.id DESC`,
  createdAt: sql.fragment`p.created_at ASC, p.id ASC`,
  '-createdAt': sql.fragment`p.created_at DESC, p.id DESC`,
  name: sql.fragment`lower(p.name) ASC, p.id ASC`,
  '-name': sql.fragment`lower(p.name) DESC, p.id DESC`,
  stars: sql.fragment`p.star_count ASC, p.id ASC`,
  '-stars': sql.fragment`p.star_count DESC, p.id DESC`,
};

export interface ProjectFields {
  name: string;
  description: string | null;
  language: string;
  /** The version the project runs with, as asked (exact or a range); null: the newest. */
  languageVersion: string | null;
  visibility: Visibility;
}

export interface ListFilter {
  language?: string | undefined;
  visibility?: string | undefined;
  q?: string | undefined;
  sort: ProjectSort;
  limit: number;
  offset: number;
}

async function page(db: Db, where: ReturnType<typeof sql.fragment>, f: ListFilter) {
  const conds = [
    where,
    sql.fragment`p.deleted_at IS NULL`,
    ...(f.language ? [sql.fragment`p.language = ${f.language}`] : []),
    ...(f.visibility ? [sql.fragment`p.visibility = ${f.visibility}`] : []),
    ...(f.q ? [sql.fragment`strpos(lower(p.name), lower(${f.q})) > 0`] : []),
  ];
  const all = sql.join(conds, sql.fragment` AND `);
  const [rows, total] = await Promise.all([
    db.any(
      sql.type(
        projectRow,
      )`${select} WHERE ${all} ORDER BY ${orderBy[f.sort]} LIMIT ${f.limit} OFFSET ${f.offset}`,
    ),
    db.oneFirst(
      sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM projects p WHERE ${all}`,
    ),
  ]);
  return { rows: [...rows], total };
}

export async function filesOf(q: CommonQueryMethods, projectId: string): Promise<FileRow[]> {
  const rows = await q.any(sql.type(fileRow)`
    SELECT id, name, path, content, size_bytes::float8 AS size_bytes, language, is_main, created_at, updated_at
    FROM files WHERE project_id = ${projectId} ORDER BY path, name`);
  return [...rows];
}

/**
 * A project's files for its answer: content only while the running total of sizes (in the
 * answer's order) stays within `inlineBytes`; the rest come with null content and `omitted`
 * (read on GET .../files/{fileId}). The database never sends the omitted contents.
 */
export async function listedFiles(
  q: CommonQueryMethods,
  projectId: string,
  inlineBytes: number,
): Promise<(FileRow & { omitted: boolean })[]> {
  const rows = await q.any(sql.type(fileRow.extend({ omitted: z.boolean() }))`
    WITH f AS (
      SELECT *, sum(size_bytes) OVER (ORDER BY path, name, id) AS running FROM files WHERE project_id = ${projectId}
    )
    SELECT id, name, path, CASE WHEN running <= ${inlineBytes} THEN content END AS content,
           size_bytes::float8 AS size_bytes, language, is_main, created_at, updated_at,
           running > ${inlineBytes} AS omitted
    FROM f ORDER BY path, name, id`);
  return [...rows];
}

export function createProjectRepo(db: Db) {
  return {
    async insert(userId: string, p: ProjectFields): Promise<ProjectRow> {
      const id = await db.oneFirst(sql.type(z.object({ id: z.string() }))`
        INSERT INTO projects (user_id, name, description, language, language_version, visibility)
        VALUES (${userId}, ${p.name}, ${p.description}, ${p.language}, ${p.languageVersion}, ${p.visibility})
        RETURNING id`);
      return db.one(sql.type(projectRow)`${select} WHERE p.id = ${id}`);
    },

    /** A live project the caller may read: their own, or a public or unlisted one. */
    async findReadable(id: string, callerId: string | null): Promise<ProjectRow | null> {
      return db.maybeOne(sql.type(projectRow)`
        ${select} WHERE p.id = ${id} AND p.deleted_at IS NULL
          AND (p.visibility IN ('public', 'unlisted') OR p.user_id = ${callerId})`);
    },

    /** A live project of the caller's own. */
    async findOwned(id: string, userId: string): Promise<ProjectRow | null> {
      return db.maybeOne(sql.type(projectRow)`
        ${select} WHERE p.id = ${id} AND p.user_id = ${userId} AND p.deleted_at IS NULL`);
    },

    files: (projectId: string) => filesOf(db, projectId),

    listedFiles: (projectId: string, inlineBytes: number) => listedFiles(db, projectId, inlineBytes),

    /** The bytes of a project's files, before any of them is read. */
    filesBytes: (projectId: string) =>
      db.oneFirst(sql.type(z.object({ n: z.coerce.number() }))`
        SELECT coalesce(sum(size_bytes), 0)::float8 AS n FROM files WHERE project_id = ${projectId}`),

    listOwned: (userId: string, f: ListFilter) => page(db, sql.fragment`p.user_id = ${userId}`, f),

    listPublic: (f: ListFilter) =>
      page(db, sql.fragment`p.visibility = 'public'`, { ...f, visibility: undefined }),

    /** Sets the given fields of the caller's live project; null when there is none. */
    async update(id: string, userId: string, fields: Partial<ProjectFields>): Promise<ProjectRow | null> {
      const sets = Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => {
          switch (k) {
            case 'name':
              return sql.fragment`name = ${v as string}`;
            case 'description':
              return sql.fragment`description = ${v as string | null}`;
            case 'language':
              return sql.fragment`language = ${v as string}`;
            case 'languageVersion':
              return sql.fragment`language_version = ${v as string | null}`;
            case 'visibility':
              return sql.fragment`visibility = ${v as string}`;
            default:
              throw new Error(`not an updatable field: ${k}`);
          }
        });
      // An empty PATCH still has to find the project (404) and answers it unchanged.
      const set = sets.length > 0 ? sql.join(sets, sql.fragment`, `) : sql.fragment`name = name`;
      const updated = await db.maybeOne(sql.type(z.object({ id: z.string() }))`
        UPDATE projects SET ${set} WHERE id = ${id} AND user_id = ${userId} AND deleted_at IS NULL
        RETURNING id`);
      if (!updated) return null;
      return db.one(sql.type(projectRow)`${select} WHERE p.id = ${id}`);
    },

    /** Soft-deletes the caller's project and gives its files' bytes back to their quota. */
    async softDelete(id: string, userId: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        const gone = await tx.maybeOne(sql.type(z.object({ id: z.string() }))`
          UPDATE projects SET deleted_at = now()
          WHERE id = ${id} AND user_id = ${userId} AND deleted_at IS NULL RETURNING id`);
        // Its bytes stay charged until purgeDeleted removes its files.
        return gone !== null;
      });
    },

    /**
     * Removes up to `limit` projects deleted more than `retentionMs` ago (files, comments and
     * stars cascade) and gives their files' bytes back to their owners. Returns how many went.
     */
    async purgeDeleted(retentionMs: number, limit: number): Promise<number> {
      return db.transaction(async (tx) => {
        const gone = await tx.any(sql.type(z.object({ user_id: z.string(), bytes: z.coerce.number() }))`
          WITH doomed AS (
            SELECT id, user_id FROM projects
            WHERE deleted_at IS NOT NULL AND deleted_at < now() - make_interval(secs => ${retentionMs / 1000})
            ORDER BY deleted_at LIMIT ${limit} FOR UPDATE SKIP LOCKED
          ), sized AS (
            SELECT d.id, d.user_id,
                   (SELECT coalesce(sum(f.size_bytes), 0) FROM files f WHERE f.project_id = d.id)::float8 AS bytes
            FROM doomed d
          ), deleted AS (
            DELETE FROM projects p USING sized s WHERE p.id = s.id RETURNING p.id
          )
          SELECT s.user_id, s.bytes FROM sized s JOIN deleted d ON d.id = s.id`);
        for (const g of gone) if (g.bytes > 0) await changeStorage(tx, g.user_id, -g.bytes);
        return gone.length;
      });
    },

    /**
     * Copies a readable project and its files into a new private project of the caller,
     * charging the files' bytes to the caller's storage quota. Null when not readable;
     * 'storage' when the quota cannot take the copy.
     */
    async fork(id: string, callerId: string): Promise<ProjectRow | null | 'storage'> {
      const newId = await db.transaction(async (tx) => {
        const src = await tx.maybeOne(sql.type(z.object({ id: z.string(), bytes: z.coerce.number() }))`
          SELECT p.id, (SELECT coalesce(sum(size_bytes), 0)::float8 FROM files f WHERE f.project_id = p.id) AS bytes
          FROM projects p WHERE p.id = ${id} AND p.deleted_at IS NULL
            AND (p.visibility IN ('public', 'unlisted') OR p.user_id = ${callerId})`);
        if (!src) return null;
        if (!(await changeStorage(tx, callerId, Number(src.bytes)))) return 'storage' as const;
        const created = await tx.oneFirst(sql.type(z.object({ id: z.string() }))`
          INSERT INTO projects (user_id, name, description, language, language_version, visibility, fork_from)
          SELECT ${callerId}, name, description, language, language_version, 'private', id FROM projects WHERE id = ${id}
          RETURNING id`);
        await tx.query(sql.unsafe`
          INSERT INTO files (project_id, name, path, content, size_bytes, language, is_main)
          SELECT ${created}, name, path, content, size_bytes, language, is_main FROM files WHERE project_id = ${id}`);
        return created;
      });
      if (newId === null || newId === 'storage') return newId;
      return db.one(sql.type(projectRow)`${select} WHERE p.id = ${newId}`);
    },

    /**
     * Stars a readable project once per user. The insert and the count change are one
     * statement: the UPDATE adds exactly the rows the insert made, under the project row's
     * lock, so concurrent stars never lose an increment. Null when not readable.
     */
    async star(id: string, callerId: string): Promise<number | null> {
      return db.maybeOneFirst(sql.type(z.object({ star_count: z.number() }))`
        WITH target AS (
          SELECT id FROM projects WHERE id = ${id} AND deleted_at IS NULL
            AND (visibility IN ('public', 'unlisted') OR user_id = ${callerId})
        ), added AS (
          INSERT INTO project_stars (user_id, project_id) SELECT ${callerId}, id FROM target
          ON CONFLICT (user_id, project_id) DO NOTHING RETURNING project_id
        )
        UPDATE projects SET star_count = star_count + (SELECT count(*) FROM added)
        WHERE id = (SELECT id FROM target)
        RETURNING star_count`);
    },

    async unstar(id: string, callerId: string): Promise<number | null> {
      return db.maybeOneFirst(sql.type(z.object({ star_count: z.number() }))`
        WITH target AS (
          SELECT id FROM projects WHERE id = ${id} AND deleted_at IS NULL
            AND (visibility IN ('public', 'unlisted') OR user_id = ${callerId})
        ), removed AS (
          DELETE FROM project_stars WHERE user_id = ${callerId} AND project_id = (SELECT id FROM target)
          RETURNING project_id
        )
        UPDATE projects SET star_count = star_count - (SELECT count(*) FROM removed)
        WHERE id = (SELECT id FROM target)
        RETURNING star_count`);
    },

    async hasStarred(id: string, callerId: string): Promise<boolean> {
      return db.exists(
        sql.unsafe`SELECT 1 FROM project_stars WHERE project_id = ${id} AND user_id = ${callerId}`,
      );
    },
  };
}

export type ProjectRepo = ReturnType<typeof createProjectRepo>;
