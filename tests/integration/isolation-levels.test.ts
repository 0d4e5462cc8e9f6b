import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import type { Isolation } from '../../runner-agent/src/engine/container-spec.js';
import { engineHarness, newestLanguage, testLimits } from '../support/sandbox-pool.js';

// The agent's warm pool and engine on the real Docker + runsc, one pool per isolation level:
// what each level shares between executions, and what it never shares.
// The newest python (the version a request without one gets).
const python = newestLanguage('python');
const engine = engineHarness('isolation', testLimits(5000));
const { runnerId } = engine;

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

function levelPool(isolation: Isolation) {
  // As the agent makes them: each sandbox loads python ahead for its next submission.
  const level = engine.pool({ isolation, lang: python, startConcurrency: 2, cgroup: true });
  const run = async (owner: string) => {
    const r = await level.run(owner, engine.job(owner, python, probe));
    expect(r.verdict).toBe('completed');
    // Every run here went through the prepared interpreter: what it leaves or sees is checked.
    expect(r.run?.prepared).toBe(true);
    const [container, uid, leftovers, sleepers] = r.stdout.toString().trim().split('\n');
    return { container: container!, uid: Number(uid), leftovers: leftovers!, sleepers: Number(sleepers) };
  };
  return { run, stop: level.stop, pool: level.pool };
}

afterAll(async () => {
  await engine.reap();
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
