import { Elysia, t } from 'elysia';
import { authenticate, optionalCaller } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { answers, data, done } from '../../http/answers.js';
import {
  commentAnswer,
  commentCreateBody,
  commentListAnswer,
  commentListQuery,
  commentParams,
  commentUpdateBody,
} from './model.js';
import type { CommentService } from './service.js';

const projectParams = t.Object({ projectId: t.String({ maxLength: 64 }) });

export function commentRoutes(comments: CommentService, tokens: TokenService) {
  return new Elysia({ prefix: '/projects/:projectId/comments' })
    .get(
      '',
      async ({ params, query, headers }) => {
        const caller = await optionalCaller(headers, tokens);
        return { success: true, data: await comments.list(caller?.userId ?? null, params.projectId, query) };
      },
      { params: projectParams, query: commentListQuery, detail: answers({ 200: data(commentListAnswer) }) },
    )
    .post(
      '',
      async ({ params, body, headers, set }) => {
        const caller = await authenticate(headers, tokens);
        const data = await comments.create(caller.userId, params.projectId, body.content, body.parentId);
        set.status = 201;
        return { success: true, data };
      },
      { params: projectParams, body: commentCreateBody, detail: answers({ 201: data(commentAnswer) }) },
    )
    .patch(
      '/:commentId',
      async ({ params, body, headers }) => {
        const caller = await authenticate(headers, tokens);
        return {
          success: true,
          data: await comments.update(caller.userId, params.projectId, params.commentId, body.content),
        };
      },
      { params: commentParams, body: commentUpdateBody, detail: answers({ 200: data(commentAnswer) }) },
    )
    .delete(
      '/:commentId',
      async ({ params, headers }) => {
        const caller = await authenticate(headers, tokens);
        await comments.remove(caller.userId, params.projectId, params.commentId);
        return { success: true, message: 'Comment deleted' };
      },
      { params: commentParams, detail: answers({ 200: done }) },
    );
}
