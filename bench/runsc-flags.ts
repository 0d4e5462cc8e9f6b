/**
 * runsc itself, without Docker (issue 12): for each runsc version (Debian bookworm's at
 * /usr/bin/runsc, trixie's unpacked at /opt/runsc-trixie) × platform (ptrace; systrap where the
 * version has it) × file-system flags (default, --overlay2=root:memory, --file-access=shared,
 * --directfs=false where directfs exists, and the agent's read-only root), one sandbox is
 * started with `runsc run` on an OCI bundle made from the sandbox image (`docker export`), and
 * runs `python3 -c pass` (python image) or `node -e 0` (javascript image) N times inside. The
 * same sandbox is also started with `true` only, which is the sandbox's own start + removal
 * cost; the per-startup figure is (N-loop − true-loop) / N. The host baseline is the same loop
 * on the same image files (chroot), in the same run.
 *
 * CPU is the cpuacct cgroup (v1) of the whole invocation: runsc, gofer, sentry and the
 * sandboxed processes (runsc is run with --ignore-cgroups so that they stay in our cgroup).
 * The machine is shared: other work shows up as noise, so each figure is the minimum of
 * BENCH_RUNSC_REPS repetitions.
 *
 *   npm run bench -- runsc-flags      BENCH_RUNSC_N (10), BENCH_RUNSC_REPS (2),
 *                                     BENCH_RUNSC_BOOKWORM, BENCH_RUNSC_TRIXIE (runsc paths)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const n = Number(process.env['BENCH_RUNSC_N'] ?? 10);
const reps = Number(process.env['BENCH_RUNSC_REPS'] ?? 2);
const work = '/tmp/muscode-runsc-bench';
const cgroupRoot = '/sys/fs/cgroup/cpuacct';
const imageRepo = process.env['MUSCODE_IMAGE_REPO'] ?? 'muscode';
const timeoutMs = 120_000;

interface Version {
  name: string;
  path: string;
}
const versions: Version[] = [
  { name: 'bookworm', path: process.env['BENCH_RUNSC_BOOKWORM'] ?? '/usr/bin/runsc' },
  { name: 'trixie', path: process.env['BENCH_RUNSC_TRIXIE'] ?? '/opt/runsc-trixie/usr/bin/runsc' },
];

interface Language {
  name: string;
  image: string;
  argv: string[];
}
const languages: Language[] = [
  { name: 'python', image: 'sandbox-python', argv: ['/usr/bin/python3', '-c', 'pass'] },
  { name: 'node', image: 'sandbox-javascript', argv: ['/usr/bin/node', '-e', '0'] },
];

interface Variant {
  name: string;
  flags: string[];
  readonlyRoot: boolean;
  /** Only for versions whose `runsc flags` lists this flag. */
  needs?: string;
}
const variants: Variant[] = [
  { name: 'default', flags: [], readonlyRoot: false },
  { name: 'overlay2=root:memory', flags: ['--overlay2=root:memory'], readonlyRoot: false },
  { name: 'overlay2=none', flags: ['--overlay2=none'], readonlyRoot: false },
  // trixie's default overlay (root:self) refuses shared file access, so turn it off too.
  {
    name: 'overlay2=none, file-access=shared',
    flags: ['--overlay2=none', '--file-access=shared'],
    readonlyRoot: false,
  },
  { name: 'directfs=false', flags: ['--directfs=false'], readonlyRoot: false, needs: '-directfs' },
  { name: 'read-only root', flags: [], readonlyRoot: true },
  {
    name: 'read-only root, overlay2=root:memory',
    flags: ['--overlay2=root:memory'],
    readonlyRoot: true,
  },
];

interface Sample {
  wallMs: number;
  cpuMs: number;
}
type Outcome = Sample | { fails: string };

const sh = (argv: string[], count: number) =>
  `i=0; while [ $i -lt ${count} ]; do ${argv.join(' ')} || exit 1; i=$((i+1)); done`;

let cgroupSeq = 0;

