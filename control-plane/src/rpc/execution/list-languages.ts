import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { rankedVersionChoices, resolveVersion, type LanguageManifest } from '@muscode/common';
import {
  ListLanguagesResponseSchema,
  type ListLanguagesRequest,
  type ListLanguagesResponse,
} from '@muscode/proto/execution/v1';
import type { RunnerRegistry } from '../../modules/runners/registry.js';
import type { RpcAuth } from './auth.js';

/** The manifest's languages with every version, as GET /languages lists them. */
export function listLanguages(deps: { auth: RpcAuth; manifest: LanguageManifest; runners: RunnerRegistry }) {
  return async (_req: ListLanguagesRequest, ctx: HandlerContext): Promise<ListLanguagesResponse> => {
    await deps.auth(ctx, 'read');
    const live = await deps.runners.liveVersions();
    return create(ListLanguagesResponseSchema, {
      languages: deps.manifest.languages.map((l) => {
        const newest = resolveVersion(l, undefined, live);
        const chosen = newest.ok ? newest.choice : undefined;
        return {
          id: l.id,
          name: l.name,
          version: chosen?.available ? chosen.version : '',
          aliases: l.aliases,
          extensions: [l.extension],
          mainFile: l.mainFile,
          compiled: (chosen?.entry ?? l).compile !== null,
          available: chosen?.available ?? false,
          versions: rankedVersionChoices(l, live).map((c) => ({
            version: c.version,
            series: c.entry.series,
            available: c.available,
          })),
        };
      }),
    });
  };
}
