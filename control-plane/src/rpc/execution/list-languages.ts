import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import type { LanguageManifest } from '@muscode/common';
import {
  ListLanguagesResponseSchema,
  type ListLanguagesRequest,
  type ListLanguagesResponse,
} from '@muscode/proto/execution/v1';
import type { RunnerRegistry } from '../../modules/runners/registry.js';
import type { RpcAuth } from './auth.js';

/** The manifest's languages; a version and `available` when a live agent has the image. */
export function listLanguages(deps: { auth: RpcAuth; manifest: LanguageManifest; runners: RunnerRegistry }) {
  return async (_req: ListLanguagesRequest, ctx: HandlerContext): Promise<ListLanguagesResponse> => {
    await deps.auth(ctx, 'read');
    const versions = new Map<string, string>();
    for (const r of await deps.runners.live()) {
      for (const l of r.languages) versions.set(l.languageId, l.version);
    }
    return create(ListLanguagesResponseSchema, {
      languages: deps.manifest.languages.map((l) => ({
        id: l.id,
        name: l.name,
        version: versions.get(l.id) ?? '',
        aliases: l.aliases,
        extensions: [l.extension],
        mainFile: l.mainFile,
        compiled: l.compile !== null,
        available: versions.has(l.id),
      })),
    });
  };
}
