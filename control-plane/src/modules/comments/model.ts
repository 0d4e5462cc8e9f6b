import { t } from 'elysia';
import { int } from '../../http/answers.js';

const content = t.String({ minLength: 1, maxLength: 5000 });

export const commentCreateBody = t.Object(
  { content, parentId: t.Optional(t.String({ maxLength: 64 })) },
  { additionalProperties: false },
);
export type CommentCreateBody = typeof commentCreateBody.static;

export const commentUpdateBody = t.Object({ content }, { additionalProperties: false });

export const commentListQuery = t.Object({
  page: t.Optional(t.Integer({ minimum: 1, maximum: 100000 })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100 })),
});
export type CommentListQuery = typeof commentListQuery.static;

export const commentParams = t.Object({
  projectId: t.String({ maxLength: 64 }),
  commentId: t.String({ maxLength: 64 }),
});

/* ---------------------------------------------------------------- answers (the document's only) */

/** A comment with its thread of replies, each a comment with its own (service.ts `view`). */
export const commentAnswer = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    parentId: t.Union([t.String({ format: 'uuid' }), t.Null()]),
    /** Null once the comment is deleted (a deleted comment with replies stays, empty). */
    author: t.Union([t.Object({ id: t.String({ format: 'uuid' }), username: t.String() }), t.Null()]),
    content: t.Union([t.String(), t.Null()]),
    deleted: t.Boolean(),
    createdAt: t.String({ format: 'date-time' }),
    updatedAt: t.String({ format: 'date-time' }),
    replies: t.Array(t.Unsafe({ $ref: '#/components/schemas/Comment' })),
  },
  { $id: 'Comment' },
);

export const commentListAnswer = t.Object({
  comments: t.Array(commentAnswer),
  /** The page's threads held more replies than one answer carries (ask a smaller `limit`). */
  repliesTruncated: t.Boolean(),
  pagination: t.Object({ total: int(), page: int(), limit: int(), pages: int() }),
});
