import { t } from 'elysia';

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
