// Builds the playground into dist/ with esbuild: one hashed script and stylesheet under assets/
// and an index.html that loads them (no inline script, so the gateway's CSP can forbid it);
// and /docs, Swagger UI from the swagger-ui-dist package.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
const result = await build({
  entryPoints: [join(here, 'src/main.ts'), join(here, 'src/style.css')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  // Each language's grammar is its own chunk, loaded when the language is picked.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  metafile: true,
  logLevel: 'warning',
});
const entry = (name) =>
  basename(Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint?.endsWith(name))?.[0] ?? '');
const js = entry('src/main.ts');
const css = entry('src/style.css');
const html = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('%SCRIPT%', `/assets/${js}`)
  .replace('%STYLE%', `/assets/${css}`);
writeFileSync(join(out, 'index.html'), html);
// Files served as they are (the favicon).
cpSync(join(here, 'public'), out, { recursive: true });
// /docs: Swagger UI from the npm package (no CDN) and our page and init script for it.
const swagger = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
cpSync(join(here, 'docs'), join(out, 'docs'), { recursive: true });
for (const f of ['swagger-ui.css', 'swagger-ui-bundle.js']) cpSync(join(swagger, f), join(out, 'docs', f));
console.log(`[web] built ${js}, ${css}`);
