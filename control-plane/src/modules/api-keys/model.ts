import { t } from 'elysia';

export const apiKeyScopes = ['execute', 'read'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

/** `POST /api-keys`. */
export const createApiKeyBody = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 100 }),
    /** `execute`: Submit, Execute, Interact, Cancel. `read`: Get, ListLanguages. */
    scopes: t.Array(t.Union(apiKeyScopes.map((s) => t.Literal(s))), {
      minItems: 1,
      maxItems: apiKeyScopes.length,
      uniqueItems: true,
    }),
    expiresInDays: t.Optional(t.Integer({ minimum: 1, maximum: 365 })),
  },
  { additionalProperties: false },
);
export type CreateApiKeyBody = typeof createApiKeyBody.static;

export const apiKeyParams = t.Object({ keyId: t.String({ maxLength: 64 }) });

/* ---------------------------------------------------------------- answers (the document's only) */

const timestamp = t.String({ format: 'date-time' });

/** An API key as lists show it (service.ts `view`): never the key itself. */
export const apiKeyAnswer = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    name: t.String(),
    /** The key's first characters, to tell keys apart. */
    prefix: t.String(),
    scopes: t.Array(t.Union(apiKeyScopes.map((s) => t.Literal(s)))),
    createdAt: t.Union([timestamp, t.Null()]),
    expiresAt: t.Union([timestamp, t.Null()]),
    lastUsedAt: t.Union([timestamp, t.Null()]),
    revokedAt: t.Union([timestamp, t.Null()]),
  },
  { $id: 'ApiKey' },
);

/** `POST /api-keys`: the new key, the only time it is shown. */
export const createdApiKeyAnswer = t.Composite([apiKeyAnswer, t.Object({ key: t.String() })], {
  $id: 'CreatedApiKey',
});

export const revokedApiKeyAnswer = t.Object({ id: t.String(), revoked: t.Literal(true) });
