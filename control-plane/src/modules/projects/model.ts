import { t } from 'elysia';
import { int } from '../../http/answers.js';
import { gradingFields, pagination } from '../executions/model.js';
import { fileAnswer } from '../files/model.js';

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

/* ---------------------------------------------------------------- answers (the document's only) */

const fields = {
  id: t.String({ format: 'uuid' }),
  name: t.String(),
  description: t.Union([t.String(), t.Null()]),
  language: t.String(),
  /** As its owner asked (exact or a range); null: the newest. */
  version: t.Union([t.String(), t.Null()]),
  visibility,
  owner: t.Object({ id: t.String({ format: 'uuid' }), username: t.String() }),
  forkedFrom: t.Union([t.String({ format: 'uuid' }), t.Null()]),
  starCount: int(),
  fileCount: int(),
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
};

/** A project as lists, creates and edits show it (service.ts `projectView`). */
export const projectAnswer = t.Object(fields, { $id: 'Project' });

/** `GET /projects/{id}`: the project with its files (a large file's content is left out: null). */
export const projectDetailAnswer = t.Object(
  {
    ...fields,
    isOwner: t.Boolean(),
    starred: t.Boolean(),
    files: t.Array(
      t.Composite([
        t.Omit(fileAnswer, ['content']),
        t.Object({ content: t.Union([t.String(), t.Null()]), contentOmitted: t.Boolean() }),
      ]),
    ),
  },
  { $id: 'ProjectWithFiles' },
);

export const projectListAnswer = t.Object({ projects: t.Array(projectAnswer), pagination });

export const starAnswer = t.Object({
  projectId: t.String({ format: 'uuid' }),
  starred: t.Boolean(),
  starCount: int(),
});
