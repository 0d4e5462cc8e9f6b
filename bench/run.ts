/**
 * `npm run bench`: runs every bench/*.ts module that exports `run()`, one after another (they
 * measure the same machine, so never at once). `npm run bench -- sandbox` runs only the
 * modules whose file name contains one of the given words.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

let failed = 0;
for (const file of modules) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') continue;
  console.log(`\n=== bench/${file}`);
  try {
    await mod.run();
  } catch (err) {
    failed++;
    console.error(`bench/${file} failed:`, err);
  }
}
process.exit(failed ? 1 : 0);
