import { randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import { errors } from '../../errors.js';
import type { AuthRepo } from './repo.js';
import { newRefreshToken, type TokenService } from './tokens.js';
import { checkPassword, normalizeEmail, normalizeUsername } from './validate.js';

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

// OWASP's recommended argon2id parameters (19 MiB, 2 passes, 1 lane).
const argonOptions = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function createAuthService(deps: { repo: AuthRepo; tokens: TokenService; refreshTtlSeconds: number }) {
  const { repo, tokens } = deps;
  // Verifying against a real hash when the email is unknown keeps login timing uniform.
  const dummyHash = argon2.hash('not-a-password-of-anyone', argonOptions);

  async function issueSession(userId: string, role: string, client: ClientInfo) {
    const refresh = newRefreshToken();
    await repo.insertRefreshToken({
      userId,
      hash: refresh.hash,
      familyId: randomUUID(),
      ttlSeconds: deps.refreshTtlSeconds,
      ...client,
    });
    return { token: await tokens.issueAccess(userId, role), refreshToken: refresh.token };
  }

  return {
    async register(
      input: { email: string; password: string; username: string; fullName?: string | undefined },
      client: ClientInfo,
    ) {
      const email = normalizeEmail(input.email);
      const username = normalizeUsername(input.username);
      checkPassword(input.password);
      const passwordHash = await argon2.hash(input.password, argonOptions);
      const created = await repo.insertUser({
        email,
        username,
        passwordHash,
        fullName: input.fullName?.normalize('NFC').trim() || null,
      });
      if ('taken' in created) {
        throw errors.conflict(`${created.taken}_taken`, `That ${created.taken} is already registered.`, {
          field: created.taken,
        });
      }
      const session = await issueSession(created.id, 'user', client);
      return { userId: created.id, ...session };
    },

    async login(input: { email: string; password: string }, client: ClientInfo) {
      const email = input.email.normalize('NFC').trim().toLowerCase();
      const user = await repo.findByEmail(email);
      const ok = await argon2.verify(user?.password_hash ?? (await dummyHash), input.password);
      if (!user || !ok || !user.is_active) throw errors.invalidCredentials();
      await repo.touchLogin(user.id);
      const session = await issueSession(user.id, user.role, client);
      return {
        ...session,
        user: { id: user.id, email: user.email, username: user.username },
      };
    },

    async me(userId: string) {
      const user = await repo.findById(userId);
      if (!user) throw errors.unauthorized();
      return { id: user.id, email: user.email, username: user.username, role: user.role };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
