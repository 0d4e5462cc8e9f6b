import { Elysia } from 'elysia';
import { authenticate, optionalCaller } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { answers, data, done } from '../../http/answers.js';
import { fileAnswer, fileCreateBody, fileParams, fileUpdateBody } from './model.js';
import { fileEtag, type FileService } from './service.js';
import { t } from 'elysia';

export function fileRoutes(files: FileService, tokens: TokenService) {
  return new Elysia({ prefix: '/projects/:projectId/files' })
    .get(
      '/:fileId',
      async ({ params, headers, set }) => {
        const caller = await optionalCaller(headers, tokens);
        const data = await files.get(caller?.userId ?? null, params.projectId, params.fileId);
        set.headers['etag'] = fileEtag(data);
        return { success: true, data };
      },
      { params: fileParams, detail: answers({ 200: data(fileAnswer) }) },
    )
    .post(
      '',
      async ({ params, body, headers, set }) => {
        const caller = await authenticate(headers, tokens);
        const data = await files.create(caller.userId, params.projectId, body);
        set.status = 201;
        set.headers['etag'] = fileEtag(data);
        return { success: true, data };
      },
      {
        params: t.Object({ projectId: t.String({ maxLength: 64 }) }),
        body: fileCreateBody,
        detail: answers({ 201: data(fileAnswer) }),
      },
    )
    .put(
      '/:fileId',
      async ({ params, body, headers, set }) => {
        const caller = await authenticate(headers, tokens);
        const data = await files.update(
          caller.userId,
          params.projectId,
          params.fileId,
          body,
          headers['if-match'],
        );
        set.headers['etag'] = fileEtag(data);
        return { success: true, data };
      },
      { params: fileParams, body: fileUpdateBody, detail: answers({ 200: data(fileAnswer) }) },
    )
    .delete(
      '/:fileId',
      async ({ params, headers }) => {
        const caller = await authenticate(headers, tokens);
        await files.delete(caller.userId, params.projectId, params.fileId);
        return { success: true, message: 'File deleted' };
      },
      { params: fileParams, detail: answers({ 200: done }) },
    );
}
