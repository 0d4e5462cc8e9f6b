import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from '../../infra/db.js';

const commentRow = z.object({
  id: z.string(),
  project_id: z.string(),
  user_id: z.string(),
  username: z.string(),
  parent_id: z.string().nullable(),
  content: z.string(),
  deleted: z.boolean(),
  created_at: z.number(),
  updated_at: z.number(),
});
export type CommentRow = z.infer<typeof commentRow>;

const select = sql.fragment`
  SELECT c.id, c.project_id, c.user_id, u.username, c.parent_id, c.content,
         c.deleted_at IS NOT NULL AS deleted, c.created_at, c.updated_at
  FROM comments c JOIN users u ON u.id = c.user_id`;

/** Comments live on projects the caller may read; every query checks that in SQL. */
const readable = (projectId: string, callerId: string | null) => sql.fragment`
  EXISTS (SELECT 1 FROM projects p WHERE p.id = ${projectId} AND p.deleted_at IS NULL
          AND (p.visibility IN ('public', 'unlisted') OR p.user_id = ${callerId}))`;

export interface CommentLimits {
  /** Comments (top-level and replies, deleted ones included) one project holds. */
  maxPerProject: number;
  /** Replies, at any depth, under one top-level comment. */
  maxRepliesPerThread: number;
  /** Replies one page of the list carries in all (oldest first); past it the page is cut. */
  maxListedReplies: number;
}

export function createCommentRepo(db: Db, limits: CommentLimits) {
  return {
    async projectReadable(projectId: string, callerId: string | null): Promise<boolean> {
      return db.exists(sql.unsafe`SELECT 1 WHERE ${readable(projectId, callerId)}`);
    },

    /**
     * One page of top-level comments, oldest first, with their replies (at most
     * maxListedReplies in all, `truncated` when there were more). A deleted comment
     * keeps its place (its replies still make sense) but not its text.
     */
    async list(projectId: string, limit: number, offset: number) {
      const top = await db.any(sql.type(commentRow)`
        ${select} WHERE c.project_id = ${projectId} AND c.parent_id IS NULL
        ORDER BY c.created_at, c.id LIMIT ${limit} OFFSET ${offset}`);
      const total = await db.oneFirst(sql.type(z.object({ n: z.number() }))`
        SELECT count(*)::int AS n FROM comments WHERE project_id = ${projectId} AND parent_id IS NULL`);
      const ids = top.map((c) => c.id);
      const replies =
        ids.length === 0
          ? []
          : await db.any(sql.type(commentRow)`
              WITH RECURSIVE thread AS (
                SELECT id FROM comments WHERE parent_id = ANY(${sql.array(ids, 'uuid')})
                UNION ALL
                SELECT c.id FROM comments c JOIN thread t ON c.parent_id = t.id
              )
              ${select} WHERE c.id IN (SELECT id FROM thread) ORDER BY c.created_at, c.id
              LIMIT ${limits.maxListedReplies + 1}`);
      // Oldest first, so every reply kept has its parent kept (a reply is younger than its parent).
      const truncated = replies.length > limits.maxListedReplies;
      return { top: [...top], replies: replies.slice(0, limits.maxListedReplies), total, truncated };
    },

    /** Adds a comment (or a reply to a comment of the same project); null when not allowed. */
    async insert(
      projectId: string,
      callerId: string,
      content: string,
      parentId: string | null,
    ): Promise<CommentRow | 'no_parent' | 'too_many' | 'too_many_replies' | null> {
      return db.transaction(async (tx) => {
        // The project row's lock makes the counts below hold under concurrent posts.
        const project = await tx.maybeOne(sql.type(z.object({ id: z.string() }))`
          SELECT p.id FROM projects p WHERE p.id = ${projectId} AND p.deleted_at IS NULL
            AND (p.visibility IN ('public', 'unlisted') OR p.user_id = ${callerId})
          FOR UPDATE`);
        if (!project) return null;
        if (parentId !== null) {
          const parent = await tx.exists(sql.unsafe`
            SELECT 1 FROM comments WHERE id = ${parentId} AND project_id = ${projectId} AND deleted_at IS NULL`);
          if (!parent) return 'no_parent' as const;
        }
        const count = await tx.oneFirst(sql.type(z.object({ n: z.number() }))`
          SELECT count(*)::int AS n FROM comments WHERE project_id = ${projectId}`);
        if (count >= limits.maxPerProject) return 'too_many' as const;
        if (parentId !== null) {
          const replies = await tx.oneFirst(sql.type(z.object({ n: z.number() }))`
            WITH RECURSIVE up AS (
              SELECT id, parent_id FROM comments WHERE id = ${parentId}
              UNION ALL
              SELECT c.id, c.parent_id FROM comments c JOIN up ON c.id = up.parent_id
            ), thread AS (
              SELECT id FROM comments WHERE parent_id = (SELECT id FROM up WHERE parent_id IS NULL)
              UNION ALL
              SELECT c.id FROM comments c JOIN thread t ON c.parent_id = t.id
            )
            SELECT count(*)::int AS n FROM thread`);
          if (replies >= limits.maxRepliesPerThread) return 'too_many_replies' as const;
        }
        const id = await tx.oneFirst(sql.type(z.object({ id: z.string() }))`
          INSERT INTO comments (project_id, user_id, parent_id, content)
          VALUES (${projectId}, ${callerId}, ${parentId}, ${content}) RETURNING id`);
        return tx.one(sql.type(commentRow)`${select} WHERE c.id = ${id}`);
      });
    },

    /** Edits the caller's own live comment on a readable project; null otherwise. */
    async update(projectId: string, commentId: string, callerId: string, content: string) {
      const id = await db.maybeOneFirst(sql.type(z.object({ id: z.string() }))`
        UPDATE comments SET content = ${content}
        WHERE id = ${commentId} AND project_id = ${projectId} AND user_id = ${callerId}
          AND deleted_at IS NULL AND ${readable(projectId, callerId)}
        RETURNING id`);
      return id ? db.one(sql.type(commentRow)`${select} WHERE c.id = ${id}`) : null;
    },

    async softDelete(projectId: string, commentId: string, callerId: string): Promise<boolean> {
      const r = await db.query(sql.unsafe`
        UPDATE comments SET deleted_at = now()
        WHERE id = ${commentId} AND project_id = ${projectId} AND user_id = ${callerId}
          AND deleted_at IS NULL AND ${readable(projectId, callerId)}`);
      return r.rowCount > 0;
    },
  };
}

export type CommentRepo = ReturnType<typeof createCommentRepo>;
