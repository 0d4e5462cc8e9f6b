import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managedLabel, runnerLabel } from '../../runner-agent/src/sandbox/docker-spec.js';
import { api, newAdmin, newUser, waitForResult } from '../support/api.js';
import { startOwnRegion, type OwnRegion } from '../support/own-region.js';
import { waitFor } from '../support/stack.js';

/**
 * A Docker socket of the agent's own that the test can take away: a proxy to the shared
 * dockerd. Closing it removes the socket file and cuts every connection, as a stopped or
 * restarting dockerd does (`connect ENOENT`), without touching the shared daemon.
 */
function dockerProxy(path: string) {
  let server: Server | undefined;
  const conns = new Set<Socket>();
  return {
    up: () =>
      new Promise<void>((resolve) => {
        if (server?.listening) return resolve();
        server = createServer((client) => {
          const upstream = createConnection('/var/run/docker.sock');
          conns.add(client).add(upstream);
          const drop = () => {
            client.destroy();
            upstream.destroy();
            conns.delete(client);
            conns.delete(upstream);
          };
          client.on('error', drop).on('close', drop);
          upstream.on('error', drop).on('close', drop);
          client.pipe(upstream).pipe(client);
        });
        server.listen(path, resolve);
      }),
    down: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.destroy();
        conns.clear();
        if (!server?.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

describe('an agent whose Docker Engine goes away', () => {
  const dir = mkdtempSync(join(tmpdir(), 'muscode-docker-proxy-'));
  const proxy = dockerProxy(join(dir, 'docker.sock'));
  let own: OwnRegion;
  beforeAll(async () => {
    await proxy.up();
    own = await startOwnRegion('rt');
    own.startAgent('rt', {
      AGENT_CAPACITY: '1',
      AGENT_DOCKER_SOCKET: join(dir, 'docker.sock'),
      AGENT_HEALTH_INTERVAL_MS: '500',
      AGENT_RECLAIM_INTERVAL_MS: '1000',
    });
    await waitFor('the agent', async () => (await own.heartbeat('rt')) ?? undefined, 60_000, 200);
  });
  afterAll(async () => {
    await proxy.up();
    await own?.stop();
    await proxy.down();
    rmSync(dir, { recursive: true, force: true });
  });

  const mine = () =>
    docker(
      'ps',
      '-a',
      '--filter',
      `label=${managedLabel}=true`,
      '--filter',
      `label=${runnerLabel}=${own.agentId('rt')}`,
      '--format',
      '{{.ID}} {{.State}}',
    )
      .split('\n')
      .filter(Boolean);

  it('takes no jobs while Docker is down, says so in its heartbeat, and runs them once it is back', async () => {
    const user = await newUser();
    const hello = { language: 'python', code: 'print("hello")\n', region: own.region };
    const before = await api('POST', '/execute', { token: user.token, body: hello });
    expect((await waitForResult(user.token, before.body.data.executionId, 60_000)).status).toBe('completed');

    await proxy.down();
    // The agent keeps beating, now with the reason it takes no jobs.
    const beat = await waitFor(
      'an unhealthy heartbeat',
      async () => {
        const b = await own.heartbeat('rt');
        return typeof b?.['unhealthy'] === 'string' ? b : undefined;
      },
      20_000,
      100,
    );
    // `connect ENOENT` once the socket is gone (or EPIPE/ECONNRESET for a probe cut mid-way).
    expect(String(beat['unhealthy'])).toMatch(/^container runtime not answering: /);
    // Runner details are for administrators; the public answer says only up or degraded.
    const admin = await newAdmin();
    const health = (await (
      await fetch(`${own.cpUrl}/health`, { headers: { authorization: `Bearer ${admin.token}` } })
    ).json()) as {
      runners: { id: string; healthy: boolean; reason?: string }[];
    };
    expect(health.runners.find((r) => r.id === own.agentId('rt'))).toMatchObject({ healthy: false });

    // Submitted while Docker is down: it waits, queued, instead of failing at once.
    const during = await api('POST', '/execute', { token: user.token, body: hello });
    expect(during.status).toBe(200);
    const id = during.body.data.executionId as string;
    // Several health probes and reclaim rounds of the agent pass meanwhile.
    await new Promise((r) => setTimeout(r, 3000));
    const waiting = await api('GET', `/execute/${id}`, { token: user.token });
    expect(waiting.body.data.status).toBe('queued');
    expect(waiting.body.data.queuePosition).toBe(1);

    await proxy.up();
    const result = await waitForResult(user.token, id, 60_000);
    expect(result.status).toBe('completed');
    expect(result.output).toBe('hello\n');
    await waitFor(
      'a healthy heartbeat',
      async () => ((await own.heartbeat('rt'))?.['unhealthy'] ? undefined : true),
      20_000,
    );
  }, 120_000);

  it('removes its own sandboxes a Docker outage left behind, once Docker answers again', async () => {
    await proxy.up();
    const user = await newUser();
    const sleeper = await api('POST', '/execute', {
      token: user.token,
      body: {
        language: 'python',
        code: 'import time\nprint("up", flush=True)\ntime.sleep(60)\n',
        region: own.region,
      },
    });
    const id = sleeper.body.data.executionId as string;
    await waitFor(
      'the sleeper running',
      async () =>
        (await api('GET', `/execute/${id}`, { token: user.token })).body.data.status === 'running'
          ? true
          : undefined,
      60_000,
    );
    const [container] = mine();
    expect(container).toBeDefined();
    const containerId = container!.split(' ')[0]!;

    // What a dockerd restart does to a running agent: its connections drop, its sandboxes get
    // SIGTERM (Exited 143), and nothing it asks Docker meanwhile succeeds.
    await proxy.down();
    docker('kill', '--signal', 'TERM', containerId);
    await waitFor(
      'the sandbox exited',
      async () => (docker('inspect', '-f', '{{.State.Running}}', containerId) === 'false' ? true : undefined),
      30_000,
    );
    await waitFor(
      'the agent to see the outage',
      async () => (typeof (await own.heartbeat('rt'))?.['unhealthy'] === 'string' ? true : undefined),
      20_000,
    );
    expect(mine().map((l) => l.split(' ')[0])).toContain(containerId);

    await proxy.up();
    await waitFor(
      'the left-behind sandbox removed',
      async () => (mine().length === 0 ? true : undefined),
      60_000,
      250,
    );
    expect(mine()).toEqual([]);
  }, 180_000);
});
