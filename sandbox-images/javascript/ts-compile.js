// The TypeScript compile step: transpiles every .ts file of the workspace to JavaScript under
// /tmp/ts (same relative paths, CommonJS), reporting syntax errors like tsc does and exiting 1 on
// any. Types are not checked: Debian ships TypeScript without @types/node, so a full check would
// reject every program that touches `process` or `require` (the same trade-off as ts-node
// --transpile-only, esbuild and Node's own type stripping).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = process.cwd();
const outDir = '/tmp/ts';
const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  esModuleInterop: true,
  sourceMap: false,
};

function* sources(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (entry.isFile() && /\.(c|m)?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield full;
  }
}

let failed = false;
for (const file of sources(root)) {
  const rel = path.relative(root, file);
  const result = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: options,
    fileName: rel,
    reportDiagnostics: true,
  });
  for (const d of result.diagnostics ?? []) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      process.stderr.write(`${rel}(${line + 1},${character + 1}): error TS${d.code}: ${text}\n`);
    } else {
      process.stderr.write(`error TS${d.code}: ${text}\n`);
    }
    if (d.category === ts.DiagnosticCategory.Error) failed = true;
  }
  const out = path.join(outDir, rel.replace(/\.(c|m)?ts$/, '.js'));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, result.outputText);
}
process.exit(failed ? 1 : 0);
