import { toOpenAPISchema } from '@elysiajs/openapi';
import type { AnyElysia } from 'elysia';

type Operation = { requestBody?: { content?: Record<string, unknown> } };

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
  const { paths, components } = toOpenAPISchema(app, {
    paths: ['/metrics', specPath, docsPath],
    staticFile: true,
  });
  for (const route of app.routes) {
    const body = route.hooks?.body;
    if (!body) continue;
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const op = (paths[path] as Record<string, Operation> | undefined)?.[route.method.toLowerCase()];
    if (op?.requestBody && Object.keys(op.requestBody.content ?? {}).length === 0) {
      // TypeBox schemas are JSON Schema; serialising drops TypeBox's symbol keys.
      op.requestBody.content = {
        'application/json': { schema: JSON.parse(JSON.stringify(body)) as unknown },
      };
    }
  }
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
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
