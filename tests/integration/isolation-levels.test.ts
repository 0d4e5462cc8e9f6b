import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  findLanguage,
  languageVersions,
  loadLanguageManifest,
  sandboxImageName,
  type Job,
  type JobLimits,
} from '@muscode/common';
import { sandboxSpec, type Isolation } from '../../runner-agent/src/engine/container-spec.js';
import { executeOnSession } from '../../runner-agent/src/engine/run.js';
import { createWarmPool } from '../../runner-agent/src/pool/warm-pool.js';
import { createCgroupMemory } from '../../runner-agent/src/sandbox/cgroup.js';
import { createDockerDriver } from '../../runner-agent/src/sandbox/docker.js';
import { imageRepo } from '../support/stack.js';

// The agent's warm pool and engine on the real Docker + runsc, one pool per isolation level:
// what each level shares between executions, and what it never shares.
const manifest = loadLanguageManifest();
// The newest python (the version a request without one gets).
const python = languageVersions(findLanguage(manifest, 'python')!).at(-1)!;
const image = sandboxImageName(python.image, imageRepo);
const runnerId = `isolation-test-${process.pid}`;
const driver = createDockerDriver('/var/run/docker.sock');
const lm = manifest.limits;
const limits: JobLimits = {
  timeoutMs: 5000,
  cpuTimeMs: 5000,
  compileTimeoutMs: 10000,
  memoryMb: lm.memoryMb.default,
  cpus: lm.cpus.default,
  processes: lm.processes.default,
  openFiles: lm.openFiles.default,
  fileSizeBytes: lm.fileSizeBytes.default,
  workspaceMb: lm.workspaceMb.default,
  outputBytes: lm.outputBytes.default,
};

// Prints: the container (Docker's /etc/hostname), uid, leftovers of earlier runs, other
// processes it can see; then leaves a file, a /tmp file and a daemon behind.
const probe = `
import os, glob, subprocess
print(open('/etc/hostname').read().strip())
print(os.getuid())
print(sorted([f for f in glob.glob('*') if f != 'main.py'] + glob.glob('/tmp/*') + [d for d in glob.glob('/workspace/.jail-*') if d != os.getcwd()]))
print(sum(1 for p in glob.glob('/proc/[0-9]*') if os.path.basename(p) != str(os.getpid()) and 'sleep' in open(p + '/cmdline').read()))
open('left.txt', 'w').write('x')
open('/tmp/left.txt', 'w').write('x')
subprocess.Popen(['sleep', '1000'], start_new_session=True)
`;

let n = 0;
const job = (ownerId: string): Job => ({
  executionId: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  ownerId,
  language: 'python',
  files: [{ path: 'main.py', content: probe }],
  mainFile: 'main.py',
  args: [],
  stdin: '',
  interactive: false,
  limits,
  enqueuedAt: Date.now(),
});

function levelPool(isolation: Isolation) {
  const removals: Promise<unknown>[] = [];
  const pool = createWarmPool({
    driver,
    // As the agent makes them: each sandbox loads python ahead for its next submission.
    specFor: (img) =>
      sandboxSpec({
        image: img,
        runtime: 'runsc',
        runnerId,
        limits,
        memoryOverheadMb: 32,
        isolation,
        prepare: { command: python.prepare!, limits },
      }),
    preparedFor: () => python.id,
    images: [image],
    config: { isolation, size: 1, maxRuns: 3, maxAgeMs: 60_000, startConcurrency: 2 },
    log: createLogger('test', 'warn'),
    track: (p) => removals.push(p.catch(() => undefined)),
  });
  const run = async (owner: string) => {
    const lease = await pool.acquire(image, owner);
    const r = await executeOnSession({
      session: lease.session,
      job: job(owner),
      lang: python,
      graceMs: 5000,
      cgroup: createCgroupMemory('/sys/fs/cgroup/memory/docker'),
    });
    lease.release(r.reusable && isolation !== 'sandbox' && (await lease.session.nextReady(3000)));
    expect(r.verdict).toBe('completed');
    // Every run here went through the prepared interpreter: what it leaves or sees is checked.
    expect(r.run?.prepared).toBe(true);
    const [container, uid, leftovers, sleepers] = r.stdout.toString().trim().split('\n');
    return { container: container!, uid: Number(uid), leftovers: leftovers!, sleepers: Number(sleepers) };
  };
  const stop = async () => {
    await pool.stop();
    await Promise.all(removals);
  };
  return { run, stop, pool };
}

afterAll(async () => {
  await driver.reap(runnerId);
});

describe('isolation levels', () => {
  it('sandbox: every execution gets a sandbox no one used', async () => {
    const level = levelPool('sandbox');
    const a = await level.run('alice');
    const b = await level.run('alice');
    expect(b.container).not.toBe(a.container);
    expect(b.leftovers).toBe('[]');
    expect(a.uid).toBe(1000);
    await level.stop();
  });

  it('owner: the same owner gets a wiped sandbox back, another owner never does', async () => {
    const level = levelPool('owner');
    const a1 = await level.run('alice');
    const a2 = await level.run('alice');
    expect(a2.container).toBe(a1.container);
    expect(a2.leftovers).toBe('[]');
    expect(a2.sleepers).toBe(0);
    const b = await level.run('bob');
    expect(b.container).not.toBe(a1.container);
    // Recycled after maxRuns (3): alice's third run still reuses, her fourth does not.
    const a3 = await level.run('alice');
    expect(a3.container).toBe(a1.container);
    const a4 = await level.run('alice');
    expect(a4.container).not.toBe(a1.container);
    await level.stop();
  });

  it('jail: one sandbox serves many owners, each run in its own uid with nothing left of the last', async () => {
    const level = levelPool('jail');
    const a = await level.run('alice');
    const b = await level.run('bob');
    expect(b.container).toBe(a.container);
    expect(b.uid).not.toBe(a.uid);
    expect(a.uid).toBeGreaterThanOrEqual(20000);
    expect(b.leftovers).toBe('[]');
    expect(b.sleepers).toBe(0);
    await level.stop();
  });

  it('replaces an idle pooled sandbox that something outside killed', async () => {
    const level = levelPool('jail');
    const pooled = async () => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const [c] = await new Docker().listContainers({
          filters: { label: [`dev.muscode.runner=${runnerId}`], status: ['running'] },
        });
        if (c && level.pool.idleCount() === 1) return c.Id;
        if (Date.now() > deadline) throw new Error('no pooled sandbox');
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    level.pool.fill();
    const first = await pooled();
    await new Docker().getContainer(first).kill();
    const second = await pooled();
    expect(second).not.toBe(first);
    const a = await level.run('alice');
    expect(a.container).toBe(second.slice(0, 12));
    await level.stop();
  });
});
