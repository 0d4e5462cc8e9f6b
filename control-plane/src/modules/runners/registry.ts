import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import { liveVersions, pidNamespace, processStart, redisKeys, type LiveVersions } from '@muscode/common';

export interface RunnerInfo {
  runnerId: string;
  region: string;
  hostname: string;
  hostId?: string;
  capacity: number;
  running: number;
  draining?: boolean;
  /** Set while the agent's container runtime does not answer: it takes no jobs meanwhile. */
  unhealthy?: string;
  /** The agent's process on its host, and that process's start time (/proc/<pid>/stat field 22). */
  pid?: number;
  processStart?: string;
  pidNamespace?: string;
  pools?: { name: string; warm: number; target: number }[];
  /** One entry per language version the agent has: its image and exact version label. */
  languages: { languageId: string; version: string; image?: string }[];
  seenAt: number;
}

export type RunnerState = 'live' | 'draining' | 'unhealthy' | 'gone';

/** How long the versions of the live fleet are reused before they are read again. */
const versionsCacheMs = 1000;

/** How long a gone agent stays listed before it is forgotten. */
const goneRetentionMs = 24 * 3600 * 1000;

/**
 * Runner agents, kept in Redis so every control-plane instance sees the same fleet. A live
 * agent's heartbeat key has a TTL and its entry in the live set is scored by that expiry, so an
 * agent that stops beating disappears from `live()` by itself (no SCAN of the keyspace); the
 * fleet hash remembers it, so `all()` lists it as gone.
 */
export function createRunnerRegistry(redis: Redis, opts: { prefix: string; ttlSeconds: number }) {
  const keys = redisKeys(opts.prefix);

  const here = { hostname: hostname(), pidNamespace: pidNamespace() };

  /**
   * An agent that beat from this very host and pid namespace, whose process is gone (or is a
   * zombie, or its pid now names another process): dead now, not at the end of its TTL.
   */
  const deadHere = (r: RunnerInfo) =>
    !!r.pid &&
    !!r.processStart &&
    r.processStart !== '0' &&
    !!here.pidNamespace &&
    r.pidNamespace === here.pidNamespace &&
    r.hostname === here.hostname &&
    String(processStart(r.pid) ?? '') !== r.processStart;

  /**
   * Agents whose heartbeat has not expired: the ids from the live set (scored by expiry), then
   * their heartbeat values. Costs the size of the fleet, never a scan of the keyspace. A dead
   * local agent is dropped at once.
   */
  async function live(now = Date.now()): Promise<RunnerInfo[]> {
    const ids = await redis.zrangebyscore(keys.liveRunners(), `(${now}`, '+inf');
    if (ids.length === 0) return [];
    const values = await redis.mget(...ids.map((id) => keys.runner(id)));
    const infos = values.flatMap((v) => (v ? [JSON.parse(v) as RunnerInfo] : []));
    const dead = infos.filter(deadHere);
    if (dead.length > 0) {
      const multi = redis.multi();
      for (const r of dead) {
        multi
          .del(keys.runner(r.runnerId))
          .hdel(keys.slots(r.region), r.runnerId)
          .zrem(keys.liveRunners(), r.runnerId);
      }
      await multi.exec();
    }
    return infos.filter((r) => !dead.includes(r));
  }

  // Every submission resolves its version against the fleet: one scan a second at most, not
  // one per request (an agent's images change only when it restarts).
  let versionsCache: { at: number; value: Promise<LiveVersions> } | undefined;

  return {
    /** The exact versions live agents have, by manifest image (resolving a request's `version`). */
    liveVersions(now = Date.now()): Promise<LiveVersions> {
      if (!versionsCache || now - versionsCache.at > versionsCacheMs) {
        const value = live().then((rs) => liveVersions(rs.flatMap((r) => r.languages)));
        versionsCache = { at: now, value };
        value.catch(() => {
          if (versionsCache?.value === value) versionsCache = undefined;
        });
      }
      return versionsCache.value;
    },
    async beat(info: RunnerInfo): Promise<void> {
      const json = JSON.stringify(info);
      await redis
        .multi()
        .set(keys.runner(info.runnerId), json, 'EX', opts.ttlSeconds)
        .hset(keys.fleet(), info.runnerId, json)
        .zadd(keys.liveRunners(), Date.now() + opts.ttlSeconds * 1000, info.runnerId)
        // Agents whose heartbeat expired leave the live set (the fleet hash remembers them).
        .zremrangebyscore(keys.liveRunners(), '-inf', Date.now())
        // The region's slots for the fair dispatcher: none while draining or unhealthy.
        .hset(
          keys.slots(info.region),
          info.runnerId,
          `${info.draining || info.unhealthy ? 0 : info.capacity}:${info.seenAt + opts.ttlSeconds * 1000}`,
        )
        .exec();
    },
    live: () => live(),
    /** Every agent seen in the last day, live, draining or gone, newest first. */
    async all(now = Date.now()): Promise<(RunnerInfo & { state: RunnerState })[]> {
      const [liveIds, known] = await Promise.all([
        live(now).then((l) => new Set(l.map((r) => r.runnerId))),
        redis.hgetall(keys.fleet()),
      ]);
      const out: (RunnerInfo & { state: RunnerState })[] = [];
      const forget: string[] = [];
      for (const [id, json] of Object.entries(known)) {
        const info = JSON.parse(json) as RunnerInfo;
        const isLive = liveIds.has(id);
        if (!isLive && now - info.seenAt > goneRetentionMs) {
          forget.push(id);
          continue;
        }
        out.push({
          ...info,
          state: !isLive ? 'gone' : info.unhealthy ? 'unhealthy' : info.draining ? 'draining' : 'live',
        });
      }
      if (forget.length > 0) await redis.hdel(keys.fleet(), ...forget);
      return out.sort((a, b) => b.seenAt - a.seenAt);
    },
  };
}

export type RunnerRegistry = ReturnType<typeof createRunnerRegistry>;
