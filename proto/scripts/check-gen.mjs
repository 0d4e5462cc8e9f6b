// Fails when proto/gen is not what `buf generate` makes from proto/: generated code is never
// edited by hand and never stale.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'muscode-gen-'));

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

try {
  execFileSync('npx', ['buf', 'generate', '-o', out], { cwd: root, stdio: 'inherit' });
  const fresh = new Map(files(join(out, 'proto/gen')).map((f) => [relative(join(out, 'proto/gen'), f), f]));
  const committed = new Map(
    files(join(root, 'proto/gen')).map((f) => [relative(join(root, 'proto/gen'), f), f]),
  );
  const stale = [...new Set([...fresh.keys(), ...committed.keys()])].filter((name) => {
    const a = fresh.get(name);
    const b = committed.get(name);
    return !a || !b || !readFileSync(a).equals(readFileSync(b));
  });
  if (stale.length > 0) {
    process.stderr.write(`proto/gen is stale; run \`npm run gen\`. Differs: ${stale.join(', ')}\n`);
    process.exit(1);
  }
  process.stdout.write('proto/gen is up to date\n');
} finally {
  rmSync(out, { recursive: true, force: true });
}
