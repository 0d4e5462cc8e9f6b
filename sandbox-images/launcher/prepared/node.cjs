// MUSCode prepared Node.js: the launcher starts `node /opt/muscode/prepared/node.cjs` ahead of a
// submission, in the submission's uid, jail, workspace and rlimits, so V8 and Node's core are
// loaded before the code arrives. Once loaded it says "r" on descriptor 3 (a socket to the
// launcher); the go is the program's argv (main file first), NUL-terminated, read there to its
// end. Then Node's own entry point runs the main file as `node <main> <args>` would (CommonJS or
// ES module, require.main, process.argv, stack traces).
'use strict';
const { readFileSync, writeSync, closeSync } = require('node:fs');
const { resolve } = require('node:path');

writeSync(3, 'r'); // loaded: the launcher may now tell the agent
const go = readFileSync(3);
closeSync(3);
const argv = go.toString('utf8').split('\0').slice(0, -1);
process.argv = [process.argv[0], resolve(argv[0]), ...argv.slice(1)];
// Called from the tick queue, not from this file, so no frame of ours sits under the program's.
process.nextTick(require('node:module').runMain);
