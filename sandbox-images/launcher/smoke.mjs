#!/usr/bin/env node
// Self-check of a sandbox image: starts it the way the runner agent does (gVisor, no network,
// read-only root, tmpfs workspace, no capabilities), speaks the launcher protocol over the
// container's stdin/stdout (see PROTOCOL.md) and prints every frame as a JSON line.
//
//   node sandbox-images/launcher/smoke.mjs muscode/sandbox-python            # all checks
//   node sandbox-images/launcher/smoke.mjs muscode/sandbox-python hello stdin # some checks
//   node sandbox-images/launcher/smoke.mjs muscode/sandbox-python --code "print(input())" --stdin "hi\n" \
//        --limit run_wall_ms=1000 --limit stdout_max=10     # one program (stdin default "hi\n")
//
// SMOKE_MODE=owner|jail runs the same checks in that launcher mode, plus one that sends three
// submissions to one sandbox and checks nothing of the first reaches the next; SMOKE_LAUNCHER=
// <path> mounts a freshly compiled launcher over the image's (development only).
// tests/integration/launcher-smoke.test.ts runs the launcher-protocol checks in the suite.
// No dependencies. Exits 1 if a check fails. DOCKER selects the client (default /usr/bin/docker).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const DOCKER = process.env.DOCKER || (existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker');
// SMOKE_MODE=sandbox|owner|jail: the launcher's mode (MUSCODE_LAUNCHER_MODE).
const mode = process.env.SMOKE_MODE || 'sandbox';
const reuse = mode !== 'sandbox';
const manifest = JSON.parse(readFileSync(join(here, '..', 'languages.json'), 'utf8'));

// ---- frames ------------------------------------------------------------------------------------

function frame(type, payload = Buffer.alloc(0)) {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}
const argvPayload = (argv) => Buffer.concat(argv.map((a) => Buffer.from(a + '\0')));
const filePayload = (path, content) =>
  Buffer.concat([Buffer.from(path), Buffer.from([0]), Buffer.from(content)]);
const limitsPayload = (limits) =>
  Object.entries(limits)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');

function parseX(text) {
  const out = {};
  for (const pair of text.split(' ')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq);
    const val = pair.slice(eq + 1);
    out[key] = /^-?\d+$/.test(val) ? Number(val) : val;
  }
  return out;
}

// ---- one sandbox session -------------------------------------------------------------------------

/**
 * Runs one container. `files` maps workspace paths to contents; `stdin` is sent as I frames
 * after G, then E (unless `sendE` is false: EOF alone must count as E) and the end of stdin;
 * `cancelAfterMs` sends K after that long instead, and ends stdin once the container is gone.
 * `raw` replaces all frames (for protocol-error checks). Resolves with the parsed frames.
 */
