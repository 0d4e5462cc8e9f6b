import { t } from 'elysia';

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
