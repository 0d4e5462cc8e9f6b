import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { consumerGroup, redisKeys, type Job } from '@muscode/common';
import { Verdict } from '@muscode/proto/runner/v1';
import { createAttemptCheck, type AttemptCheck } from '../../control-plane/src/infra/attempt-check.js';
import { createJobConsumer } from '../../runner-agent/src/consumer/job-consumer.js';
import { runJob } from '../../runner-agent/src/engine/job.js';
import { reportAbandoned } from '../../runner-agent/src/report/attempt-events.js';
import type { ControlPlane, ReportEvent } from '../../runner-agent/src/report/control-plane.js';
import type { FakeLauncher } from '../../runner-agent/src/testing/fake-driver.js';
import { createFakeEngine } from '../../runner-agent/src/testing/fake-engine.js';
import { testJob, testLimits } from '../../runner-agent/src/testing/jobs.js';
import { fileRedisPrefix } from '../support/file-db.js';
import { randomId, waitFor } from '../support/stack.js';

// The agent's job consumer (runner-agent/src/consumer) against the real Redis of the test stack,
// under a key prefix of this file's own, with the engine on the fake driver: no Docker. Agents
// here are consumers in this process; "killing" one stops its loop (no reads, no lease
// renewals) while its attempt hangs, as a dead process would leave it. tests/fleet covers real
// agent processes; this file covers what the consumer itself promises: acknowledgement only
// after the result, never more jobs than slots, renewed leases, reclaim of a lapsed one, the
// fence on a stale attempt's report and acknowledgement, poison jobs, retried reports.
const { redis, prefix } = fileRedisPrefix('consumer-test');
const keys = redisKeys(prefix);
const checkAttempt = createAttemptCheck(redis, { prefix });

const reclaimIdleMs = 400;

/** One attempt's report as the control-plane got it, with what the job queue said of it. */
interface Report {
  executionId: string;
  attempt: number;
  events: NonNullable<ReportEvent>[];
  /** The attempt check when the report stream opened (its first event) and when it finished. */
  checkedAtStart?: AttemptCheck;
  checkedAtFinish?: AttemptCheck;
  /** Whether the job's entry was still in the stream when the result landed. */
  entryAtFinish?: boolean;
}

/** A launcher that holds each submission until the test releases it, then prints `hello`. */
function gatedLauncher() {
  const held: (() => void)[] = [];
  const launcher: FakeLauncher = (_setup, io) => {
    held.push(() => {
      io.send('o', 'hello\n');
      io.result({});
      io.end();
    });
  };
  return { launcher, held, release: () => held.shift()?.() };
}

interface AgentOptions {
  region: string;
  capacity?: number;
  maxAttempts?: number;
  budgetMs?: number;
  /** Whether its runtime answers (the consumer reads and reclaims nothing while not). */
  canTake?: () => boolean;
  /** Makes the report of these attempts fail (the control-plane cannot be told). */
  failReportOf?: number[];
}

/** Each agent's teardown: its held attempts end, its consumer stops, its pool goes. */
const teardowns: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of teardowns.splice(0)) await stop();
});

