import Ajv from 'ajv';
import { expect } from 'vitest';
import { api, type ApiResponse } from './api.js';

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

/** JSON Pointer of `segments` as a URI fragment (`/` is `~1`, `{` is `%7B`). */
const pointer = (...segments: string[]) =>
  segments.map((s) => `/${encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))}`).join('');

/**
 * The document the stack serves (GET /api/v1/openapi.json) as a validator of real answers: each
 * answer is checked against the schema the document gives its operation and status.
 */
export async function servedDocument() {
  const doc = (await api<OpenApiDocument>('GET', '/openapi.json')).body;
  // The document is JSON Schema inside; its `$ref`s point into it (#/components/schemas/…).
  const ajv = new Ajv({ allErrors: true, unknownFormats: 'ignore', validateSchema: false });
  ajv.addSchema({ ...doc, $id: 'openapi.json' });

  /** The documented schema of an answer of `status` to `method path`: its own, else its range's. */
  const documented = (method: string, path: string, status: number): string | undefined => {
    const op = method.toLowerCase();
    const responses = doc.paths[path]?.[op]?.responses ?? {};
    const key = [String(status), `${String(status)[0]}XX`].find((k) => responses[k]);
    if (!key || !responses[key]?.content?.['application/json']) return undefined;
    return `openapi.json#${pointer('paths', path, op, 'responses', key, 'content', 'application/json', 'schema')}`;
  };

  /** The validation errors of a real answer against its documented schema ([] when it conforms). */
  const errorsOf = (method: string, path: string, res: Pick<ApiResponse, 'status' | 'body'>): unknown[] => {
    const ref = documented(method, path, res.status);
    if (!ref) return [`no JSON answer documented for ${method} ${path} ${res.status}`];
    const validate = ajv.compile({ $ref: ref });
    return validate(res.body) ? [] : (validate.errors ?? ['invalid']);
  };

  /** Asserts the answer has the expected status and conforms to the document; answers it. */
  const conforms = (method: string, path: string, res: ApiResponse, status: number) => {
    expect([method, path, res.status]).toEqual([method, path, status]);
    expect(errorsOf(method, path, res)).toEqual([]);
    return res;
  };

  return { doc, errorsOf, conforms };
}
