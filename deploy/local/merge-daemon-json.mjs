// Adds the runsc runtime to Docker's daemon.json, keeping every other setting.
// Prints "changed" when it wrote the file, "unchanged" otherwise.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const [file, runscPath] = process.argv.slice(2);
if (!file || !runscPath) {
  process.stderr.write('usage: merge-daemon-json.mjs <daemon.json> <runsc path>\n');
  process.exit(2);
}
const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
const config = before.trim() === '' ? {} : JSON.parse(before);
config.runtimes = {
  ...config.runtimes,
  runsc: { path: runscPath, runtimeArgs: ['--network=none'] },
};
const after = JSON.stringify(config, null, 2) + '\n';
if (after === before) {
  process.stdout.write('unchanged\n');
} else {
  writeFileSync(file, after);
  process.stdout.write('changed\n');
}
