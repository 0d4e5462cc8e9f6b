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
