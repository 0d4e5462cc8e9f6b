import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces, hostname as hostHostname } from 'node:os';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execute, newUser, type TestUser } from '../support/api.js';
import { waitFor } from '../support/stack.js';

// Programs that attack the sandbox, through the API on the real stack. Every program prints
// its sandbox's hostname first (Docker's container id), so the test can check that exactly that
// container is gone afterwards while the warm pool's never-used sandboxes stay. Several attacks
// share one execution where they leave the same verdict, to keep the suite short.
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let user: TestUser;
const canary = inject('canary');

const prelude = 'import socket, sys\nprint(socket.gethostname(), flush=True)\n';

interface Result {
  status: string;
  output: string;
  error: string;
  [k: string]: unknown;
}

async function attack(code: string, more: Record<string, unknown> = {}): Promise<Result> {
  const r = (await execute(user.token, { language: 'python', code: prelude + code, ...more })) as Result;
  // No secret of the platform reaches a program, whatever it does.
  expect(r.output).not.toContain(canary);
  expect(r.error).not.toContain(canary);
  return r;
}

/** Host processes whose command line names the container (runsc's sandbox, gofer, shim). */
function hostProcessesOf(containerId: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(containerId)) found.push(`${pid} ${cmd.replaceAll('\0', ' ').slice(0, 80)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The attacked sandbox is removed, no host process of it is left, and the agent still serves. */
async function afterAttack(r: Result): Promise<void> {
  const id = r.output.split('\n')[0]!;
  expect(id).toMatch(/^[0-9a-f]{12}$/);
  await waitFor(
    `container ${id} to be removed`,
    async () => {
      const ours = await docker.listContainers({
        all: true,
        filters: { label: [`dev.muscode.runner=${inject('runnerId')}`] },
      });
      return ours.some((c) => c.Id.startsWith(id)) ? undefined : true;
    },
    10_000,
  );
  await waitFor(
    `host processes of ${id} to end`,
    async () => (hostProcessesOf(id).length === 0 ? true : undefined),
    10_000,
  );
  const next = await execute(user.token, { language: 'python', code: 'print(6 * 7)' });
  expect(next.status).toBe('completed');
  expect(next.output).toBe('42\n');
}

const lines = (r: Result) => r.output.split('\n').slice(1);

let hostnameBefore = '';
beforeAll(async () => {
  user = await newUser();
  hostnameBefore = hostHostname();
});

afterAll(() => {
  // Nothing outside the sandbox changed: the host's hostname is the same.
  expect(hostHostname()).toBe(hostnameBefore);
});

describe('hostile: resource exhaustion', () => {
  it('fork bomb: stopped by the process limit, runtime_error', async () => {
    const r = await attack('import os\nwhile True:\n    os.fork()', { processes: 16 });
    expect(r.status).toBe('runtime_error');
    expect(r.error).toMatch(/BlockingIOError|Resource temporarily unavailable/);
    await afterAttack(r);
  });

  it('thread bomb: stopped by the process limit, runtime_error', async () => {
    const r = await attack(
      'import threading, time\nn = 0\nwhile True:\n    threading.Thread(target=time.sleep, args=(100,), daemon=True).start()\n    n += 1',
      { processes: 16 },
    );
    expect(r.status).toBe('runtime_error');
    expect(r.error).toMatch(/can't start new thread|Resource temporarily unavailable/);
    await afterAttack(r);
  });

  it('memory bomb: killed by the OOM killer, memory_limit', async () => {
    const r = await attack("a = []\nwhile True:\n    a.append(b'x' * (1 << 20))", { memoryLimit: 64 });
    expect(r.status).toBe('memory_limit');
    await afterAttack(r);
  });

  it('disk fill: many files, one huge file, /tmp: each stops at its cap', async () => {
    const r = await attack(
      [
        'import os, errno',
        'def fill(d):',
        '    n = 0',
        '    try:',
        '        while True:',
        "            with open(os.path.join(d, f'f{n}'), 'wb') as f: f.write(b'y' * 65536)",
        '            n += 1',
        '    except OSError as e:',
        "        print(d, 'stopped', errno.errorcode[e.errno], n * 64 // 1024, 'MiB')",
        "fill('.')",
        "fill('/tmp')",
        'try:',
        "    with open('/tmp/huge', 'wb') as f:",
        '        while True: f.write(b"z" * (1 << 20))',
        'except OSError as e:',
        "    print('huge stopped', errno.errorcode[e.errno])",
      ].join('\n'),
      { workspaceSize: 8, fileSize: 4 * 1024 * 1024 },
    );
    expect(r.status).toBe('completed');
    const out = lines(r).join('\n');
    expect(out).toMatch(/^\. stopped ENOSPC [0-8] MiB$/m);
    expect(out).toMatch(/^\/tmp stopped ENOSPC [0-8] MiB$/m);
    // The one huge file stops at the file-size limit (EFBIG), or at the full tmpfs.
    expect(out).toMatch(/^huge stopped (EFBIG|ENOSPC)$/m);
    await afterAttack(r);
  });

  it('output flood: cut at the cap, output_limit', async () => {
    const r = await attack("while True:\n    sys.stdout.write('flood' * 1000)", { outputLimit: 4096 });
    expect(r.status).toBe('output_limit');
    expect(r.output.length).toBe(4096);
    expect(r.outputTruncated).toBe(true);
    await afterAttack(r);
  });

  it('busy loop and sleep forever: timeout at the wall limit', async () => {
    const busy = await attack('while True: pass', { timeout: 1, cpuTime: 5 });
    expect(busy.status).toBe('timeout');
    await afterAttack(busy);
    const sleeper = await attack('import time\ntime.sleep(10 ** 6)', { timeout: 1 });
    expect(sleeper.status).toBe('timeout');
    await afterAttack(sleeper);
  });

  it('a daemon that outlives the main process dies with the run', async () => {
    const r = await attack(
      [
        'import os, subprocess',
        "subprocess.Popen(['sleep', '1000'], start_new_session=True, stdout=subprocess.DEVNULL)",
        'if os.fork() == 0:',
        '    os.setsid()',
        '    if os.fork() == 0:',
        '        import time',
        '        while True: time.sleep(1)',
        '    os._exit(0)',
        "print('parent leaves')",
      ].join('\n'),
    );
    expect(r.status).toBe('completed');
    expect(lines(r)).toContain('parent leaves');
    expect(r.executionTime as number).toBeLessThan(3);
    await afterAttack(r);
  });

  it('open-file exhaustion: stopped at the open-files limit', async () => {
    const r = await attack(
      "import os\nfds = []\ntry:\n    while True: fds.append(os.open('/dev/null', os.O_RDONLY))\nexcept OSError as e:\n    print('stopped', e.errno, len(fds))",
      { openFiles: 64 },
    );
    expect(r.status).toBe('completed');
    const [, errno, count] = lines(r)[0]!.split(' ');
    expect(errno).toBe('24'); // EMFILE
    expect(Number(count)).toBeLessThanOrEqual(64);
    await afterAttack(r);
  });
});

describe('hostile: reaching out', () => {
  it('has no network: no public address, bridge gateway, metadata, host Redis or PostgreSQL, DNS', async () => {
    const hostAddrs = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => a!.address);
    const targets = [
      ['1.1.1.1', 53],
      ['8.8.8.8', 443],
      ['172.17.0.1', 6379],
      ['172.17.0.1', 5432],
      ['169.254.169.254', 80],
      ...hostAddrs.flatMap((a) => [
        [a, 6379],
        [a, 5432],
      ]),
      ['127.0.0.1', 6379],
      ['127.0.0.1', 5432],
    ];
    const r = await attack(
      [
        'import json',
        `for host, port in json.loads(${JSON.stringify(JSON.stringify(targets))}):`,
        '    s = socket.socket()',
        '    s.settimeout(1)',
        '    try:',
        '        s.connect((host, port))',
        "        print('CONNECTED', host, port)",
        '    except OSError as e:',
        "        print('blocked', host, port, type(e).__name__)",
        'try:',
        "    print('DNS', socket.getaddrinfo('example.com', 80)[0][4])",
        'except OSError as e:',
        "    print('dns blocked', type(e).__name__)",
        "print('interfaces', sorted(n for _, n in socket.if_nameindex()))",
      ].join('\n'),
      { timeout: 30 },
    );
    expect(r.status).toBe('completed');
    expect(r.output).not.toContain('CONNECTED');
    expect(r.output).not.toContain('DNS');
    expect(r.output).toContain('dns blocked');
    expect(lines(r).filter((l) => l.startsWith('blocked'))).toHaveLength(targets.length);
    expect(r.output).toContain("interfaces ['lo']");
    await afterAttack(r);
  });

  it('finds no host secret: /proc/1/environ, every environment, the Docker socket, symlinks out', async () => {
    const r = await attack(
      [
        'import os, glob',
        'def read(p):',
        '    try:',
        "        with open(p, 'rb') as f: return f.read()",
        '    except OSError as e:',
        '        return type(e).__name__.encode()',
        "print('proc1-environ', read('/proc/1/environ'))",
        "print('own-env', sorted(os.environ))",
        "blob = b''.join(read(p) for p in glob.glob('/proc/[0-9]*/environ'))",
        "blob += b''.join(read(p) for p in glob.glob('/proc/[0-9]*/cmdline'))",
        "print('env-bytes', len(blob))",
        "sys.stdout.buffer.write(blob.replace(b'\\0', b' ') + b'\\n')",
        "print('docker.sock', os.path.exists('/var/run/docker.sock'), os.path.exists('/run/docker.sock'))",
        "for name, target in [('shadow', '/etc/shadow'), ('sock', '/var/run/docker.sock'), ('root', '/proc/1/root/etc/hostname'), ('hostproc', '/proc/1/cwd')]:",
        '    os.symlink(target, name)',
        "    print('link', name, read(name)[:30])",
        "print('mounts', read('/proc/self/mounts').count(b'docker.sock'))",
      ].join('\n'),
    );
    expect(r.status).toBe('completed');
    // gVisor 2022-12 lets any uid read /proc/1/environ; the launcher's holds nothing secret
    // (its mode, and for a pooled sandbox its prepared command and starting limits).
    const environ = /^proc1-environ b'(.*)'$/m.exec(r.output)?.[1] ?? '';
    const keys = environ
      .split('\\x00')
      .map((kv) => kv.split('=')[0])
      .filter(Boolean);
    expect(new Set(keys)).toEqual(
      new Set(['PATH', 'HOSTNAME', 'MUSCODE_LAUNCHER_MODE', 'MUSCODE_PREPARE', 'MUSCODE_LIMITS', 'HOME']),
    );
    expect(r.output).toContain("own-env ['HOME', 'LANG', 'PATH', 'TMPDIR']");
    expect(r.output).toContain('docker.sock False False');
    expect(r.output).toContain("link shadow b'PermissionError'");
    expect(r.output).toContain("link sock b'FileNotFoundError'");
    expect(r.output).toContain("link root b'PermissionError'");
    expect(r.output).toContain('mounts 0');
    // Neither the agent's nor the control-plane's environment is anywhere in the sandbox.
    expect(r.output).not.toContain('AGENT_');
    expect(r.output).not.toContain('CP_');
    await afterAttack(r);
  });
});

describe('hostile: privileges', () => {
  it('cannot setuid, ptrace, open raw sockets, mount or change the hostname', async () => {
    const r = await attack(
      [
        'import os, ctypes, errno',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'def try_(name, fn):',
        '    try:',
        '        rc = fn()',
        '        err = ctypes.get_errno() if rc == -1 else 0',
        "        print(name, 'ALLOWED' if rc != -1 else errno.errorcode[err])",
        '    except OSError as e:',
        '        print(name, errno.errorcode[e.errno])',
        "try_('setuid', lambda: os.setuid(0) or 0)",
        "try_('setgid', lambda: os.setgid(0) or 0)",
        "try_('ptrace-launcher', lambda: libc.ptrace(16, 1, 0, 0))",
        "try_('raw-socket', lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) and 0)",
        "try_('packet-socket', lambda: socket.socket(17, socket.SOCK_RAW, 0) and 0)",
        "try_('mount', lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))",
        "try_('hostname', lambda: libc.sethostname(b'pwned', 5))",
        "try_('chroot', lambda: libc.chroot(b'/tmp'))",
        "try_('unshare-user', lambda: libc.unshare(0x10000000))",
        "print('uid', os.getuid(), 'hostname', socket.gethostname())",
        "print('caps', open('/proc/self/status').read().split('CapEff:')[1].split()[0])",
      ].join('\n'),
    );
    expect(r.status).toBe('completed');
    expect(r.output).not.toContain('ALLOWED');
    for (const op of [
      'setuid',
      'setgid',
      'ptrace-launcher',
      'raw-socket',
      'packet-socket',
      'mount',
      'hostname',
      'chroot',
      'unshare-user',
    ]) {
      expect(lines(r).find((l) => l.startsWith(`${op} `))).toMatch(/ (EPERM|EACCES|EINVAL)$/);
    }
    expect(r.output).toContain('uid 1000 hostname ' + r.output.split('\n')[0]);
    expect(r.output).toContain('caps 0000000000000000');
    await afterAttack(r);
  });
});