function startAgent(name: string, o: AgentOptions) {
  const gate = gatedLauncher();
  const reports: Report[] = [];
  const attempts: { executionId: string; attempt: number }[] = [];
  const logs: { msg: string; messageId?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const stream = keys.jobs(o.region);

  // The control-plane's side: each report stream is checked against the job queue as the real
  // one checks it (infra/attempt-check.ts) when it opens and when its result lands.
  const controlPlane: ControlPlane = {
    open(executionId, attempt) {
      const report: Report = { executionId, attempt, events: [] };
      reports.push(report);
      const started = checkAttempt(executionId, name, attempt).then((c) => (report.checkedAtStart = c));
      return {
        send: (e) => void report.events.push(e),
        finish: async () => {
          await started;
          if (o.failReportOf?.includes(attempt)) throw new Error('control-plane unavailable');
          report.checkedAtFinish = await checkAttempt(executionId, name, attempt);
          const entries = await redis.xrange(stream, '-', '+');
          report.entryAtFinish = entries.some(([, f]) => f.includes(executionId));
        },
      };
    },
    heartbeat: async () => 1000,
  };
  const engine = createFakeEngine({ launcher: gate.launcher, controlPlane, runnerId: name });
  const consumer = createJobConsumer({
    redis,
    prefix,
    region: o.region,
    consumerName: name,
    capacity: o.capacity ?? 1,
    blockMs: 100,
    reclaimIdleMs,
    reclaimIntervalMs: 100,
    maxAttempts: o.maxAttempts ?? 3,
    deadLetterMaxLen: 100,
    log,
    handle: (job, attempt) => {
      attempts.push({ executionId: job.executionId, attempt });
      return runJob(engine.deps, job, attempt);
    },
    abandon: (job, attempt, message) => reportAbandoned(controlPlane, job.executionId, attempt, message),
    ...(o.budgetMs === undefined ? {} : { budgetMs: () => o.budgetMs ?? 0 }),
    ...(o.canTake ? { canTake: o.canTake } : {}),
  });
  consumer.start();
  teardowns.push(async () => {
    while (gate.held.length > 0) gate.release();
    await consumer.stop(1000);
    await engine.pool.stop();
  });
  return { name, consumer, engine, gate, reports, attempts, logs };
}

/** A region of this test's own, whose runners are known to the control-plane (their heartbeat). */
async function newRegion(...runners: string[]): Promise<string> {
  const region = `consumer-${randomId()}`;
  for (const r of runners) await redis.hset(keys.fleet(), r, JSON.stringify({ region }));
  return region;
}

/** Queues a job as the fair queue writes it into the region's stream; returns it and its entry id. */
async function enqueue(region: string, over: Partial<Job> = {}) {
  const job = testJob({ enqueuedAt: Date.now(), ...over });
  const raw = JSON.stringify(job);
  const id = await redis.xadd(
    keys.jobs(region),
    '*',
    'job',
    raw,
    'owner',
    job.ownerId,
    'exec',
    job.executionId,
  );
  return { job, raw, id: id ?? '' };
}

type PendingRow = [id: string, consumer: string, idleMs: number, deliveries: number];
const pending = async (region: string) =>
  (await redis.xpending(keys.jobs(region), consumerGroup, '-', '+', 100)) as PendingRow[];

const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
  waitFor(what, async () => probe(), 20_000, 25);

function finishedOf(r: Report | undefined) {
  const last = r?.events.at(-1);
  if (last?.case !== 'finished') throw new Error(`last event is ${String(last?.case)}`);
  return last.value;
}

describe('job consumer on Redis', () => {
  it('takes no more jobs than its slots, and acknowledges each only once its result is in', async () => {
    const a = 'agent-a';
    const region = await newRegion(a);
    const jobs = [await enqueue(region), await enqueue(region), await enqueue(region)];
    const agent = startAgent(a, { region, capacity: 2 });

    await until('two jobs running', () => (agent.gate.held.length === 2 ? true : undefined));
    // Two delivered (to this agent, once each), the third still unread in the stream.
    const held = await pending(region);
    expect(held.map(([id, owner, , n]) => [id, owner, n])).toEqual([
      [jobs[0]!.id, a, 1],
      [jobs[1]!.id, a, 1],
    ]);
    expect(await redis.xlen(keys.jobs(region))).toBe(3);

    agent.gate.release();
    await until('the third job running', () => (agent.gate.held.length === 2 ? true : undefined));
    // The slot was taken again only after the finished job's entry was acknowledged and deleted.
    const now = (await pending(region)).map(([id]) => id);
    expect(now).toHaveLength(2);
    expect(now).toContain(jobs[2]!.id);
    expect(await redis.xlen(keys.jobs(region))).toBe(2);
    agent.gate.release();
    agent.gate.release();
    await until('the stream emptied', async () =>
      (await redis.xlen(keys.jobs(region))) === 0 ? true : undefined,
    );

    expect(await pending(region)).toEqual([]);
    expect(agent.attempts).toEqual(jobs.map((j) => ({ executionId: j.job.executionId, attempt: 1 })));
    for (const r of agent.reports) {
      expect(finishedOf(r).verdict).toBe(Verdict.COMPLETED);
      expect(Buffer.from(finishedOf(r).stdout ?? []).toString()).toBe('hello\n');
      // The result landed while the entry was still there: the ack came after it.
      expect(r.entryAtFinish).toBe(true);
      expect([r.checkedAtStart, r.checkedAtFinish]).toEqual(['owner', 'owner']);
    }
    expect(agent.engine.sandboxes.every((s) => s.removed)).toBe(true);
  });

  it("renews a live agent's lease: a job longer than the reclaim idle time stays its own", async () => {
    const [a, b] = ['agent-long', 'agent-idle'];
    const region = await newRegion(a, b);
    const { job } = await enqueue(region);
    const owner = startAgent(a, { region });
    await until('the job running', () => (owner.gate.held.length === 1 ? true : undefined));
    const peer = startAgent(b, { region });

    // Three reclaim idle times: never idle that long, never reclaimed by the peer.
    const idle: number[] = [];
    const end = Date.now() + 3 * reclaimIdleMs;
    while (Date.now() < end) {
      const [row] = await pending(region);
      expect(row?.[1]).toBe(a);
      idle.push(row?.[2] ?? Infinity);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Math.max(...idle)).toBeLessThan(reclaimIdleMs);
    expect(peer.attempts).toEqual([]);

    owner.gate.release();
    await until('the stream emptied', async () =>
      (await redis.xlen(keys.jobs(region))) === 0 ? true : undefined,
    );
    expect(owner.attempts).toEqual([{ executionId: job.executionId, attempt: 1 }]);
    expect(finishedOf(owner.reports[0]).verdict).toBe(Verdict.COMPLETED);
  });

  it("reclaims a lease that lapsed as the next attempt, and fences the stale attempt's report and ack", async () => {
    const [a, b] = ['agent-stuck', 'agent-next'];
    const region = await newRegion(a, b);
    const { job, id } = await enqueue(region);
    // The first agent's attempt hangs past its budget (its Docker stopped answering: it takes
    // nothing more): its lease is no longer renewed.
    let healthy = true;
    const stuck = startAgent(a, { region, budgetMs: 100, canTake: () => healthy });
    await until('attempt 1 running', () => (stuck.gate.held.length === 1 ? true : undefined));
    healthy = false;
    const next = startAgent(b, { region });

    await until('attempt 2 running on the other agent', () =>
      next.gate.held.length === 1 ? true : undefined,
    );
    expect(next.attempts).toEqual([{ executionId: job.executionId, attempt: 2 }]);
    expect((await pending(region)).map(([e, owner, , n]) => [e, owner, n])).toEqual([[id, b, 2]]);
    // The stuck agent gave its slot back once the job was another's.
    await until('the stuck slot freed', () => (stuck.consumer.running() === 0 ? true : undefined));

    // The stuck attempt ends now: its report is no longer backed by the queue, and its ack is
    // refused, so the new owner's attempt is not lost.
    stuck.gate.release();
    await until('the stale ack refused', () =>
      stuck.logs.some((l) => l.msg === 'job was reclaimed meanwhile; left to its new owner')
        ? true
        : undefined,
    );
    const stale = stuck.reports[0];
    expect(stale?.attempt).toBe(1);
    expect([stale?.checkedAtStart, stale?.checkedAtFinish]).toEqual(['owner', 'stale']);
    expect((await pending(region)).map(([e, owner]) => [e, owner])).toEqual([[id, b]]);

    next.gate.release();
    await until('the stream emptied', async () =>
      (await redis.xlen(keys.jobs(region))) === 0 ? true : undefined,
    );
    const real = next.reports[0];
    expect(real?.attempt).toBe(2);
    expect([real?.checkedAtStart, real?.checkedAtFinish]).toEqual(['owner', 'owner']);
    expect(finishedOf(real).verdict).toBe(Verdict.COMPLETED);
    expect(await redis.xlen(keys.deadJobs(region))).toBe(0);
  });

  it('ends a job that killed its agent on every attempt as poison: internal_error, dead-lettered, not run again', async () => {
    const names = ['poison-1', 'poison-2', 'poison-3', 'poison-4'];
    const region = await newRegion(...names);
    // A long limit: the engine's own deadline does not end a hung attempt within the test.
    const { job, raw, id } = await enqueue(region, { limits: { ...testLimits, timeoutMs: 120_000 } });

    const killed: ReturnType<typeof startAgent>[] = [];
    for (const [i, name] of names.slice(0, 3).entries()) {
      const agent = startAgent(name, { region, maxAttempts: 3 });
      await until(`attempt ${i + 1} running`, () => (agent.gate.held.length === 1 ? true : undefined));
      // Killed mid-run: no more reads, no more renewals; the attempt never ends.
      await agent.consumer.stop(0);
      killed.push(agent);
    }
    expect(killed.map((k) => k.attempts)).toEqual(
      [1, 2, 3].map((attempt) => [{ executionId: job.executionId, attempt }]),
    );

    const last = startAgent(names[3]!, { region, maxAttempts: 3 });
    const dead = await until('the dead letter', async () => {
      const d = await redis.xrange(keys.deadJobs(region), '-', '+');
      return d.length > 0 ? d : undefined;
    });
    // Given up without running it: the execution's result says why, as the attempt after the last.
    expect(last.attempts).toEqual([]);
    expect(last.reports).toHaveLength(1);
    expect(last.reports[0]?.attempt).toBe(4);
    expect(finishedOf(last.reports[0])).toMatchObject({
      verdict: Verdict.INTERNAL_ERROR,
      message: expect.stringMatching(/abandoned after 3 attempts/),
    });
    expect(dead).toHaveLength(1);
    const fields = dead[0]![1];
    // Field names at even places (a value may be a name: reason `attempts`).
    const field = (f: string) => fields.find((_, i) => i % 2 === 1 && fields[i - 1] === f);
    expect({
      source: field('source_id'),
      reason: field('reason'),
      attempts: field('attempts'),
      consumer: field('consumer'),
      job: field('job'),
    }).toEqual({ source: id, reason: 'attempts', attempts: '3', consumer: names[3], job: raw });
    expect(await redis.xlen(keys.jobs(region))).toBe(0);
    expect(await pending(region)).toEqual([]);
  });

  it('leaves a job whose result could not be reported pending, and runs it again as attempt 2', async () => {
    const a = 'agent-retry';
    const region = await newRegion(a);
    const { job } = await enqueue(region);
    const agent = startAgent(a, { region, failReportOf: [1] });
    await until('attempt 1 running', () => (agent.gate.held.length === 1 ? true : undefined));
    agent.gate.release();
    await until('attempt 2 running', () => (agent.gate.held.length === 1 ? true : undefined));
    // Not acknowledged in between: the same entry, delivered again (reclaimed once idle).
    const [row] = await pending(region);
    expect([row?.[1], row?.[3]]).toEqual([a, 2]);
    agent.gate.release();
    await until('the stream emptied', async () =>
      (await redis.xlen(keys.jobs(region))) === 0 ? true : undefined,
    );
    expect(agent.attempts.map((x) => x.attempt)).toEqual([1, 2]);
    expect(agent.attempts.every((x) => x.executionId === job.executionId)).toBe(true);
    expect(finishedOf(agent.reports[1]).verdict).toBe(Verdict.COMPLETED);
  });

  it('recreates a consumer group lost with Redis data and reads the jobs queued since', async () => {
    const a = 'agent-nogroup';
    const region = await newRegion(a);
    const agent = startAgent(a, { region });
    const first = await enqueue(region);
    await until('the first job running', () => (agent.gate.held.length === 1 ? true : undefined));
    agent.gate.release();
    await until('the stream emptied', async () =>
      (await redis.xlen(keys.jobs(region))) === 0 ? true : undefined,
    );

    await redis.xgroup('DESTROY', keys.jobs(region), consumerGroup);
    const second = await enqueue(region);
    await until('the second job running', () => (agent.gate.held.length === 1 ? true : undefined));
    agent.gate.release();
    await until('the stream emptied', async () =>
      (await redis.xlen(keys.jobs(region))) === 0 ? true : undefined,
    );
    expect(agent.attempts).toEqual([
      { executionId: first.job.executionId, attempt: 1 },
      { executionId: second.job.executionId, attempt: 1 },
    ]);
  });
});
