import { afterAll, describe, expect, it } from 'vitest';
import type { LanguageVersion } from '@muscode/common';
import type { Isolation } from '../../runner-agent/src/engine/container-spec.js';
import { engineHarness, newestLanguage, testLimits } from '../support/sandbox-pool.js';

// One tenant's run attacks the next run in the same reused sandbox (the agent's warm pool and
// engine on the real Docker + runsc, as in tests/integration/isolation-levels.test.ts): it
// leaves files where Node and Python resolve modules and `package.json` from (parent folders,
// /tmp, /dev/shm, /var/tmp), pre-makes the folders the next run would get, leaves SysV IPC
// objects and POSIX message queues. The next run must see none of it and run as it would in a
// sandbox no one used. At the free tier's limits: 64 MB, 5 s.
const python = newestLanguage('python');
const node = newestLanguage('javascript');
const engine = engineHarness('cross-tenant', testLimits(5000, { memoryMb: 64 }));

/** A pool of one reused sandbox of lang's image; extraEnv goes to the launcher. */
function pool(isolation: Isolation, lang: LanguageVersion, extraEnv: Record<string, string> = {}) {
  const level = engine.pool({
    isolation,
    lang,
    extraEnv,
    maxRuns: 20,
    maxAgeMs: 120_000,
    cgroup: true,
    nextReadyMs: 5000,
  });
  const run = async (owner: string, code: string) => {
    const r = await level.run(owner, engine.job(owner, lang, code));
    return { verdict: r.verdict, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  };
  return { run, stop: level.stop };
}

afterAll(async () => {
  await engine.reap();
});

// Prints the hostname (the container), the uid, and what it finds in every writable place.
const pyLook = `
import os
def ls(d):
    try:
        return sorted(f for f in os.listdir(d) if f != 'main.py')
    except OSError as e:
        return os.strerror(e.errno)
print(open('/etc/hostname').read().strip(), os.getuid())
print([ls(d) for d in ('/workspace', '/tmp', '/dev/shm', '/var/tmp')])
`;

const pyLeave = `${pyLook}
def put(path, text):
    try:
        os.makedirs(os.path.dirname(path), mode=0o777, exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, 0o666)
        return 'wrote'
    except OSError as e:
        return os.strerror(e.errno)
evil = 'print("the first tenant\\'s code")\\n'
# Where python resolves \`import json\` from, and the folders a later jail would get.
targets = ['./json.py', '/workspace/json.py', '/tmp/json.py', '/dev/shm/json.py', '/var/tmp/json.py']
targets += [f'/workspace/.jail-{i}/json.py' for i in range(1, 4)]
print([put(t, evil) for t in targets])
`;

const nodeLook = `
const fs = require('fs');
const ls = (d) => { try { return fs.readdirSync(d).filter((f) => f !== 'main.js').sort(); } catch (e) { return e.code; } };
console.log(fs.readFileSync('/etc/hostname', 'utf8').trim(), process.getuid());
console.log(JSON.stringify(['/workspace', '/tmp', '/dev/shm', '/var/tmp'].map(ls)));
`;

const nodeLeave = `${nodeLook}
const path = require('path');
const put = (p, text) => {
  try { fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o777 }); fs.writeFileSync(p, text, { mode: 0o666 }); return 'wrote'; }
  catch (e) { return e.code; }
};
const evil = 'console.log("the first tenant\\'s code"); module.exports = 1;';
// Node resolves node_modules and package.json "type" from every parent folder of the main file.
const results = [
  put('/workspace/package.json', '{"type":"module"}'),
  put('/workspace/node_modules/leak/index.js', evil),
  put('/tmp/node_modules/leak/index.js', evil),
  put('/dev/shm/node_modules/leak/index.js', evil),
  put('/var/tmp/node_modules/leak/index.js', evil),
  ...[1, 2, 3].map((i) => put('/workspace/.jail-' + i + '/package.json', '{"type":"module"}')),
];
console.log(JSON.stringify(results));
`;

// A CommonJS program that loads 'leak' if anything left it where node looks.
const nodeVictim = `${nodeLook}
let leak;
try { require('leak'); leak = 'loaded'; } catch (e) { leak = e.code; }
console.log(typeof require, leak);
`;

const pyVictim = `${pyLook}
import json
print(json.__file__.startswith('/usr/'), json.dumps([1]))
`;

const lines = (s: string) => s.trim().split('\n');
// The first run may write everywhere that is its own for this run; the root filesystem
// (/var/tmp) is read-only (gVisor answers node's recursive mkdir there with ENOENT).
const pyWrote = `[${['wrote', 'wrote', 'wrote', 'wrote', 'Read-only file system', 'wrote', 'wrote', 'wrote'].map((w) => `'${w}'`).join(', ')}]`;
const nodeWrote = JSON.stringify(['wrote', 'wrote', 'wrote', 'wrote', 'ENOENT', 'wrote', 'wrote', 'wrote']);

describe('cross-tenant: nothing a run writes reaches the next run in a reused sandbox', () => {
  it('jail, node: package.json, node_modules and the next jail folder left behind do not reach another owner', async () => {
    const level = pool('jail', node);
    const a = await level.run('alice', nodeLeave);
    expect(a.verdict).toBe('completed');
    const [aHost, aUid] = lines(a.stdout)[0]!.split(' ');
    expect(lines(a.stdout)[2]).toBe(nodeWrote);

    const b = await level.run('bob', nodeVictim);
    expect(b.stderr).toBe('');
    expect(b.verdict).toBe('completed');
    const [bHost, bUid] = lines(b.stdout)[0]!.split(' ');
    expect(bHost).toBe(aHost);
    expect(bUid).not.toBe(aUid);
    expect(lines(b.stdout).slice(1)).toEqual(['[[],[],[],[]]', 'function MODULE_NOT_FOUND']);
    await level.stop();
  });

  it('jail, python: modules and pre-made folders left behind do not reach another owner', async () => {
    const level = pool('jail', python);
    const a = await level.run('alice', pyLeave);
    expect(a.verdict).toBe('completed');
    expect(lines(a.stdout)[2]).toBe(pyWrote);
    for (const owner of ['bob', 'carol']) {
      const b = await level.run(owner, pyVictim);
      expect(b.stderr).toBe('');
      expect(b.verdict).toBe('completed');
      expect(lines(b.stdout)[0]!.split(' ')[0]).toBe(lines(a.stdout)[0]!.split(' ')[0]);
      expect(lines(b.stdout).slice(1)).toEqual(['[[], [], [], []]', 'True [1]']);
    }
    await level.stop();
  });

  it('owner: the next run of the same owner finds no file, module or package.json of the last', async () => {
    const py = pool('owner', python);
    const a = await py.run('alice', pyLeave);
    expect(lines(a.stdout)[2]).toBe(pyWrote);
    const a2 = await py.run('alice', pyVictim);
    expect(a2.verdict).toBe('completed');
    expect(lines(a2.stdout)[0]).toBe(lines(a.stdout)[0]);
    expect(lines(a2.stdout).slice(1)).toEqual(['[[], [], [], []]', 'True [1]']);
    await py.stop();

    const js = pool('owner', node);
    const b = await js.run('alice', nodeLeave);
    expect(lines(b.stdout)[2]).toBe(nodeWrote);
    const b2 = await js.run('alice', nodeVictim);
    expect(b2.stderr).toBe('');
    expect(lines(b2.stdout)[0]).toBe(lines(b.stdout)[0]);
    expect(lines(b2.stdout).slice(1)).toEqual(['[[],[],[],[]]', 'function MODULE_NOT_FOUND']);
    await js.stop();
  });

  // SysV shared memory, message queue and semaphore set under fixed keys, and a POSIX message
  // queue: made by one run, looked up by the next.
  const ipc = (create: boolean) => `
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
flags = 0o1600 if ${create ? 'True' : 'False'} else 0  # IPC_CREAT | 0600
def res(v):
    return 'made' if v >= 0 else errno.errorcode[ctypes.get_errno()]
print(open('/etc/hostname').read().strip())
print(res(libc.shmget(0x4d55, 4096, flags)), res(libc.msgget(0x4d56, flags)),
      res(libc.semget(0x4d57, 1, flags)),
      res(libc.mq_open(b'/muscode-leak', (os.O_CREAT | os.O_RDWR) if flags else os.O_RDWR, 0o600, None)))
`;

  for (const isolation of ['owner', 'jail'] as const) {
    it(`${isolation}: SysV IPC objects and POSIX message queues of a run are gone for the next`, async () => {
      const level = pool(isolation, python);
      const a = await level.run('alice', ipc(true));
      expect(a.stderr).toBe('');
      expect(lines(a.stdout)[1]).toBe('made made made made');
      const b = await level.run('alice', ipc(false));
      expect(lines(b.stdout)[0]).toBe(lines(a.stdout)[0]);
      expect(lines(b.stdout)[1]).toBe('ENOENT ENOENT ENOENT ENOENT');
      await level.stop();
    });
  }

  it('owner: the replaced mounts free their memory, so runs that fill the workspace do not add up', async () => {
    // 40 MB in the workspace per run, at a 64 MB memory limit: three such runs would need 120 MB
    // if an earlier run's tmpfs stayed in memory.
    const fill = `${pyLook}
chunk = b'x' * (1 << 20)
for n in range(4):  # files under the 16 MB file size limit
    with open(f'big{n}', 'wb') as f:
        for _ in range(10):
            f.write(chunk)
print(sum(os.path.getsize(f'big{n}') for n in range(4)) >> 20)
`;
    const level = pool('owner', python);
    const hosts = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await level.run('alice', fill);
      expect(r.verdict).toBe('completed');
      expect(lines(r.stdout).slice(1)).toEqual(['[[], [], [], []]', '40']);
      hosts.add(lines(r.stdout)[0]!.split(' ')[0]!);
    }
    expect(hosts.size).toBe(1);
    await level.stop();
  });

  it('jail: a uid is never handed out twice in one sandbox; past the last one the sandbox ends', async () => {
    // The launcher's bound, lowered for the test: two submissions per sandbox.
    const level = pool('jail', python, { MUSCODE_JAIL_UIDS: '2' });
    const leave = `${pyLook}\nopen('/tmp/mine', 'w').write('secret')\nopen('mine', 'w').write('secret')\n`;
    const seen = [];
    for (const owner of ['alice', 'bob', 'carol']) {
      const r = await level.run(owner, leave);
      expect(r.verdict).toBe('completed');
      const [host, uid] = lines(r.stdout)[0]!.split(' ');
      seen.push({ host, uid, found: lines(r.stdout)[1] });
    }
    expect(seen[1]!.host).toBe(seen[0]!.host);
    expect(seen[1]!.uid).not.toBe(seen[0]!.uid);
    // carol's run needed a third uid: she got a new sandbox, where alice's uid starts afresh.
    expect(seen[2]!.host).not.toBe(seen[0]!.host);
    expect(seen.map((s) => s.found)).toEqual(Array(3).fill('[[], [], [], []]'));
    await level.stop();
  });
});
