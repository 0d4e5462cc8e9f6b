import type { Redis } from 'ioredis';
import {
  Counter,
  Gauge,
  Histogram,
  consumerGroup,
  createMetricsRegistry,
  redisKeys,
  type Registry,
} from '@muscode/common';
import type { RunnerRegistry } from '../runners/registry.js';
import type { SweepReport } from '../sweeper/service.js';
import type { MetricsRepo } from './repo.js';

const entryMs = (id: string) => Number(id.split('-')[0]);

/**
 * Prometheus metrics of the control-plane: the queue per region (read from Redis at scrape
 * time), the fleet, executions by status, verdicts and latencies. Labels are bounded: regions,
 * statuses and runner ids, never user or execution ids.
 */
export function createControlPlaneMetrics(deps: {
  redis: Redis;
  prefix: string;
  defaultRegion: string;
  runners: RunnerRegistry;
  repo: MetricsRepo;
}) {
  const registry: Registry = createMetricsRegistry('control-plane');
  const keys = redisKeys(deps.prefix);

  async function regions(): Promise<string[]> {
    const live = await deps.runners.live().catch(() => []);
    return [...new Set([deps.defaultRegion, ...live.map((r) => r.region)])];
  }

  async function queueState(region: string) {
    const key = keys.jobs(region);
    const [len, pending, groups, oldest] = await Promise.all([
      deps.redis.xlen(key),
      deps.redis.xpending(key, consumerGroup).catch(() => [0]) as Promise<unknown[]>,
      deps.redis.xinfo('GROUPS', key).catch(() => []) as Promise<unknown[][]>,
      deps.redis.xrange(key, '-', '+', 'COUNT', 1),
    ]);
    const group = groups.find((g) => g[g.indexOf('name') + 1] === consumerGroup);
    const lastDelivered = group ? String(group[group.indexOf('last-delivered-id') + 1]) : '0-0';
    const [firstWaiting] = await deps.redis.xrange(key, `(${lastDelivered}`, '+', 'COUNT', 1);
    const now = Date.now();
    return {
      len,
      pending: Number(pending[0] ?? 0),
      oldestAge: oldest[0] ? (now - entryMs(oldest[0][0])) / 1000 : 0,
      oldestWaitingAge: firstWaiting ? (now - entryMs(firstWaiting[0])) / 1000 : 0,
    };
  }

  const queueGauge = (
    name: string,
    help: string,
    pick: (s: Awaited<ReturnType<typeof queueState>>) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['region'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const region of await regions()) {
          const state = await queueState(region).catch(() => undefined);
          if (state) this.set({ region }, pick(state));
        }
      },
    });
  queueGauge('muscode_queue_depth', 'Jobs in the region stream: waiting plus running.', (s) => s.len);
  queueGauge('muscode_queue_pending', 'Jobs delivered to an agent and not yet done.', (s) => s.pending);
  queueGauge(
    'muscode_queue_oldest_age_seconds',
    'Age of the oldest job waiting or running.',
    (s) => s.oldestAge,
  );
  queueGauge(
    'muscode_queue_oldest_waiting_age_seconds',
    'Age of the oldest job no agent has taken yet.',
    (s) => s.oldestWaitingAge,
  );

  new Gauge({
    name: 'muscode_executions_active',
    help: 'Executions queued or running, by status (from the database).',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await deps.repo.activeByStatus().catch(() => undefined);
      if (!rows) return;
      this.set({ status: 'queued' }, 0);
      this.set({ status: 'running' }, 0);
      for (const r of rows) this.set({ status: r.status }, r.n);
    },
  });

  const fleet = async () => deps.runners.all().catch(() => []);
  new Gauge({
    name: 'muscode_runners',
    help: 'Runner agents by region and state (live, draining, gone).',
    labelNames: ['region', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const r of await fleet()) {
        const k = `${r.region}\u0000${r.state}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      for (const [k, n] of counts) {
        const [region = '', state = ''] = k.split('\u0000');
        this.set({ region, state }, n);
      }
    },
  });
  new Gauge({
    name: 'muscode_runner_heartbeat_age_seconds',
    help: 'Seconds since each runner agent last sent a heartbeat.',
    labelNames: ['runner', 'region'],
    registers: [registry],
    async collect() {
      this.reset();
      const now = Date.now();
      for (const r of await fleet())
        this.set({ runner: r.runnerId, region: r.region }, (now - r.seenAt) / 1000);
    },
  });
  new Gauge({
    name: 'muscode_runner_executions',
    help: 'Executions running and slots, summed over live agents per region.',
    labelNames: ['region', 'kind'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await fleet()).filter((x) => x.state !== 'gone')) {
        this.inc({ region: r.region, kind: 'running' }, r.running);
        this.inc({ region: r.region, kind: 'capacity' }, r.capacity);
      }
    },
  });
  new Gauge({
    name: 'muscode_runner_pool_warm',
    help: 'Warm sandboxes per agent pool, as the agents report them.',
    labelNames: ['runner', 'pool'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await fleet()).filter((x) => x.state !== 'gone')) {
        for (const p of r.pools ?? []) this.set({ runner: r.runnerId, pool: p.name }, p.warm);
      }
    },
  });

  const heartbeats = new Counter({
    name: 'muscode_runner_heartbeats_total',
    help: 'Heartbeats received from runner agents.',
    labelNames: ['region'],
    registers: [registry],
  });
  const verdicts = new Counter({
    name: 'muscode_executions_finished_total',
    help: 'Executions finished, by final status (verdict).',
    labelNames: ['status'],
    registers: [registry],
  });
  const queueWait = new Histogram({
    name: 'muscode_execution_queue_wait_seconds',
    help: 'Time from submission to an agent starting the execution.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const runTime = new Histogram({
    name: 'muscode_execution_run_seconds',
    help: 'Wall time of the program run, as measured by the agent.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  });
  const sweeps = new Counter({
    name: 'muscode_sweeper_executions_total',
    help: 'Executions the sweeper re-queued or failed.',
    labelNames: ['action'],
    registers: [registry],
  });

  return {
    registry,
    heartbeat: (region: string) => heartbeats.inc({ region }),
    started: (queueMs: number) => queueWait.observe(queueMs / 1000),
    finished: (status: string, wallMs: number) => {
      verdicts.inc({ status });
      runTime.observe(wallMs / 1000);
    },
    swept: (r: SweepReport) => {
      if (r.requeued) sweeps.inc({ action: 'requeued' }, r.requeued);
      if (r.failed) sweeps.inc({ action: 'failed' }, r.failed);
    },
  };
}

export type ControlPlaneMetrics = ReturnType<typeof createControlPlaneMetrics>;
