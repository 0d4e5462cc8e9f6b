import { Counter, Gauge, Histogram, createMetricsRegistry } from '@muscode/common';
import type { ConsumerHooks } from '../consumer/job-consumer.js';

/** Prometheus metrics of one runner agent. Label values are bounded (no ids). */
export function createAgentMetrics(opts: { region: string; capacity: number; running: () => number }) {
  const registry = createMetricsRegistry('runner-agent');
  const labels = { region: opts.region };
  new Gauge({
    name: 'muscode_agent_running_executions',
    help: 'Executions this agent is running now.',
    labelNames: ['region'],
    registers: [registry],
    collect() {
      this.set(labels, opts.running());
    },
  });
  new Gauge({
    name: 'muscode_agent_capacity',
    help: 'Executions this agent runs at once.',
    labelNames: ['region'],
    registers: [registry],
    collect() {
      this.set(labels, opts.capacity);
    },
  });
  const taken = new Counter({
    name: 'muscode_agent_jobs_taken_total',
    help: 'Job deliveries taken, by source (read, reclaim of a dead agent, own after restart).',
    labelNames: ['region', 'source'],
    registers: [registry],
  });
  const dead = new Counter({
    name: 'muscode_agent_jobs_dead_lettered_total',
    help: 'Jobs moved to the dead-letter stream, by reason.',
    labelNames: ['region', 'reason'],
    registers: [registry],
  });
  const heartbeats = new Counter({
    name: 'muscode_agent_heartbeats_total',
    help: 'Heartbeats sent to the control-plane, by outcome.',
    labelNames: ['region', 'outcome'],
    registers: [registry],
  });
  const attemptSeconds = new Histogram({
    name: 'muscode_agent_attempt_seconds',
    help: 'Time of one attempt from taking the job to its result reaching the control-plane.',
    labelNames: ['region', 'outcome'],
    buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const sandboxStartSeconds = new Histogram({
    name: 'muscode_agent_sandbox_start_seconds',
    help: 'Time to create, attach and start one gVisor sandbox (pool refills and cold starts).',
    labelNames: ['region', 'outcome'],
    buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
    registers: [registry],
  });
  const runs = new Counter({
    name: 'muscode_agent_runs_total',
    help:
      'Submissions run, by how their sandbox was ready: prepared (pooled, interpreter loaded ahead), ' +
      'warm (pooled sandbox, interpreter started for the run) or cold (sandbox started for the run).',
    labelNames: ['region', 'start'],
    registers: [registry],
  });
  const hooks: ConsumerHooks = {
    taken: (source, count) => taken.inc({ ...labels, source }, count),
    deadLettered: (reason) => dead.inc({ ...labels, reason }),
  };
  return {
    registry,
    hooks,
    ran: (start: 'prepared' | 'warm' | 'cold') => runs.inc({ ...labels, start }),
    heartbeat: (ok: boolean) => heartbeats.inc({ ...labels, outcome: ok ? 'ok' : 'failed' }),
    /** Wraps one sandbox start to time it. */
    async timeSandboxStart<T>(start: () => Promise<T>): Promise<T> {
      const end = sandboxStartSeconds.startTimer(labels);
      try {
        const out = await start();
        end({ outcome: 'started' });
        return out;
      } catch (err) {
        end({ outcome: 'failed' });
        throw err;
      }
    },
    /** Wraps one attempt to time it. */
    async timeAttempt<T>(work: () => Promise<T>): Promise<T> {
      const end = attemptSeconds.startTimer(labels);
      try {
        const out = await work();
        end({ outcome: 'reported' });
        return out;
      } catch (err) {
        end({ outcome: 'failed' });
        throw err;
      }
    },
  };
}
