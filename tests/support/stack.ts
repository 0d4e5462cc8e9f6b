import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Redis } from 'ioredis';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export const adminDatabaseUrl =
  process.env['TEST_DATABASE_ADMIN_URL'] ?? 'postgres://muscode:muscode-local@127.0.0.1:5432/postgres';

export function databaseUrl(name: string): string {
  const u = new URL(adminDatabaseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates a database, empty or as a copy of `template` (which must have no connections). */
export async function createDatabase(name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
  } finally {
    await client.end();
  }
}

/**
 * Drops a test database even if something is still connected. `WITH (FORCE)` refuses when one of
 * those connections is an autovacuum worker (PostgreSQL 15 checks the worker's role, which is none,
 * and answers 42501 to a non-superuser); a plain DROP cancels autovacuum itself, so on that error
 * it falls back to a plain DROP, retried while our own last connections close.
 */
export async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '42501') throw err;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}"`);
        return;
      } catch (err) {
        // 55006: "database is being accessed by other users"
        if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await client.end();
  }
}

/** Repository of the sandbox images under test (build.sh's MUSCODE_IMAGE_REPO). */
export const imageRepo = process.env['MUSCODE_IMAGE_REPO'] ?? 'muscode';

export const randomId = (n = 4) => randomBytes(n).toString('hex');

export interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts one of our processes (`node --import tsx <entry>`) with the given environment. Its
 * output is kept in memory and in `.state/test-logs/<name>-<pid>.log` for post-mortems.
 */
export function startProcess(name: string, entry: string, env: Record<string, string>): Proc {
  // MUSCODE_CPU_PROF_DIR (for the bench): each process writes a V8 CPU profile there on exit,
  // <name>-<time>.cpuprofile, to open in Chrome's DevTools or speedscope.
  const profDir = process.env['MUSCODE_CPU_PROF_DIR'];
  const profile = profDir
    ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`]
    : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', entry], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  mkdirSync(`${root}/.state/test-logs`, { recursive: true });
  const file = createWriteStream(`${root}/.state/test-logs/${name}-${child.pid ?? 'x'}.log`);
  const keep = (b: Buffer) => {
    log = (log + b.toString()).slice(-200_000);
    file.write(b);
  };
  child.once('exit', () => file.end());
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    name,
    child,
    output: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** Deletes every key under a prefix with SCAN (never KEYS: the Redis may be shared). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const stream = redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>;
  for await (const keys of stream) if (keys.length > 0) await redis.unlink(...keys);
}
