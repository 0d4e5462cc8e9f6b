import { Readable } from 'node:stream';
import { Elysia, t } from 'elysia';
import { errors } from '../../errors.js';
import { authenticate } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { answers, data } from '../../http/answers.js';
import { artifactsAnswer } from '../executions/model.js';
import type { ArtifactRow } from './repo.js';
import type { ArtifactService } from './service.js';

export { createArtifactRepo, type ArtifactRepo } from './repo.js';
export {
  createArtifactService,
  type ArtifactLimits,
  type ArtifactService,
  type ArtifactsView,
} from './service.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const params = t.Object({ executionId: t.String({ maxLength: 64 }) });
const signedQuery = t.Object({
  expires: t.String({ pattern: '^[0-9]{1,12}$' }),
  signature: t.String({ maxLength: 64 }),
});
const fileParams = t.Object({
  executionId: t.String({ maxLength: 64 }),
  artifactId: t.String({ maxLength: 64 }),
});

/** An artifact's bytes, of the media type it was stored with. */
const download = { '*/*': { schema: t.String({ format: 'binary' }) } };

/** `filename` of Content-Disposition: the last segment, ASCII-safe, with the exact name in `filename*`. */
function disposition(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const ascii = base.replace(/[^A-Za-z0-9._-]/g, '_') || 'artifact';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

/**
 * `GET /execute/{id}/artifacts` (the list, as in the result) and
 * `GET /execute/{id}/artifacts/{artifactId}` (the bytes): the owner's only, others get 404.
 */
export function artifactRoutes(
  artifacts: ArtifactService,
  ownerOf: (executionId: string) => Promise<string | null>,
  tokens: TokenService,
) {
  const owned = async (userId: string, raw: string) => {
    const id = raw.toLowerCase();
    if (!uuid.test(id) || (await ownerOf(id)) !== userId) throw errors.notFound('Execution');
    return id;
  };
  const send = ({ row, body }: { row: ArtifactRow; body: Readable }) =>
    new Response(Readable.toWeb(body) as ReadableStream, {
      headers: {
        'content-type': row.content_type,
        'content-length': String(row.size_bytes),
        'content-disposition': disposition(row.name),
        'cache-control': 'private, no-store',
        etag: `"${row.sha256}"`,
      },
    });
  return new Elysia()
    .get(
      '/artifacts/:artifactId',
      async ({ params: p, query }) => {
        const id = p.artifactId.toLowerCase();
        if (!uuid.test(id)) throw errors.notFound('Artifact');
        return send(await artifacts.downloadSigned(id, Number(query.expires), query.signature));
      },
      {
        params: t.Object({ artifactId: t.String({ maxLength: 64 }) }),
        query: signedQuery,
        detail: answers({ 200: download }),
      },
    )
    .derive(async ({ headers }) => ({ caller: await authenticate(headers, tokens) }))
    .get(
      '/execute/:executionId/artifacts',
      async ({ params: p, caller }) => {
        const id = await owned(caller.userId, p.executionId);
        return { success: true, data: { executionId: id, artifacts: await artifacts.list(id) } };
      },
      {
        params,
        detail: answers({
          200: data(
            t.Object({
              executionId: t.String({ format: 'uuid' }),
              artifacts: t.Union([artifactsAnswer, t.Null()]),
            }),
          ),
        }),
      },
    )
    .get(
      '/execute/:executionId/artifacts/:artifactId',
      async ({ params: p, caller }) => {
        const id = await owned(caller.userId, p.executionId);
        const artifactId = p.artifactId.toLowerCase();
        if (!uuid.test(artifactId)) throw errors.notFound('Artifact');
        return send(await artifacts.download(caller.userId, id, artifactId));
      },
      { params: fileParams, detail: answers({ 200: download }) },
    );
}
