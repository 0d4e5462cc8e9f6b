import { toOpenAPISchema } from '@elysiajs/openapi';
import type { AnyElysia } from 'elysia';
import { errorEnvelope } from './answers.js';

type Operation = { requestBody?: { content?: Record<string, unknown> }; responses?: Record<string, unknown> };

const specPath = '/api/v1/openapi.json';
const docsPath = '/api/v1/docs';

/**
 * The OpenAPI 3 document of every route, generated from the route schemas (by
 * @elysiajs/openapi's generator) at /api/v1/openapi.json, and a browsable Swagger UI page at
 * /api/v1/docs (its script loads from a CDN in the browser). Our own JSON body parser (size and
 * depth caps) hides the body's content type from the generator, so request bodies are filled in
 * here from the same schemas, as application/json.
 */
export function openapiDocs() {
  let cached: unknown;
  return (app: AnyElysia) =>
    app
      .get(specPath, () => (cached ??= openapiDocument(app)))
      .get(docsPath, () => new Response(null, { status: 308, headers: { location: '/docs' } }));
}

/** The OpenAPI document of an app's routes (also written by `npm run gen:api` for the client's types). */
export function openapiDocument(app: AnyElysia) {
  const generated = toOpenAPISchema(app, {
    paths: ['/metrics', specPath, docsPath],
    staticFile: true,
  });
  const { components } = generated;
  const paths = generated.paths as Record<string, Record<string, Operation>>;
  for (const route of app.routes) {
    const body = route.hooks?.body;
    if (!body) continue;
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const op = paths[path]?.[route.method.toLowerCase()];
    if (op?.requestBody && Object.keys(op.requestBody.content ?? {}).length === 0) {
      // TypeBox schemas are JSON Schema; serialising drops TypeBox's symbol keys.
      op.requestBody.content = {
        'application/json': { schema: JSON.parse(JSON.stringify(body)) as unknown },
      };
    }
  }
  // Every MUSCode answer that is not a success is the error envelope (Judge0's and Piston's are theirs).
  const failure = {
    description: 'The error envelope',
    content: { 'application/json': { schema: errorEnvelope } },
  };
  for (const [path, ops] of Object.entries(paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const op of Object.values(ops)) op.responses = { ...op.responses, '4XX': failure, '5XX': failure };
  }
  const named: Record<string, unknown> = {};
  const hoisted = hoistNamed(JSON.parse(JSON.stringify(paths)) as unknown, named) as typeof paths;
  return {
    openapi: '3.1.0',
    info: {
      title: 'MUSCode API',
      version: '1.0.0',
      description:
        'Accounts, projects, files and sandboxed code execution. Errors are ' +
        '{"success": false, "error": {"code", "message", "details"}}.',
    },
    servers: [{ url: '/' }],
    components: {
      ...components,
      schemas: { ...components.schemas, ...named },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    security: [{ bearer: [] }],
    paths: hoisted,
  };
}

/**
 * Moves each schema with an `$id` (the answers' named shapes: `Execution`, `Project`, …) to
 * `components.schemas`, leaving a `$ref` where it was, so the generated client types name them.
 * `node` is plain JSON (TypeBox's symbol keys already dropped).
 */
function hoistNamed(node: unknown, named: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((n) => hoistNamed(n, named));
  if (node === null || typeof node !== 'object') return node;
  const { $id, ...rest } = node as Record<string, unknown>;
  const walked = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, hoistNamed(v, named)]));
  if (typeof $id !== 'string') return walked;
  named[$id] = walked;
  return { $ref: `#/components/schemas/${$id}` };
}
