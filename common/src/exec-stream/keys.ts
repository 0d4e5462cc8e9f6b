/**
 * Key names of one execution's streams and state. Every key of one execution shares the hash
 * tag `{<id>}`, so on a Redis cluster they live on one shard (the Lua scripts touch several).
 * `redisKeys()` (redis-keys.ts) includes these; this file is their one definition.
 */
export function execStreamKeys(prefix: string) {
  return {
    /** Bounded, expiring stream of one execution's events. */
    events: (executionId: string) => `${prefix}exec:{${executionId}}:events`,
    /**
     * Report state of one execution (hash: next event seq, last runner attempt and seq, whether
     * the result event was appended), so events are numbered and deduplicated across streams.
     */
    report: (executionId: string) => `${prefix}exec:{${executionId}}:report`,
    /**
     * Control messages to a running execution (stdin, stdin_close, cancel), written by the
     * control-plane and gateways, read by the agent running it. Same hash tag as its events.
     */
    control: (executionId: string) => `${prefix}exec:{${executionId}}:control`,
    /**
     * Bytes of interactive stdin an execution may still be sent (a counter with a TTL), set by
     * the control-plane when it queues an interactive execution; absent for any other.
     */
    stdinBudget: (executionId: string) => `${prefix}exec:{${executionId}}:stdin`,
  };
}

export type ExecStreamKeys = ReturnType<typeof execStreamKeys>;
