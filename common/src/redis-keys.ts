import { execStreamKeys } from './exec-stream/keys.js';

/**
 * Names of every Redis key MUSCode uses, in one place. `prefix` lets several stacks (or test
 * runs) share one Redis. Keys of one execution share a hash tag so they live on one shard of a
 * Redis cluster.
 */
export function redisKeys(prefix: string) {
  return {
    /** Stream of jobs for a region, read by agents through the `runners` consumer group. */
    jobs: (region: string) => `${prefix}jobs:${region}`,
    /**
     * Jobs of a region waiting for a runner slot (hash: execution id → job JSON); the fair
     * dispatcher moves them into `jobs` (common/src/redis-scripts/fair-dispatch.lua).
     */
    waiting: (region: string) => `${prefix}queue:${region}:jobs`,
    /** Ring (list) of the users with waiting jobs in a region, in turn order. */
    waitingUsers: (region: string) => `${prefix}queue:${region}:users`,
    /** Prefix of the per-user FIFO lists of waiting execution ids; the user id follows. */
    waitingListPrefix: (region: string) => `${prefix}queue:${region}:wait:`,
    /** Regions that ever had a job queued (the dispatcher visits each). */
    queueRegions: () => `${prefix}queue:regions`,
    /** Runner slots of a region (hash: runner id → "capacity:expiresAtMs"), from heartbeats. */
    slots: (region: string) => `${prefix}slots:${region}`,
    /** Dead-letter stream of a region: jobs that failed on every allowed attempt. */
    deadJobs: (region: string) => `${prefix}jobs:${region}:dead`,
    /** Set of agent ids that ever ran on one host (they share its Docker Engine). */
    hostAgents: (hostId: string) => `${prefix}host:${hostId}:agents`,
    /** Lease an agent renews while it lives; a missing lease means its sandboxes are orphans. */
    hostLease: (hostId: string, runnerId: string) => `${prefix}host:${hostId}:lease:${runnerId}`,
    /** Every agent ever seen, with its last heartbeat (a hash: runner id → JSON). */
    fleet: () => `${prefix}fleet`,
    /** Lock held by the one control-plane instance that runs the sweeper. */
    sweeperLock: () => `${prefix}sweeper:lock`,
    /** events, report, control, stdinBudget: the keys of one execution (exec-stream/keys.ts). */
    ...execStreamKeys(prefix),
    /** Last heartbeat of an agent (a JSON value with a TTL). */
    runner: (runnerId: string) => `${prefix}runner:${runnerId}`,
    /** Sorted set of agent ids scored by when their heartbeat expires (ms since the epoch):
     * the live fleet without a SCAN of the keyspace. */
    liveRunners: () => `${prefix}runners:live`,
    /** Present while a logged-out access token (by its `jti`) has not yet expired. */
    deniedJti: (jti: string) => `${prefix}auth:denied-jti:${jti}`,
    /** Counter of one rate-limit bucket (scope, subject) in one fixed window. */
    rateLimit: (scope: string, subject: string, window: number) =>
      `${prefix}rl:${scope}:${subject}:${window}`,
  };
}

export const consumerGroup = 'runners';
