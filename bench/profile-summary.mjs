#!/usr/bin/env node
// Sums a V8 .cpuprofile (node --cpu-prof; the bench's MUSCODE_CPU_PROF_DIR) by where the time
// went: self time per package (node_modules/<pkg>, our own workspace, node: internals) and the
// top functions. Usage: node bench/profile-summary.mjs <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map(); // node id -> µs
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) {
  self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
}
function where(url) {
  if (!url) return '(native/vm)';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const w = url.match(/\/(common|control-plane|gateway|runner-agent|proto|clients)\//);
  return w ? `ours:${w[1]}` : url;
}
const pkg = new Map();
const fn = new Map();
let total = 0;
for (const [id, us] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  total += us;
  if (cf.functionName === '(idle)' || cf.functionName === '(program)') {
    pkg.set(cf.functionName, (pkg.get(cf.functionName) ?? 0) + us);
    continue;
  }
  const p = where(cf.url);
  pkg.set(p, (pkg.get(p) ?? 0) + us);
  const key = `${cf.functionName || '(anonymous)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
}
const busy = total - (pkg.get('(idle)') ?? 0);
const line = (k, us) =>
  `${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`;
process.stdout.write(
  `${file}: ${(busy / 1000).toFixed(0)} ms busy of ${(total / 1000).toFixed(0)} ms\n\nby package:\n`,
);
for (const [k, us] of [...pkg]
  .filter(([k]) => k !== '(idle)')
  .sort((a, b) => b[1] - a[1])
  .slice(0, top))
  process.stdout.write(line(k, us) + '\n');
process.stdout.write('\nby function (self):\n');
for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top))
  process.stdout.write(line(k, us) + '\n');
