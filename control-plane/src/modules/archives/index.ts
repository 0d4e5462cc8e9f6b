import { Readable } from 'node:stream';
import { Elysia, t } from 'elysia';
import { errors } from '../../errors.js';
import { authenticate, optionalCaller } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { answers, bytes, data } from '../../http/answers.js';
import { projectDetailAnswer, projectParams } from '../projects/model.js';
import type { ArchiveService } from './service.js';

export { createArchiveRepo } from './repo.js';
export { createArchiveService, type ArchiveService } from './service.js';
export type { ArchiveLimits } from './zip.js';

/** The body of `POST /projects/import`: raw zip bytes (app.ts reads them, bounded). */
export const archiveMediaType = 'application/zip';
export const importPath = '/api/v1/projects/import';

const importQuery = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 200 }),
    language: t.String({ minLength: 1, maxLength: 50 }),
    visibility: t.Optional(t.Union([t.Literal('private'), t.Literal('public'), t.Literal('unlisted')])),
  },
  { additionalProperties: false },
);

export function archiveRoutes(archives: ArchiveService, tokens: TokenService) {
  return new Elysia({ prefix: '/projects' })
    .get(
      '/:projectId/archive',
      async ({ params, headers }) => {
        const caller = await optionalCaller(headers, tokens);
        const { stream, fileName } = await archives.exportZip(caller?.userId ?? null, params.projectId);
        return new Response(Readable.toWeb(stream) as ReadableStream, {
          headers: {
            'content-type': archiveMediaType,
            'content-disposition': `attachment; filename="${fileName}"`,
          },
        });
      },
      { params: projectParams, detail: answers({ 200: bytes(archiveMediaType) }) },
    )
    .post(
      '/import',
      async ({ headers, body, query, set }) => {
        const caller = await authenticate(headers, tokens);
        if (!Buffer.isBuffer(body) || body.length === 0) {
          throw errors.validation('Send the zip archive as the request body.', { field: '(body)' });
        }
        set.status = 201;
        return { success: true, data: await archives.importZip(caller.userId, body, query) };
      },
      { query: importQuery, detail: answers({ 201: data(projectDetailAnswer) }) },
    );
}
