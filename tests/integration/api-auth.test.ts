import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { SignJWT, decodeJwt } from 'jose';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { api, newUser } from '../support/api.js';
import { randomId } from '../support/stack.js';

async function login(email: string, password: string) {
  const r = await api('POST', '/auth/login', { body: { email, password } });
  expect(r.status).toBe(200);
  return r.body.data as { token: string; refreshToken: string };
}

async function auditActions(userId: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: inject('databaseUrl') });
  await c.connect();
  try {
    const r = await c.query<{ action: string }>(
      'SELECT action FROM audit_logs WHERE user_id = $1 ORDER BY created_at',
      [userId],
    );
    return r.rows.map((x) => x.action);
  } finally {
    await c.end();
  }
}

describe('POST /auth/refresh', () => {
  it('rotates: the new pair works, the old refresh token is spent', async () => {
    const user = await newUser();
    const first = await login(user.email, user.password);
    const r = await api('POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(r.status).toBe(200);
    expect(r.body.data.token).toEqual(expect.any(String));
    expect(r.body.data.refreshToken).not.toBe(first.refreshToken);
    const me = await api('GET', '/auth/me', { token: r.body.data.token });
    expect(me.status).toBe(200);
    expect(me.body.data.id).toBe(user.userId);
    // And the new refresh token rotates again.
    const again = await api('POST', '/auth/refresh', { body: { refreshToken: r.body.data.refreshToken } });
    expect(again.status).toBe(200);
  });

  it('reusing a rotated token revokes the whole family', async () => {
    const user = await newUser();
    const first = await login(user.email, user.password);
    const rotated = await api('POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(rotated.status).toBe(200);
    const reuse = await api('POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('unauthorized');
    // The legitimate holder's newer token dies with the family.
    const victim = await api('POST', '/auth/refresh', {
      body: { refreshToken: rotated.body.data.refreshToken },
    });
    expect(victim.status).toBe(401);
    // Another login of the same user is another family and still works.
    const other = await login(user.email, user.password);
    expect((await api('POST', '/auth/refresh', { body: { refreshToken: other.refreshToken } })).status).toBe(
      200,
    );
    expect(await auditActions(user.userId)).toContain('refresh_token_reuse');
  });

  it('rejects unknown, empty and oversized tokens with 4xx', async () => {
    expect((await api('POST', '/auth/refresh', { body: { refreshToken: 'nope' } })).status).toBe(401);
    expect((await api('POST', '/auth/refresh', { body: { refreshToken: '' } })).status).toBe(400);
    expect((await api('POST', '/auth/refresh', { body: { refreshToken: 'x'.repeat(5000) } })).status).toBe(
      400,
    );
    expect((await api('POST', '/auth/refresh', { body: {} })).status).toBe(400);
  });
});

describe('POST /auth/logout', () => {
  it('revokes the access token and the refresh token given', async () => {
    const user = await newUser();
    const s = await login(user.email, user.password);
    const out = await api('POST', '/auth/logout', { token: s.token, body: { refreshToken: s.refreshToken } });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ success: true, message: 'Logged out successfully' });
    const me = await api('GET', '/auth/me', { token: s.token });
    expect(me.status).toBe(401);
    const exec = await api('POST', '/execute', {
      token: s.token,
      body: { language: 'python', code: 'print(1)' },
    });
    expect(exec.status).toBe(401);
    const refresh = await api('POST', '/auth/refresh', { body: { refreshToken: s.refreshToken } });
    expect(refresh.status).toBe(401);
    // Other sessions of the same user are untouched.
    expect((await api('GET', '/auth/me', { token: user.token })).status).toBe(200);
    expect(await auditActions(user.userId)).toEqual(expect.arrayContaining(['register', 'login', 'logout']));
  });

  it('works without a body, and cannot revoke another user’s refresh token', async () => {
    const a = await newUser();
    const b = await newUser();
    const bs = await login(b.email, b.password);
    const out = await api('POST', '/auth/logout', {
      token: a.token,
      body: { refreshToken: bs.refreshToken },
    });
    // Refused, not a silent 200: the caller asked to end a session that is not theirs.
    expect(out.status).toBe(401);
    expect((await api('POST', '/auth/refresh', { body: { refreshToken: bs.refreshToken } })).status).toBe(
      200,
    );
    const c = await newUser();
    expect((await api('POST', '/auth/logout', { token: c.token })).status).toBe(200);
    expect((await api('GET', '/auth/me', { token: c.token })).status).toBe(401);
  });

  it('needs a valid access token', async () => {
    expect((await api('POST', '/auth/logout', {})).status).toBe(401);
  });
});

describe('hostile access tokens', () => {
  async function forged(): Promise<Record<string, string>> {
    const user = await newUser();
    const claims = decodeJwt(user.token);
    const jwks = (await api('GET', '/auth/jwks')).body as { keys: Record<string, string>[] };
    const pub = jwks.keys[0]!;
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const [h, p, sig] = user.token.split('.') as [string, string, string];
    const tampered = `${h}.${b64({ ...claims, sub: '00000000-0000-0000-0000-000000000000' })}.${sig}`;
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`;
    // HMAC "signed" with the public key's bytes (the classic algorithm-confusion attack).
    const pem = createPublicKey({ key: pub as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: pub['kid']! })
      .sign(Buffer.from(pem as string));
    const other = generateKeyPairSync('ed25519').privateKey;
    const otherKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: pub['kid']! })
      .sign(other);
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 })
      .setProtectedHeader({ alg: 'EdDSA', kid: pub['kid']! })
      .sign(other);
    return { tampered, none, hmac, otherKey, expired };
  }

  it('answers 401 to alg none, HMAC with the public key, another key, tampering and expiry', async () => {
    for (const [name, token] of Object.entries(await forged())) {
      const r = await api('GET', '/auth/me', { token });
      expect([name, r.status]).toEqual([name, 401]);
      expect(r.body.error.code).toBe('unauthorized');
    }
  });
});

describe('registration races', () => {
  it('two concurrent registrations of one email: exactly one 201, the other 409', async () => {
    const id = randomId();
    const body = (u: string) => ({
      email: `race-${id}@example.com`,
      password: 'Secure-Pass-123',
      username: u,
    });
    const [a, b] = await Promise.all([
      api('POST', '/auth/register', { body: body(`race_a_${id}`) }),
      api('POST', '/auth/register', { body: body(`race_b_${id}`) }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
  });
});
