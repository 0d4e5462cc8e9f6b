// The TypeScript 5 compile step: type-checks every .ts file of the workspace against Node's own
// types (@types/node from the npm registry, matching Node 20), reports errors as tsc does, and
// writes JavaScript under /tmp/ts (same relative paths, CommonJS). Any error, of syntax or of
// types, is a compile error and nothing runs: what `tsc` in a Node project does. Options are
// tsc's defaults (not `strict`) with a modern target; declaration files are not re-checked
// (skipLibCheck), which keeps a hello world's check near a second.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('/opt/muscode/node_modules/typescript');

const root = process.cwd();
const outDir = '/tmp/ts';
const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmitOnError: true,
  types: ['node'],
  typeRoots: ['/opt/muscode/node_modules/@types'],
  rootDir: root,
  outDir,
  sourceMap: false,
};

function* sources(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (entry.isFile() && /\.(c|m)?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield full;
  }
}

const program = ts.createProgram([...sources(root)], options);
const emitted = program.emit();
const diagnostics = ts.sortAndDeduplicateDiagnostics([
  ...ts.getPreEmitDiagnostics(program),
  ...emitted.diagnostics,
]);
const host = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => '\n',
};
if (diagnostics.length > 0) process.stderr.write(ts.formatDiagnostics(diagnostics, host));
process.exit(diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error) ? 1 : 0);
