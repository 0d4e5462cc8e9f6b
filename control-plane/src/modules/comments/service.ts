import { errors } from '../../errors.js';
import type { CommentListQuery } from './model.js';
import type { CommentLimits, CommentRepo, CommentRow } from './repo.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (ms: number) => new Date(ms).toISOString();

interface CommentView {
  id: string;
  parentId: string | null;
  author: { id: string; username: string } | null;
  content: string | null;
  deleted: boolean;
  createdAt: string;
  updatedAt: string;
  replies: CommentView[];
}

function view(c: CommentRow): CommentView {
  return {
    id: c.id,
    parentId: c.parent_id,
    author: c.deleted ? null : { id: c.user_id, username: c.username },
    content: c.deleted ? null : c.content,
    deleted: c.deleted,
    createdAt: iso(c.created_at),
    updatedAt: iso(c.updated_at),
    replies: [],
  };
}

export function createCommentService(deps: { repo: CommentRepo; limits: CommentLimits }) {
  const { repo } = deps;
  const check = (...ids: string[]) => {
    if (!ids.every((id) => uuidPattern.test(id))) throw errors.notFound('Comment');
  };

  return {
    /** Top-level comments of a readable project, each with its thread of replies. */
    async list(callerId: string | null, projectId: string, q: CommentListQuery) {
      check(projectId);
      if (!(await repo.projectReadable(projectId, callerId))) throw errors.notFound('Project');
      const page = q.page ?? 1;
      const limit = q.limit ?? 20;
      const { top, replies, total, truncated } = await repo.list(projectId, limit, (page - 1) * limit);
      const byId = new Map<string, CommentView>();
      const roots = top.map((c) => {
        const v = view(c);
        byId.set(c.id, v);
        return v;
      });
      for (const r of replies) {
        const v = view(r);
        byId.set(r.id, v);
        if (r.parent_id) byId.get(r.parent_id)?.replies.push(v);
      }
      return {
        comments: roots,
        // True when the page's threads held more replies than one answer carries (ask a smaller
        // `limit`: one thread always fits).
        repliesTruncated: truncated,
        pagination: { total, page, limit, pages: Math.ceil(total / limit) },
      };
    },

    async create(callerId: string, projectId: string, content: string, parentId: string | undefined) {
      check(projectId);
      if (parentId !== undefined && !uuidPattern.test(parentId)) {
        throw errors.validation('parentId must be a comment of this project.', { field: 'parentId' });
      }
      const r = await repo.insert(projectId, callerId, content, parentId ?? null);
      if (r === null) throw errors.notFound('Project');
      if (r === 'no_parent')
        throw errors.validation('parentId must be a comment of this project.', { field: 'parentId' });
      if (r === 'too_many')
        throw errors.conflict(
          'too_many_comments',
          `A project holds at most ${deps.limits.maxPerProject} comments.`,
          {
            limit: deps.limits.maxPerProject,
          },
        );
      if (r === 'too_many_replies')
        throw errors.conflict(
          'too_many_replies',
          `A comment's thread holds at most ${deps.limits.maxRepliesPerThread} replies.`,
          { limit: deps.limits.maxRepliesPerThread },
        );
      return view(r);
    },

    async update(callerId: string, projectId: string, commentId: string, content: string) {
      check(projectId, commentId);
      const r = await repo.update(projectId, commentId, callerId, content);
      if (!r) throw errors.notFound('Comment');
      return view(r);
    },

    async remove(callerId: string, projectId: string, commentId: string) {
      check(projectId, commentId);
      if (!(await repo.softDelete(projectId, commentId, callerId))) throw errors.notFound('Comment');
    },
  };
}

export type CommentService = ReturnType<typeof createCommentService>;
