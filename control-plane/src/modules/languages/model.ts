import { t } from 'elysia';

const range = t.Object({ default: t.Number(), max: t.Number() });

/** The request-settable limits of a language version: default and maximum of each. */
const limits = t.Object({ timeoutSeconds: range, compileTimeoutSeconds: range, memoryMb: range });

/** One language of `GET /languages` (the document's only; index.ts builds it). */
export const languageAnswer = t.Object(
  {
    id: t.String(),
    name: t.String(),
    /** What a request without a version gets; null while no live runner has an image of it. */
    version: t.Union([t.String(), t.Null()]),
    /** Newest first: an exact version where a live runner has its image, else its series. */
    versions: t.Array(t.Object({ version: t.String(), series: t.String(), available: t.Boolean(), limits })),
    aliases: t.Array(t.String()),
    extensions: t.Array(t.String()),
    mainFile: t.String(),
    compiled: t.Boolean(),
    available: t.Boolean(),
    limits,
  },
  { $id: 'Language' },
);
