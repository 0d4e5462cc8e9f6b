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
      .get(specPath, () => (cached ??= build(app)))
      .get(
        docsPath,
        () => new Response(docsPage, { headers: { 'content-type': 'text/html; charset=utf-8' } }),
      );
}

function build(app: AnyElysia) {
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

const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>MUSCode API</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5.17.14/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="https://unpkg.com/swagger-ui-dist@5.17.14/swagger-ui-bundle.js" crossorigin></script>
<script>window.onload = () => { window.ui = SwaggerUIBundle({ url: '${specPath}', dom_id: '#swagger-ui' }); };</script>
</body>
</html>
`;
