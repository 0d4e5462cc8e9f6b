import { isFinalStatus } from '@muscode/common';
import pg from 'pg';
import { inject } from 'vitest';
import { randomId } from './stack.js';

export const apiUrl = () => inject('apiUrl');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A JSON request to the public API (through the gateway). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
export async function api<T = any>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(`${apiUrl()}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

export interface TestUser {
  userId: string;
  token: string;
  email: string;
  password: string;
}

/** Registers a fresh user and logs in. */
export async function newUser(): Promise<TestUser> {
  const id = randomId();
  const email = `user-${id}@example.com`;
  const password = `Secure-${id}-Pass1`;
  const reg = await api('POST', '/auth/register', { body: { email, password, username: `user_${id}` } });
  if (reg.status !== 201) throw new Error(`register failed: ${JSON.stringify(reg.body)}`);
  const login = await api('POST', '/auth/login', { body: { email, password } });
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  return { userId: login.body.data.user.id, token: login.body.data.token, email, password };
}

/** A fresh user made administrator in the database, logged in again to carry the role. */
export async function newAdmin(): Promise<TestUser> {
  const user = await newUser();
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  try {
    await client.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [user.userId]);
  } finally {
    await client.end();
  }
  const login = await api('POST', '/auth/login', { body: { email: user.email, password: user.password } });
  return { ...user, token: login.body.data.token };
}

/** Polls an execution until it has a final status. */
export async function waitForResult(token: string, executionId: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api('GET', `/execute/${executionId}`, { token });
    if (r.status !== 200) throw new Error(`GET execution: ${r.status} ${JSON.stringify(r.body)}`);
    if (isFinalStatus(r.body.data.status)) return r.body.data;
    if (Date.now() > deadline) throw new Error(`execution ${executionId} still ${r.body.data.status}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Submits code and waits for its result. */
export async function execute(token: string, body: Record<string, unknown>) {
  const r = await api('POST', '/execute', { token, body });
  if (r.status !== 200) throw new Error(`execute: ${r.status} ${JSON.stringify(r.body)}`);
  return waitForResult(token, r.body.data.executionId);
}