/** Runs argv in a fresh cpuacct cgroup; wall and CPU (ns → ms) of everything in it. */
async function measure(argv: string[], cleanup?: () => void): Promise<Outcome> {
  const cg = join(cgroupRoot, `muscode-runsc-bench-${process.pid}-${cgroupSeq++}`);
  mkdirSync(cg);
  try {
    const started = performance.now();
    const child = spawn('sh', ['-c', `echo $$ > ${cg}/cgroup.procs && exec "$@"`, 'sh', ...argv], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) =>
      child.on('close', (c, sig) => resolve(sig ? -1 : c)),
    );
    clearTimeout(timer);
    const wallMs = performance.now() - started;
    if (code !== 0) {
      cleanup?.();
      const reason = stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${code}`;
      return { fails: code === -1 ? `killed after ${timeoutMs / 1000} s` : reason.slice(0, 160) };
    }
    // The sentry and gofer may outlive `runsc run` by a moment; wait for them.
    for (let i = 0; i < 100 && readFileSync(join(cg, 'cgroup.procs'), 'utf8').trim(); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const cpuMs = Number(readFileSync(join(cg, 'cpuacct.usage'), 'utf8').trim()) / 1e6;
    return { wallMs, cpuMs };
  } finally {
    for (const pid of readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(cg);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}

async function best(runOnce: () => Promise<Outcome>): Promise<Outcome> {
  let min: Sample | undefined;
  for (let r = 0; r < reps; r++) {
    const o = await runOnce();
    if ('fails' in o) return o;
    min = min ? { wallMs: Math.min(min.wallMs, o.wallMs), cpuMs: Math.min(min.cpuMs, o.cpuMs) } : o;
  }
  return min!;
}

function rootfs(lang: Language): string {
  const dir = join(work, `rootfs-${lang.name}`);
  if (existsSync(join(dir, 'usr'))) return dir;
  mkdirSync(dir, { recursive: true });
  const image = `${imageRepo}/${lang.image}`;
  const r = spawnSync(
    'sh',
    [
      '-c',
      `c=$(docker create ${image}) && docker export "$c" | tar -x -C ${dir}; s=$?; docker rm "$c" >/dev/null; exit $s`,
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error(`docker export of ${image} failed`);
  return dir;
}

function bundle(lang: Language, readonlyRoot: boolean, command: string): string {
  const dir = join(work, `bundle-${lang.name}${readonlyRoot ? '-ro' : ''}`);
  mkdirSync(dir, { recursive: true });
  const spec = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 1000, gid: 1000 },
      args: ['/bin/sh', '-c', command],
      env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/tmp'],
      cwd: '/tmp',
      noNewPrivileges: true,
    },
    root: { path: rootfs(lang), readonly: readonlyRoot },
    hostname: 'sandbox',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

let containerSeq = 0;

function runscOnce(v: Version, platform: string, variant: Variant, lang: Language, count: number) {
  return () => {
    const dir = bundle(lang, variant.readonlyRoot, sh(lang.argv, count));
    const state = join(work, `state-${v.name}`);
    mkdirSync(state, { recursive: true });
    const id = `bench-${process.pid}-${containerSeq++}`;
    const global = [`--root=${state}`, '--ignore-cgroups', '--network=none', `--platform=${platform}`];
    return measure([v.path, ...global, ...variant.flags, 'run', '--bundle', dir, id], () =>
      spawnSync(v.path, [`--root=${state}`, 'delete', '--force', id], { stdio: 'ignore' }),
    );
  };
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

export async function run(): Promise<void> {
  if (!existsSync(cgroupRoot)) throw new Error(`${cgroupRoot} missing: this bench needs cgroup v1 cpuacct`);
  mkdirSync(work, { recursive: true });

  // Host baseline: the same loop on the same files (chroot into the exported image).
  const host = new Map<string, Sample>();
  console.log(`N=${n} startups per sandbox, min of ${reps} repetitions; CPU = cpuacct of all processes\n`);
  const hostRows: string[] = [];
  for (const lang of languages) {
    const root = rootfs(lang);
    const once = (count: number) => () =>
      measure(['chroot', '--userspec=1000:1000', root, '/bin/sh', '-c', sh(lang.argv, count)]);
    const loop = await best(once(n));
    const empty = await best(once(0));
    if ('fails' in loop || 'fails' in empty) {
      throw new Error(`host baseline for ${lang.name} fails: ${'fails' in loop ? loop.fails : ''}`);
    }
    const per = { wallMs: (loop.wallMs - empty.wallMs) / n, cpuMs: (loop.cpuMs - empty.cpuMs) / n };
    host.set(lang.name, per);
    hostRows.push(`${lang.name} ${fmt(per.cpuMs)} ms CPU, ${fmt(per.wallMs)} ms wall`);
  }
  console.log(`host baseline per startup: ${hostRows.join('; ')}\n`);

  const rows: string[][] = [];
  for (const v of versions) {
    if (!existsSync(v.path)) {
      rows.push([v.name, '', '', `fails: ${v.path} missing`]);
      continue;
    }
    const flagList = spawnSync(v.path, ['flags'], { encoding: 'utf8' });
    const help = `${flagList.stdout}${flagList.stderr}`;
    const version = spawnSync(v.path, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
    const platforms = ['ptrace', ...(help.includes('systrap') ? ['systrap'] : [])];
    for (const platform of platforms) {
      for (const variant of variants) {
        if (variant.needs && !help.includes(variant.needs)) continue;
        const label = [`${v.name} (${version?.replace('runsc version ', '')})`, platform, variant.name];
        const cells: string[] = [];
        let sandboxCell = '';
        for (const lang of languages) {
          const empty = await best(runscOnce(v, platform, variant, lang, 0));
          if ('fails' in empty) {
            cells.push(`fails: ${empty.fails}`);
            continue;
          }
          if (lang === languages[0]) sandboxCell = `${fmt(empty.cpuMs)} / ${fmt(empty.wallMs)}`;
          const loop = await best(runscOnce(v, platform, variant, lang, n));
          if ('fails' in loop) {
            cells.push(`fails: ${loop.fails}`);
            continue;
          }
          const cpu = (loop.cpuMs - empty.cpuMs) / n;
          const wall = (loop.wallMs - empty.wallMs) / n;
          const h = host.get(lang.name)!;
          cells.push(
            `${fmt(cpu)} (${(cpu / h.cpuMs).toFixed(1)}x) / ${fmt(wall)} (${(wall / h.wallMs).toFixed(1)}x)`,
          );
        }
        rows.push([...label, sandboxCell, ...cells]);
        console.log(`  ${rows.at(-1)!.join(' | ')}`);
      }
    }
  }

  const header = [
    'runsc',
    'platform',
    'flags',
    'sandbox start+remove CPU / wall ms',
    'python3 -c pass CPU ms (x host) / wall ms (x host)',
    'node -e 0 CPU ms (x host) / wall ms (x host)',
  ];
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  const hp = host.get('python')!;
  const hn = host.get('node')!;
  console.log(
    `| host (chroot) | | | | ${fmt(hp.cpuMs)} / ${fmt(hp.wallMs)} | ${fmt(hn.cpuMs)} / ${fmt(hn.wallMs)} |`,
  );
}