function session(
  image,
  { files = {}, compile, run, limits = {}, stdin, sendE = true, cancelAfterMs, raw, tmpfsSize = '64m', jobs },
) {
  const args = [
    'run',
    '-i',
    '--rm',
    '--runtime=runsc',
    '--network',
    'none',
    '--read-only',
    '--tmpfs',
    // In owner and jail mode the launcher covers it with a fresh tmpfs for every submission.
    `/workspace:rw,size=${tmpfsSize},uid=1000,gid=1000,mode=0755`,
    '--tmpfs',
    '/tmp:rw,size=64m,mode=1777',
    // The launcher starts as root inside gVisor with only the capabilities it needs, and runs
    // every step as an unprivileged uid (PROTOCOL.md, "Process rules").
    '--user',
    '0:0',
    '--cap-drop',
    'ALL',
    ...['SETUID', 'SETGID', 'KILL', 'SETPCAP'].flatMap((c) => ['--cap-add', c]),
    ...(mode !== 'sandbox' ? ['--cap-add', 'SYS_ADMIN'] : []),
    '--security-opt',
    'no-new-privileges',
    '--env',
    `MUSCODE_LAUNCHER_MODE=${mode}`,
    // Development aid: try a freshly compiled launcher without rebuilding the image.
    ...(process.env.SMOKE_LAUNCHER
      ? ['--volume', `${process.env.SMOKE_LAUNCHER}:/opt/muscode/launcher:ro`]
      : []),
    image,
  ];
  const started = performance.now();
  const child = spawn(DOCKER, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => {}); // the launcher may exit before it read everything

  const frames = [];
  let pending = Buffer.alloc(0);
  let firstOutputMs = null;
  child.stdout.on('data', (chunk) => {
    if (firstOutputMs === null) firstOutputMs = performance.now() - started;
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5) {
      const len = pending.readUInt32BE(1);
      if (pending.length < 5 + len) break;
      const type = String.fromCharCode(pending[0]);
      const data = pending.subarray(5, 5 + len);
      frames.push({ type, data: Buffer.from(data), atMs: Math.round(performance.now() - started) });
      pending = pending.subarray(5 + len);
    }
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));

  const jobFrames = (j) => {
    const out = [];
    for (const [path, content] of Object.entries(j.files ?? {}))
      out.push(frame('F', filePayload(path, content)));
    if (j.compile) out.push(frame('C', argvPayload(j.compile)));
    out.push(frame('R', argvPayload(j.run)));
    out.push(frame('L', limitsPayload(j.limits ?? {})));
    out.push(frame('G'));
    if (j.stdin !== undefined) {
      const buf = Buffer.from(j.stdin);
      for (let i = 0; i < buf.length; i += 65536) out.push(frame('I', buf.subarray(i, i + 65536)));
    }
    return out;
  };
  const out = [];
  if (raw) out.push(raw);
  else out.push(...jobFrames(jobs ? jobs[0] : { files, compile, run, limits, stdin }));
  child.stdin.write(Buffer.concat(out));
  if (jobs) {
    // One submission after another: the next goes only after the launcher's `z`.
    let next = 1;
    child.stdin.write(frame('E'));
    child.stdout.on('data', () => {
      const zs = frames.filter((f) => f.type === 'z').length;
      while (next <= zs && next < jobs.length)
        child.stdin.write(Buffer.concat([...jobFrames(jobs[next++]), frame('E')]));
      if (zs >= jobs.length) child.stdin.end();
    });
  } else if (!raw && cancelAfterMs !== undefined) {
    setTimeout(() => {
      child.stdin.write(frame('K'));
      // A reused sandbox waits for the next submission: EOF ends it.
      if (reuse) child.stdin.end();
    }, cancelAfterMs);
  } else {
    if (!raw && sendE) child.stdin.write(frame('E'));
    child.stdin.end();
  }

  return new Promise((resolve) => {
    child.on('close', (code) => {
      const elapsedMs = Math.round(performance.now() - started);
      if (pending.length) stderr += `\n[smoke] ${pending.length} trailing bytes that are not a whole frame`;
      const pick = (t) => Buffer.concat(frames.filter((f) => f.type === t).map((f) => f.data));
      const xs = frames
        .filter((f) => f.type === 'x')
        .map((f) => ({ ...parseX(f.data.toString('latin1')), atMs: f.atMs }));
      resolve({
        code,
        elapsedMs,
        frames,
        stderr,
        firstOutputMs: firstOutputMs === null ? null : Math.round(firstOutputMs),
        stdout: pick('o'),
        errout: pick('e'),
        compileOut: pick('c'),
        x: xs.find((x) => x.step === 'run'),
        runs: xs.filter((x) => x.step === 'run'),
        outputs: splitByZ(frames, 'o'),
        xCompile: xs.find((x) => x.step === 'compile'),
        xs,
      });
      if (!raw && cancelAfterMs !== undefined) child.stdin.end();
    });
  });
}

// The run stdout of each submission of a reused sandbox (split at `z` frames).
function splitByZ(frames, type) {
  const parts = [[]];
  for (const f of frames) {
    if (f.type === 'z') parts.push([]);
    else if (f.type === type) parts[parts.length - 1].push(f.data);
  }
  return parts.map((p) => Buffer.concat(p).toString());
}

