import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';

/**
 * Everything the gateway serves outside /api/v1: the playground's built files (clients/web/dist)
 * and the API docs at /docs (Swagger UI from the swagger-ui-dist package), read once at start. Only `self` may load scripts, styles or open connections (no inline script,
 * no CDN), so a self-hosted install without internet works the same. Hashed assets
 * (`assets/*-<hash>.*`) are cached for a year; the HTML is revalidated with its ETag.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  immutable: boolean;
}

/** GATEWAY_STATIC_DIR, default the repository's clients/web/dist (built by clients/web/build.mjs). */
export function staticDir(env: NodeJS.ProcessEnv): string {
  return env['GATEWAY_STATIC_DIR'] || fileURLToPath(new URL('../../../clients/web/dist', import.meta.url));
}

export function loadStaticFiles(dir: string): Map<string, Asset> {
  const files = new Map<string, Asset>();
  if (!existsSync(dir)) return files;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const body = readFileSync(full);
        const path = `/${relative(dir, full).split('\\').join('/')}`;
        files.set(path, {
          body,
          type: types[extname(name)] ?? 'application/octet-stream',
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
          immutable: path.startsWith('/assets/'),
        });
      }
    }
  };
  walk(dir);
  return files;
}

/** Pages of the single-page app that answer with index.html. */
const appPages = /^\/(|p\/[A-Za-z0-9-]{1,64})$/;

/** The API docs page (Swagger UI, built into dist/docs by clients/web/build.mjs). */
const docsPage = /^\/docs\/?$/;

function assetAt(files: Map<string, Asset>, url: string): Asset | undefined {
  if (docsPage.test(url)) return files.get('/docs/index.html');
  return files.get(url) ?? (appPages.test(url) ? files.get('/index.html') : undefined);
}

/** Whether a static file (or a page of the app) is at the path, whatever the method asked. */
export function hasStatic(files: Map<string, Asset>, url: string): boolean {
  return assetAt(files, url) !== undefined;
}

/** Answers a GET for a static file; false when there is none (the caller answers 404). */
export function serveStatic(files: Map<string, Asset>, res: HttpResponse, req: HttpRequest): boolean {
  if (req.getMethod() !== 'get' && req.getMethod() !== 'head') return false;
  const asset = assetAt(files, req.getUrl());
  if (!asset) return false;
  const headers: [string, string][] = [
    ['content-type', asset.type],
    ['cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache'],
    ['etag', asset.etag],
    ['content-security-policy', contentSecurityPolicy],
    ['x-content-type-options', 'nosniff'],
    ['referrer-policy', 'no-referrer'],
  ];
  if (req.getHeader('if-none-match') === asset.etag) {
    res.cork(() => {
      res.writeStatus('304 Not Modified');
      for (const [k, v] of headers) res.writeHeader(k, v);
      res.end();
    });
    return true;
  }
  res.cork(() => {
    res.writeStatus('200 OK');
    for (const [k, v] of headers) res.writeHeader(k, v);
    res.end(req.getMethod() === 'head' ? undefined : asset.body);
  });
  return true;
}
