import { t } from 'elysia';

const file = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 255 }),
    path: t.Optional(t.String({ maxLength: 500 })),
    content: t.String(),
  },
  { additionalProperties: false },
);

/** `POST /execute` and `POST /execute/batch`: either `code`, or `files` with a `mainFile`. */
export const executeBody = t.Object(
  {
    language: t.String({ minLength: 1, maxLength: 50 }),
    code: t.Optional(t.String()),
    files: t.Optional(t.Array(file, { minItems: 1, maxItems: 256 })),
    mainFile: t.Optional(t.String({ minLength: 1, maxLength: 500 })),
    stdin: t.Optional(t.String()),
    timeout: t.Optional(t.Number()),
    memoryLimit: t.Optional(t.Number()),
    region: t.Optional(t.String({ pattern: '^[a-z0-9-]{1,50}$' })),
  },
  { additionalProperties: false },
);

export type ExecuteBody = typeof executeBody.static;