function printFrames(check, r) {
  for (const f of r.frames) {
    const line = { check, frame: f.type, len: f.data.length, atMs: f.atMs };
    if (f.type === 'x') Object.assign(line, parseX(f.data.toString('latin1')));
    else {
      const text = f.data.toString('utf8');
      const intact = Buffer.from(text, 'utf8').equals(f.data) && !text.includes('\0');
      if (intact) line.text = text.length > 120 ? text.slice(0, 120) + `…(+${text.length - 120})` : text;
      else line.hex = f.data.subarray(0, 64).toString('hex') + (f.data.length > 64 ? '…' : '');
    }
    console.log(JSON.stringify(line));
  }
  console.log(
    JSON.stringify({
      check,
      container_exit: r.code,
      elapsedMs: r.elapsedMs,
      stderr: r.stderr.trim() || undefined,
    }),
  );
}

// ---- checks ------------------------------------------------------------------------------------

function languageOf(image) {
  const name = image.replace(/:[^/]*$/, '').replace(/^.*sandbox-/, '');
  // An image id's tag has "-" for "/" (trixie/python is sandbox-trixie-python).
  const lang = manifest.languages.find((l) => l.versions.some((v) => v.image.replaceAll('/', '-') === name));
  if (!lang) throw new Error(`no language in languages.json uses image '${name}'`);
  return lang;
}

const runArgv = (lang) =>
  lang.run.map((a) =>
    a.replaceAll('{main}', lang.mainFile).replaceAll('{mainBase}', lang.mainFile.replace(/\.[^.]*$/, '')),
  );

// Programs per language for the same checks. Missing entries are skipped for that language.
const programs = {
  python: {
    hello: "print('Hello, World!')",
    echo: 'import sys\nsys.stdout.write(sys.stdin.read())',
    syntax: "print('unclosed'\n",
    spin: 'while True: pass',
    flood: "import sys\nsys.stdout.write('x' * 1000000)",
    flood_err: "import sys\nsys.stderr.write('y' * 1000000)",
    daemon:
      "import subprocess\nsubprocess.Popen(['sleep', '1000'], start_new_session=True)\nprint('started')",
    binary: "import sys\nsys.stdout.buffer.write(b'\\xff\\x00\\xfe')",
    lib: { 'lib/util.py': "def greet():\n    return 'hello from lib'\n" },
    uselib: 'from lib.util import greet\nprint(greet())',
    bigin: "import sys\ndata = sys.stdin.buffer.read()\nprint(len(data), data.count(b'z'))",
    // Without writing anything: can the program reach the launcher's stdin/stdout through /proc?
    proc1:
      "import os\nfor p, m in (('/proc/1/fd/1', os.O_WRONLY), ('/proc/1/fd/0', os.O_RDONLY | os.O_NONBLOCK)):\n" +
      "    try:\n        os.close(os.open(p, m))\n        print(p, 'open')\n    except OSError as e:\n        print(p, type(e).__name__)",
    // Trying: write a forged result frame to the launcher's stdout through /proc.
    forge:
      "import os\nfor p in ('/proc/1/fd/1', '/proc/1/fd/0', '/proc/1/fd/2'):\n" +
      "    try:\n        fd = os.open(p, os.O_WRONLY)\n        os.write(fd, b'x\\x00\\x00\\x00\\x05faked')\n        print(p, 'written')\n" +
      '    except OSError as e:\n        print(p, type(e).__name__)',
    whoami:
      "import os\nprint(os.getuid(), os.geteuid(), os.getgroups(), open('/proc/self/status').read().split('CapEff:')[1].split()[0], open('/proc/self/status').read().split('CapBnd:')[1].split()[0])",
    env: 'import os\nprint(sorted(os.environ.items()), os.getcwd(), os.getuid(), os.getpgrp() == os.getpid())',
    leave:
      "import subprocess, os\nopen('/tmp/left', 'w').write('x')\nopen('left', 'w').write('x')\nos.mkdir('locked'); os.chmod('locked', 0)\nsubprocess.Popen(['sleep', '1000'], start_new_session=True)\nprint('left')",
    look: "import os, glob\nprint(os.path.exists('/tmp/left'), os.path.exists('left'), len([p for p in glob.glob('/proc/[0-9]*') if open(p + '/cmdline').read().startswith('sleep')]), os.getuid())",
    forkmany:
      "import subprocess\nok = 0\nerr = ''\nfor i in range(40):\n    try:\n        subprocess.Popen(['sleep', '5']); ok += 1\n    except OSError as e:\n        err = str(e); break\nprint(ok, err)",
    fsize:
      "try:\n    with open('big', 'wb') as f:\n        f.write(b'a' * 5000)\n    print('wrote')\nexcept OSError as e:\n    print('OSError', e.errno)",
    compileok: ['python3', '-m', 'py_compile', 'main.py'],
  },
  javascript: {
    hello: "console.log('Hello, World!')",
    echo: 'process.stdin.pipe(process.stdout)',
    syntax: "console.log('unclosed'\n",
    spin: 'for (;;) {}',
    flood: "process.stdout.write('x'.repeat(1000000))",
    binary: 'process.stdout.write(Buffer.from([0xff, 0x00, 0xfe]))',
    daemon:
      "require('child_process').spawn('sleep', ['1000'], { detached: true, stdio: 'inherit' }).unref(); console.log('started')",
    lib: { 'lib/util.js': "exports.greet = () => 'hello from lib'\n" },
    uselib: "console.log(require('./lib/util.js').greet())",
    bigin:
      "const c=[];process.stdin.on('data',d=>c.push(d)).on('end',()=>{const b=Buffer.concat(c);console.log(b.length,b.filter(x=>x===122).length)})",
  },
};

