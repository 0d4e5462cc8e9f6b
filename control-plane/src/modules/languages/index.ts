import { Elysia } from 'elysia';
import { languageLimits, type LanguageManifest, type LimitRange, type Limits } from '@muscode/common';
import type { RunnerRegistry } from '../runners/registry.js';

/** The request-settable limits a client needs to know: default and maximum of each. */
function publicLimits(l: Limits) {
  const pick = (r: LimitRange) => ({ default: r.default, max: r.max });
  return {
    timeoutSeconds: pick(l.timeoutSeconds),
    compileTimeoutSeconds: pick(l.compileTimeoutSeconds),
    memoryMb: pick(l.memoryMb),
  };
}

/**
 * `GET /languages`: the manifest, with each language's version as read from its image at build
 * time, and `available` when a live runner agent has that image.
 */
export function languageRoutes(manifest: LanguageManifest, runners: RunnerRegistry) {
  return new Elysia().get('/languages', async () => {
    const versions = new Map<string, string>();
    for (const r of await runners.live()) {
      for (const l of r.languages) versions.set(l.languageId, l.version);
    }
    return {
      success: true,
      data: manifest.languages.map((l) => ({
        id: l.id,
        name: l.name,
        version: versions.get(l.id) ?? null,
        aliases: l.aliases,
        extensions: [l.extension],
        mainFile: l.mainFile,
        compiled: l.compile !== null,
        available: versions.has(l.id),
        limits: publicLimits(languageLimits(manifest, l)),
      })),
    };
  });
}
