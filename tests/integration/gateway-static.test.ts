import { describe, expect, it } from 'vitest';
import { apiUrl } from '../support/api.js';

const origin = () => apiUrl().replace(/\/api\/v1$/, '');

describe('gateway static files (the playground at /)', () => {
  it('serves the playground with a strict CSP, no inline script and nothing from outside the stack', async () => {
    const res = await fetch(`${origin()}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    for (const testid of [
      'code-editor',
      'language-select',
      'stdin',
      'run-button',
      'stop-button',
      'output',
      'verdict',
    ]) {
      expect(html).toContain(`data-testid="${testid}"`);
    }
    // Every script has a src on this origin; no http(s) URL anywhere in the page.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/src="\/assets\//);
      expect(body?.trim()).toBe('');
    }
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('caches hashed assets for a year and revalidates with the ETag', async () => {
    const html = await (await fetch(`${origin()}/`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeTruthy();
    const js = await fetch(`${origin()}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = js.headers.get('etag')!;
    const again = await fetch(`${origin()}${script}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('still answers unknown paths with the JSON 404 and forwards the API', async () => {
    const res = await fetch(`${origin()}/no/such/file.txt`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
    const traversal = await fetch(`${origin()}/assets/../../package.json`);
    expect(traversal.status).toBe(404);
    expect((await fetch(`${apiUrl()}/languages`)).status).toBe(200);
  });

  it('serves /docs (Swagger UI from the npm package, no inline script, no CDN); /api/v1/docs points there', async () => {
    for (const path of ['/docs', '/docs/']) {
      const res = await fetch(`${origin()}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await res.text();
      expect(html).toContain('id="swagger-ui"');
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.map(([, attrs]) => /src="([^"]+)"/.exec(attrs ?? '')?.[1])).toEqual([
        '/docs/swagger-ui-bundle.js',
        '/docs/init.js',
      ]);
      for (const [, , body] of scripts) expect(body?.trim()).toBe('');
      expect(html).not.toMatch(/https?:\/\//);
    }
    const bundle = await fetch(`${origin()}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('text/javascript');
    expect(await bundle.text()).toContain('SwaggerUIBundle');
    const init = await (await fetch(`${origin()}/docs/init.js`)).text();
    expect(init).toContain("url: '/api/v1/openapi.json'");
    const old = await fetch(`${apiUrl()}/docs`, { redirect: 'manual' });
    expect(old.status).toBe(308);
    expect(old.headers.get('location')).toBe('/docs');
  });
});
