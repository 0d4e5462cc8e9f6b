import { api, apiUrl, newUser } from './api.js';

/** The gateway's root (the compatibility APIs live beside /api/v1). */
export const rootUrl = () => apiUrl().replace(/\/api\/v1$/, '');

/** A fresh user with a MUSCode API key of these scopes. */
export async function userWithKey(scopes: string[] = ['execute', 'read']) {
  const user = await newUser();
  const r = await api('POST', '/api-keys', { token: user.token, body: { name: 'compat', scopes } });
  if (r.status !== 201 && r.status !== 200) throw new Error(`api key: ${r.status} ${JSON.stringify(r.body)}`);
  return { ...user, key: r.body.data.key as string };
}

export async function raw(
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string } = {},
) {
  const res = await fetch(`${rootUrl()}${path}`, { method, headers: opts.headers, body: opts.body });
  const text = await res.text();
  let body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

/** A JSON request to the Judge0 API with the key in X-Auth-Token. */
export function judge0(method: string, path: string, key: string | undefined, body?: unknown) {
  const headers: Record<string, string> = {};
  if (key) headers['x-auth-token'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return raw(method, `/judge0${path}`, {
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
