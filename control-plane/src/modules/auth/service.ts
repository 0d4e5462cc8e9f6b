import { randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import { errors } from '../../errors.js';
import type { AuditRepo } from '../audit/repo.js';
import type { JtiDenylist } from './denylist.js';
import type { AuthRepo } from './repo.js';
import { hashRefreshToken, newRefreshToken, type AccessClaims, type TokenService } from './tokens.js';
import { checkPassword, normalizeEmail, normalizeFullName, normalizeUsername } from './validate.js';

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

// OWASP's recommended argon2id parameters (19 MiB, 2 passes, 1 lane).
const argonOptions = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function createAuthService(deps: {
  repo: AuthRepo;
  tokens: TokenService;
  refreshTtlSeconds: number;
  audit: AuditRepo;
  denylist: JtiDenylist;
}) {
  const { repo, tokens, audit } = deps;
  // Verifying against a real hash when the email is unknown keeps login timing uniform.
  const dummyHash = argon2.hash('not-a-password-of-anyone', argonOptions);

  async function issueSession(
    userId: string,
    role: string,
    client: ClientInfo,
    familyId: string = randomUUID(),
  ) {
    const refresh = newRefreshToken();
    const refreshId = await repo.insertRefreshToken({
      userId,
      hash: refresh.hash,
      familyId,
      ttlSeconds: deps.refreshTtlSeconds,
      ...client,
    });
    const token = await tokens.issueAccess(userId, role, familyId);
    const claims = await tokens.verifySignature(token);
    await deps.denylist.remember(familyId, claims.jti, claims.expiresAt);
    return { token, refreshToken: refresh.token, refreshId };
  }

  return {
    async register(
      input: { email: string; password: string; username: string; fullName?: string | undefined },
      client: ClientInfo,
    ) {
      const email = normalizeEmail(input.email);
      const username = normalizeUsername(input.username);
      checkPassword(input.password);
      const fullName = normalizeFullName(input.fullName);
      const passwordHash = await argon2.hash(input.password, argonOptions);
      const created = await repo.insertUser({
        email,
        username,
        passwordHash,
        fullName,
      });
      if ('taken' in created) {
        throw errors.conflict(`${created.taken}_taken`, `That ${created.taken} is already registered.`, {
          field: created.taken,
        });
      }
      const { token, refreshToken } = await issueSession(created.id, 'user', client);
      await audit.record({
        userId: created.id,
        action: 'register',
        resourceType: 'user',
        resourceId: created.id,
        ...client,
      });
      return { userId: created.id, token, refreshToken };
    },

    async login(input: { email: string; password: string }, client: ClientInfo) {
      const email = input.email.normalize('NFC').trim().toLowerCase();
      const user = await repo.findByEmail(email);
      const ok = await argon2.verify(user?.password_hash ?? (await dummyHash), input.password);
      if (!user || !ok || !user.is_active) {
        await audit.record({ userId: user?.id ?? null, action: 'login_failed', ...client });
        throw errors.invalidCredentials();
      }
      await repo.touchLogin(user.id);
      const { token, refreshToken } = await issueSession(user.id, user.role, client);
      await audit.record({
        userId: user.id,
        action: 'login',
        resourceType: 'user',
        resourceId: user.id,
        ...client,
      });
      return {
        token,
        refreshToken,
        user: { id: user.id, email: user.email, username: user.username },
      };
    },

    /**
     * Rotates a refresh token: the old one is spent, a new one of the same family is issued
     * with a new access token. Presenting a spent token again (a stolen copy, or a replay after
     * logout) revokes the whole family: both holders must log in again.
     */
    async refresh(refreshToken: string, client: ClientInfo) {
      const hash = hashRefreshToken(refreshToken);
      const consumed = await repo.consumeRefreshToken(hash);
      if (!consumed) {
        const spent = await repo.findSpentRefreshToken(hash);
        if (spent) {
          const revoked = await repo.revokeFamily(spent.familyId);
          // The access tokens of the stolen session die with it (the gateway checks the jti list).
          const deniedAccess = await deps.denylist.denySession(spent.familyId);
          await audit.record({
            userId: spent.userId,
            action: 'refresh_token_reuse',
            resourceType: 'session',
            resourceId: spent.familyId,
            ...client,
            metadata: { revoked, deniedAccess },
          });
        }
        throw errors.unauthorized('The refresh token is invalid, expired or already used.');
      }
      if (!consumed.user.is_active)
        throw errors.unauthorized('The refresh token is invalid, expired or already used.');
      const session = await issueSession(consumed.user.id, consumed.user.role, client, consumed.familyId);
      await repo.linkReplacement(consumed.id, session.refreshId);
      return { token: session.token, refreshToken: session.refreshToken };
    },

    /**
     * Ends a session: the given refresh token (which must be the caller's and live: another
     * user's is a 401 and changes nothing), or without one the session the access token was
     * issued for; and the access token in use.
     */
    async logout(caller: AccessClaims, refreshToken: string | undefined, client: ClientInfo) {
      if (refreshToken !== undefined) {
        const revoked = await repo.revokeOwnRefreshToken(hashRefreshToken(refreshToken), caller.userId);
        if (!revoked) throw errors.unauthorized('The refresh token is invalid, expired or not yours.');
      } else if (caller.sessionId) {
        await repo.revokeOwnFamily(caller.sessionId, caller.userId);
      }
      await deps.denylist.deny(caller.jti, caller.expiresAt);
      await audit.record({
        userId: caller.userId,
        action: 'logout',
        resourceType: 'user',
        resourceId: caller.userId,
        ...client,
      });
    },

    async me(userId: string) {
      const user = await repo.findById(userId);
      if (!user) throw errors.unauthorized();
      return { id: user.id, email: user.email, username: user.username, role: user.role };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
