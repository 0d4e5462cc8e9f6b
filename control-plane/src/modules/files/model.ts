import { t } from 'elysia';
import { int } from '../../http/answers.js';

const name = t.String({ minLength: 1, maxLength: 255 });
/** Folder of the file inside the project, as the spec writes it: "/src" ("/" is the root). */
const path = t.String({ minLength: 1, maxLength: 500 });

export const fileCreateBody = t.Object(
  {
    name,
    path: t.Optional(path),
    content: t.String(),
    isMain: t.Optional(t.Boolean()),
  },
  { additionalProperties: false },
);
export type FileCreateBody = typeof fileCreateBody.static;

export const fileUpdateBody = t.Object(
  {
    name: t.Optional(name),
    path: t.Optional(path),
    content: t.Optional(t.String()),
    isMain: t.Optional(t.Boolean()),
  },
  { additionalProperties: false },
);
export type FileUpdateBody = typeof fileUpdateBody.static;

export const fileParams = t.Object({
  projectId: t.String({ maxLength: 64 }),
  fileId: t.String({ maxLength: 64 }),
});

/* ---------------------------------------------------------------- answers (the document's only) */

/** A file of a project (service.ts `fileView`); its ETag is the answer's `ETag` header. */
export const fileAnswer = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    name: t.String(),
    path: t.String(),
    content: t.String(),
    size: int({ description: 'Bytes of the content (UTF-8)' }),
    /** The language its extension names; null when none does. */
    language: t.Union([t.String(), t.Null()]),
    isMain: t.Boolean(),
    createdAt: t.String({ format: 'date-time' }),
    updatedAt: t.String({ format: 'date-time' }),
  },
  { $id: 'File' },
);
