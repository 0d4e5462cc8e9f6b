// Builds the playground into dist/ with esbuild: one hashed script and stylesheet under assets/
// and an index.html that loads them (no inline script, so the gateway's CSP can forbid it).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
const html = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('%SCRIPT%', `/assets/${js}`)
  .replace('%STYLE%', `/assets/${css}`);
writeFileSync(join(out, 'index.html'), html);
console.log(`[web] built ${js}, ${css}`);
