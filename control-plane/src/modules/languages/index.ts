import { Elysia, t } from 'elysia';
import {
  languageLimits,
  resolveVersion,
  rankedVersionChoices,
  type LanguageManifest,
  type LimitRange,
  type Limits,
} from '@muscode/common';
import { answers, data } from '../../http/answers.js';
import type { RunnerRegistry } from '../runners/registry.js';
import { languageAnswer } from './model.js';

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
 * `GET /languages`: the manifest's languages, each with every version (newest first): the exact
 * version as read from its image at build time when a live runner agent has that image
 * (`available`), else its release series. `version` is what a request without one gets.
 */
export function languageRoutes(manifest: LanguageManifest, runners: RunnerRegistry) {
  return new Elysia().get(
    '/languages',
    async () => {
      const live = await runners.liveVersions();
      return {
        success: true,
        data: manifest.languages.map((l) => {
          const newest = resolveVersion(l, undefined, live);
          const chosen = newest.ok ? newest.choice : undefined;
          const entry = chosen?.entry ?? l;
          return {
            id: l.id,
            name: l.name,
            version: chosen?.available ? chosen.version : null,
            versions: rankedVersionChoices(l, live).map((c) => ({
              version: c.version,
              series: c.entry.series,
              available: c.available,
              limits: publicLimits(languageLimits(manifest, c.entry)),
            })),
            aliases: l.aliases,
            extensions: [l.extension],
            mainFile: l.mainFile,
            compiled: entry.compile !== null,
            available: chosen?.available ?? false,
            limits: publicLimits(languageLimits(manifest, entry)),
          };
        }),
      };
    },
    { detail: answers({ 200: data(t.Array(languageAnswer)) }) },
  );
}
