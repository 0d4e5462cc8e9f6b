import { Elysia } from 'elysia';
import { authenticate, optionalCaller } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { fileCreateBody, fileParams, fileUpdateBody } from './model.js';
import type { FileService } from './service.js';
import { t } from 'elysia';

export function fileRoutes(files: FileService, tokens: TokenService) {
  return new Elysia({ prefix: '/projects/:projectId/files' })
    .get(
      '/:fileId',
      async ({ params, headers }) => {
        const caller = await optionalCaller(headers, tokens);
        return {
          success: true,
          data: await files.get(caller?.userId ?? null, params.projectId, params.fileId),
        };
      },
      { params: fileParams },
    )
    .post(
      '',
      async ({ params, body, headers, set }) => {
        const caller = await authenticate(headers, tokens);
        const data = await files.create(caller.userId, params.projectId, body);
        set.status = 201;
        return { success: true, data };
      },
      { params: t.Object({ projectId: t.String({ maxLength: 64 }) }), body: fileCreateBody },
    )
    .put(
      '/:fileId',
      async ({ params, body, headers }) => {
        const caller = await authenticate(headers, tokens);
        return {
          success: true,
          data: await files.update(caller.userId, params.projectId, params.fileId, body),
        };
      },
      { params: fileParams, body: fileUpdateBody },
    )
    .delete(
      '/:fileId',
      async ({ params, headers }) => {
        const caller = await authenticate(headers, tokens);
        await files.delete(caller.userId, params.projectId, params.fileId);
        return { success: true, message: 'File deleted' };
      },
      { params: fileParams },
    );
}
