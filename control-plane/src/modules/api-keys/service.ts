import { createHash, randomBytes } from 'node:crypto';
import { errors } from '../../errors.js';
import type { ApiKeyScope, CreateApiKeyBody } from './model.js';
import type { ApiKeyRepo, ApiKeyRow } from './repo.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Every key starts with this, so it is recognisable (and findable by secret scanners). */
export const apiKeyPrefix = 'msk_';

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function view(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: iso(row.created_at),
    expiresAt: iso(row.expires_at),
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
  };
}

export interface ApiKeyCaller {
  userId: string;
  keyId: string;
  scopes: ApiKeyScope[];
}

/** API keys of internal tools: made and listed by their owner, kept only as a hash. */
export function createApiKeyService(deps: {
  repo: ApiKeyRepo;
  /** Active (unrevoked, unexpired) keys one user may hold. */
  maxActivePerUser?: number;
}) {
  const maxActive = deps.maxActivePerUser ?? 25;
  return {
    /** Makes a key; the answer is the only time the key itself is shown. */
    async create(userId: string, body: CreateApiKeyBody) {
      const key = `${apiKeyPrefix}${randomBytes(32).toString('base64url')}`;
      const row = await deps.repo.insertCapped(
        {
          userId,
          name: body.name,
          prefix: key.slice(0, 12),
          keyHash: hashApiKey(key),
          scopes: [...body.scopes],
          expiresInDays: body.expiresInDays ?? null,
        },
        maxActive,
      );
      if (!row) throw errors.conflict('too_many_api_keys', `At most ${maxActive} active API keys per user.`);
      return { ...view(row), key };
    },

    async list(userId: string) {
      return (await deps.repo.listOwned(userId)).map(view);
    },

    async revoke(userId: string, keyId: string): Promise<void> {
      if (!uuidPattern.test(keyId) || !(await deps.repo.revoke(keyId, userId)))
        throw errors.notFound('API key');
    },

    /** The owner and scopes of a usable key; unauthorized for an unknown, revoked or expired one. */
    async authenticate(key: string): Promise<ApiKeyCaller> {
      const row = key.startsWith(apiKeyPrefix) ? await deps.repo.findUsable(hashApiKey(key)) : null;
      if (!row) throw errors.unauthorized('The API key is invalid, expired or revoked.');
      return { userId: row.user_id, keyId: row.id, scopes: row.scopes as ApiKeyScope[] };
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
