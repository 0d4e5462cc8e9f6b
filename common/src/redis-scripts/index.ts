import { readFileSync } from 'node:fs';

/**
 * Every Redis state change that must be atomic is one Lua script in this folder, one file per
 * transition (as BullMQ keeps its commands). Each file opens with a header of `--` lines that
 * says what it does, its KEYS, its ARGV and what it returns; the number of keys it takes is read
 * from that header (the highest `KEYS[n]` named), so the header cannot leave a key out.
 * Negative (and other named) return codes are named once, in `scriptCodes`.
 *
 * A script is loaded with `redisScript(name)`: `redis.defineCommand(command, redisScript(name))`
 * (ioredis then calls it by EVALSHA, loading it where Redis does not know it yet), or
 * `redis.eval(s.lua, s.numberOfKeys, ...)` for a script run rarely.
 */
export const redisScriptNames = [
  'ack-if-owner',
  'append-event',
  'dead-letter',
  'extend-lock',
  'fair-dispatch',
  'fixed-window',
  'job-ids',
  'queue-position',
  'release-lock',
  'renew-leases',
  'send-stdin',
  'unqueue',
] as const;

export type RedisScriptName = (typeof redisScriptNames)[number];

export interface RedisScript {
  readonly numberOfKeys: number;
  readonly lua: string;
}

/** The named return codes of the scripts (the others return counts, seqs or 1/0). */
export const scriptCodes = {
  /** append-event.lua: a seq > 0, or one of these. */
  appendEvent: { recorded: 0, stale: -1, duplicate: -2 },
  /** send-stdin.lua: the bytes left (>= 0), or one of these. */
  sendStdin: { finished: -1, notInteractive: -2, overBudget: -3 },
  /** ack-if-owner.lua and dead-letter.lua. */
  ownedEntry: { done: 1, otherConsumer: 0, notPending: -1 },
} as const;

const loaded = new Map<RedisScriptName, RedisScript>();

/** The `--` lines a script opens with. */
function headerOf(lua: string): string {
  const lines = lua.split('\n');
  const end = lines.findIndex((l) => !l.startsWith('--'));
  return lines.slice(0, end < 0 ? lines.length : end).join('\n');
}

export function parseRedisScript(name: string, lua: string): RedisScript {
  const header = headerOf(lua);
  if (!header.includes(`${name}.lua`) || !/\bReturns\b/.test(header)) {
    throw new Error(`${name}.lua: its header must name the script and say what it returns`);
  }
  const keys = [...header.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
  return { numberOfKeys: Math.max(0, ...keys), lua };
}

export function redisScript(name: RedisScriptName): RedisScript {
  let script = loaded.get(name);
  if (!script) {
    const lua = readFileSync(new URL(`./${name}.lua`, import.meta.url), 'utf8');
    script = parseRedisScript(name, lua);
    loaded.set(name, script);
  }
  return script;
}