function checks(lang) {
  const p = programs[lang.id] ?? {};
  const main = lang.mainFile;
  const run = runArgv(lang);
  const one = (code, more = {}) => ({ run, ...more, files: { [main]: code, ...(more.files ?? {}) } });
  const list = [];
  const add = (name, key, opts, verify, { warnOnly = false } = {}) => {
    if (key === null || p[key] !== undefined)
      list.push({ name, opts: typeof opts === 'function' ? opts(p[key]) : opts, verify, warnOnly });
  };

  add(
    'hello',
    'hello',
    (c) => one(c),
    (r) => r.stdout.toString() === 'Hello, World!\n' && r.x?.exit === 0 && r.code === 0,
  );
  add(
    'stdin',
    'echo',
    (c) => one(c, { stdin: 'hi\n' }),
    (r) => r.stdout.toString() === 'hi\n' && r.x?.exit === 0,
  );
  add(
    'syntax-error',
    'syntax',
    (c) => one(c),
    (r) => r.x?.exit !== 0 && /SyntaxError/.test(r.errout.toString()) && r.code === 0,
  );
  add(
    'timeout',
    'spin',
    (c) => one(c, { limits: { run_wall_ms: 1000 } }),
    (r) =>
      r.x?.timeout === 1 && r.x.exit === -1 && r.x.signal === 9 && r.x.wall_ms < 1300 && r.elapsedMs < 4000,
  );
  add(
    'cpu-limit',
    'spin',
    (c) => one(c, { limits: { run_wall_ms: 10000, run_cpu_ms: 1000 } }),
    (r) =>
      r.x?.cpu_limit === 1 &&
      r.x.timeout === 0 &&
      r.x.exit === -1 &&
      r.x.cpu_ms >= 1000 &&
      r.x.wall_ms < 5000,
  );
  add(
    'stdout-limit',
    'flood',
    (c) => one(c, { limits: { stdout_max: 1000 } }),
    (r) => r.stdout.length === 1000 && r.x?.output_limit === 1 && r.code === 0,
  );
  add(
    'stderr-limit',
    'flood_err',
    (c) => one(c, { limits: { stderr_max: 777 } }),
    (r) => r.errout.length === 777 && r.stdout.length === 0 && r.x?.output_limit === 1,
  );
  add(
    'background-daemon',
    'daemon',
    (c) => one(c),
    (r) => r.stdout.toString() === 'started\n' && r.x?.exit === 0 && r.elapsedMs < 4000 && r.code === 0,
  );
  add(
    'binary-output',
    'binary',
    (c) => one(c),
    (r) => r.stdout.equals(Buffer.from([0xff, 0x00, 0xfe])) && r.x?.exit === 0,
  );
  add(
    'subfolder-file',
    'uselib',
    (c) => one(c, { files: p.lib }),
    (r) => r.stdout.toString() === 'hello from lib\n' && r.x?.exit === 0,
  );
  add(
    'big-stdin',
    'bigin',
    (c) => one(c, { stdin: 'z'.repeat(1 << 20) }),
    (r) => r.stdout.toString() === `${1 << 20} ${1 << 20}\n`,
  );
  add(
    'cancel',
    'spin',
    (c) => one(c, { cancelAfterMs: 1500, limits: { run_wall_ms: 20000 } }),
    (r) => r.x?.cancelled === 1 && r.x.timeout === 0 && r.elapsedMs < 6000 && r.code === 0,
  );
  add(
    'eof-is-E',
    'echo',
    (c) => one(c, { stdin: 'no E frame\n', sendE: false }),
    (r) => r.stdout.toString() === 'no E frame\n' && r.x?.exit === 0,
  );
  // The launcher is root and the program is not: /proc/1/fd stays closed to it (gVisor
  // 20221219 ignores PR_SET_DUMPABLE there, so the uid is the barrier).
  add(
    'proc1-fds-closed',
    'proc1',
    (c) => one(c),
    (r) => r.stdout.toString() === '/proc/1/fd/1 PermissionError\n/proc/1/fd/0 PermissionError\n',
  );
  add(
    'no-forged-frames',
    'forge',
    (c) => one(c),
    (r) =>
      r.stdout.toString() ===
        '/proc/1/fd/1 PermissionError\n/proc/1/fd/0 PermissionError\n/proc/1/fd/2 PermissionError\n' &&
      r.xs.length === 1 &&
      r.x?.exit === 0,
  );
  add(
    'unprivileged',
    'whoami',
    (c) => one(c),
    (r) =>
      /^(\d+) \1 \[\] 0000000000000000 0000000000000000\n$/.test(r.stdout.toString()) &&
      !r.stdout.toString().startsWith('0 '),
  );
  add(
    'environment',
    'env',
    (c) => one(c),
    (r) =>
      r.stdout.toString().startsWith("[('HOME', '/workspace") &&
      (mode === 'jail'
        ? / \/workspace 2\d+ /.test(r.stdout.toString())
        : r.stdout.toString().endsWith(' 1000 True\n')),
  );
  if (reuse && p.leave) {
    list.push({
      name: 'wiped-between-submissions',
      opts: { jobs: [one(p.leave), one(p.look), one(p.hello)] },
      verify: (r) =>
        r.runs.length === 3 &&
        r.outputs[0] === 'left\n' &&
        r.outputs[1].startsWith('False False 0 ') &&
        r.outputs[2] === 'Hello, World!\n' &&
        r.code === 0 &&
        (mode !== 'jail' || r.outputs[1] !== 'False False 0 ' + r.outputs[0]),
      warnOnly: false,
    });
  }
  add(
    'nproc',
    'forkmany',
    (c) => one(c, { limits: { nproc: 10 } }),
    (r) => r.x?.exit === 0 && !r.stdout.toString().startsWith('40 '),
  );
  add(
    'fsize',
    'fsize',
    (c) => one(c, { limits: { fsize_bytes: 1024 } }),
    (r) => r.stdout.toString() === 'OSError 27\n',
  );
  add(
    'compile-ok',
    'compileok',
    (argv) => ({ files: { [main]: p.hello }, compile: argv, run }),
    (r) => r.xCompile?.exit === 0 && r.x?.exit === 0 && r.stdout.toString() === 'Hello, World!\n',
  );
  add(
    'compile-fail',
    'compileok',
    (argv) => ({ files: { [main]: p.syntax }, compile: argv, run }),
    (r) => r.xCompile?.exit !== 0 && !r.x && /SyntaxError/.test(r.compileOut.toString()) && r.code === 0,
  );
  add(
    'compile-output-cap',
    'compileok',
    () => ({
      files: { [main]: p.hello },
      compile: ['sh', '-c', 'yes compile'],
      run,
      limits: { compile_output_max: 5000 },
    }),
    (r) => r.compileOut.length === 5000 && r.xCompile?.output_limit === 1 && !r.x,
  );
  add(
    'exec-failure',
    null,
    { files: { [main]: '' }, run: ['no-such-program', 'x'] },
    (r) => r.x?.exit === 127 && /no-such-program/.test(r.errout.toString()) && r.code === 0,
  );
  add(
    'bad-path-dotdot',
    null,
    { files: { '../evil': 'x' }, run },
    (r) => r.code === 3 && /protocol error/.test(r.stderr) && !r.x,
  );
  add(
    'bad-path-absolute',
    null,
    { files: { '/etc/evil': 'x' }, run },
    (r) => r.code === 3 && /protocol error/.test(r.stderr),
  );
  add(
    'bad-path-empty-segment',
    null,
    { files: { 'a//b': 'x' }, run },
    (r) => r.code === 3 && /protocol error/.test(r.stderr),
  );
  add(
    'bad-frame',
    null,
    { raw: Buffer.from('Zjunk') },
    (r) => r.code === 3 && /protocol error/.test(r.stderr),
  );
  add(
    'oversized-frame',
    null,
    { raw: Buffer.from([0x46, 0x04, 0x00, 0x00, 0x01]) },
    (r) => r.code === 3 && /64 MiB/.test(r.stderr),
  );
  add(
    'workspace-full',
    null,
    { files: { [main]: '', 'big.bin': Buffer.alloc(3 << 20) }, run, tmpfsSize: '1m' },
    (r) => r.code === 3 && /big\.bin/.test(r.stderr),
  );
  return list;
}

