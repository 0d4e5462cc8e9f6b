import { t } from 'elysia';
import { gradingFields } from '../executions/model.js';

export const visibilities = ['private', 'public', 'unlisted'] as const;
export type Visibility = (typeof visibilities)[number];

const name = t.String({ minLength: 1, maxLength: 200 });
const description = t.String({ maxLength: 5000 });
const language = t.String({ minLength: 1, maxLength: 50 });
/** Exact or a semver range (`3.11.x`); null or absent: the newest available. */
const version = t.Union([t.String({ minLength: 1, maxLength: 50 }), t.Null()]);
const visibility = t.Union(visibilities.map((v) => t.Literal(v)));

/** `POST /projects` and `PUT /projects/{id}` (a PUT replaces: absent optional fields reset). */
export const projectBody = t.Object(
  {
    name,
    description: t.Optional(t.Union([description, t.Null()])),
    language,
    version: t.Optional(version),
    visibility: t.Optional(visibility),
  },
  { additionalProperties: false },
);
export type ProjectBody = typeof projectBody.static;

/** `PATCH /projects/{id}`: only the fields sent change. */
export const projectPatch = t.Object(
  {
    name: t.Optional(name),
    description: t.Optional(t.Union([description, t.Null()])),
    language: t.Optional(language),
    version: t.Optional(version),
    visibility: t.Optional(visibility),
  },
  { additionalProperties: false },
);
export type ProjectPatch = typeof projectPatch.static;

export const projectSorts = [
  'updatedAt',
  '-updatedAt',
  'createdAt',
  '-createdAt',
  'name',
  '-name',
  'stars',
  '-stars',
] as const;
export type ProjectSort = (typeof projectSorts)[number];

export const listQuery = t.Object({
  page: t.Optional(t.Integer({ minimum: 1, maximum: 100000 })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100 })),
  sort: t.Optional(t.Union(projectSorts.map((s) => t.Literal(s)))),
  language: t.Optional(t.String({ minLength: 1, maxLength: 50 })),
  visibility: t.Optional(visibility),
  /** Case-insensitive substring of the name. */
  q: t.Optional(t.String({ minLength: 1, maxLength: 100 })),
});
export type ListQuery = typeof listQuery.static;

export const projectParams = t.Object({ projectId: t.String({ maxLength: 64 }) });

export const runBody = t.Object(
  {
    stdin: t.Optional(t.String()),
    timeout: t.Optional(t.Number()),
    memoryLimit: t.Optional(t.Number()),
    wait: t.Optional(t.Boolean()),
    ...gradingFields,
  },
  { additionalProperties: false },
);
export type RunBody = typeof runBody.static;
