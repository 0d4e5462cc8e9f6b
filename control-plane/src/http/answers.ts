import { t, type DocumentDecoration, type TSchema } from 'elysia';

/**
 * The answers of a route, for the OpenAPI document only (`detail: answers({ 200: data(x) })`).
 * They are not Elysia `response` schemas on purpose: Elysia validates those at run time, and a
 * schema a little behind the code would turn a good answer into a 500. The integration tests
 * check real answers against these schemas instead (tests/integration/openapi-answers.test.ts).
 * Schemas with an `$id` become named components of the document (`#/components/schemas/<id>`).
 */

/** `{"success": false, "error": {...}}`: every 4xx and 5xx of the MUSCode API. */
export const errorEnvelope = t.Object(
  {
    success: t.Literal(false),
    error: t.Object({
      /** Stable, machine-readable: `validation_failed`, `not_found`, `rate_limited`, … */
      code: t.String(),
      message: t.String(),
      details: t.Optional(t.Unknown()),
    }),
  },
  { $id: 'ErrorEnvelope' },
);

/**
 * An integer of an answer. (Elysia's `t.Integer` also takes a numeric string, which is right
 * for a query and wrong for what the API writes.)
 */
export const int = (options: { description?: string } = {}) =>
  t.Unsafe<number>({ ...options, type: 'integer' });

/** `{"success": true, "data": …}`: the envelope of an answer. */
export const data = (schema: TSchema) => t.Object({ success: t.Literal(true), data: schema });

/** `{"success": true, "message": …}`: an answer that only says it is done (a delete, a logout). */
export const done = t.Object({ success: t.Literal(true), message: t.String() }, { $id: 'Done' });

/** A body of bytes of a media type (an archive, an artifact, an output stream). */
export const bytes = (mediaType: string) => ({ [mediaType]: { schema: t.String({ format: 'binary' }) } });

type Answer = TSchema | { [mediaType: string]: { schema: TSchema } };

const descriptions: Record<string, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  206: 'Partial content (a Range)',
  503: 'Unavailable',
};

/** TypeBox schemas carry symbol keys (its `Kind`); a map of media types has none. */
const isSchema = (a: Answer): a is TSchema => Object.getOwnPropertySymbols(a).length > 0;

/** The `detail` of a route whose answers are `byStatus` (JSON unless a media type is given). */
export function answers(byStatus: Record<number, Answer>): DocumentDecoration {
  const responses: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(byStatus)) {
    responses[status] = {
      description: descriptions[status] ?? 'OK',
      content: isSchema(answer) ? { 'application/json': { schema: answer } } : answer,
    };
  }
  return { responses } as DocumentDecoration;
}