// ---- main --------------------------------------------------------------------------------------

async function main() {
  const argv = process.argv.slice(2);
  const image = argv.shift();
  if (!image || image.startsWith('-')) {
    console.error(
      'usage: smoke.mjs <image> [check...] | <image> --code <src> [--stdin <text>] [--limit k=v]...',
    );
    process.exit(2);
  }
  const lang = languageOf(image);

  if (argv[0] === '--code') {
    const opts = { files: {}, run: runArgv(lang), limits: {}, stdin: 'hi\n' };
    for (let i = 0; i < argv.length; i += 2) {
      const [flag, val] = [argv[i], argv[i + 1] ?? ''];
      const unescaped = val.replace(/\\n/g, '\n');
      if (flag === '--code') opts.files[lang.mainFile] = unescaped;
      else if (flag === '--stdin') opts.stdin = unescaped;
      else if (flag === '--limit') opts.limits[val.split('=')[0]] = val.split('=').slice(1).join('=');
      else throw new Error(`unknown flag ${flag}`);
    }
    const r = await session(image, opts);
    printFrames('adhoc', r);
    return;
  }

  let failed = 0;
  for (const c of checks(lang)) {
    if (argv.length && !argv.includes(c.name)) continue;
    const r = await session(image, c.opts);
    printFrames(c.name, r);
    let ok = false;
    try {
      ok = Boolean(c.verify(r));
    } catch {
      ok = false;
    }
    const result = ok ? 'PASS' : c.warnOnly ? 'WARN' : 'FAIL';
    if (result === 'FAIL') failed++;
    console.log(
      JSON.stringify({
        check: c.name,
        result,
        elapsedMs: r.elapsedMs,
        firstOutputMs: r.firstOutputMs,
      }),
    );
  }
  console.log(JSON.stringify({ image, failed }));
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
