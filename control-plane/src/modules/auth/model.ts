import { t } from 'elysia';

export const registerBody = t.Object(
  {
    email: t.String({ maxLength: 255 }),
    password: t.String({ maxLength: 256 }),
    username: t.String({ maxLength: 100 }),
    fullName: t.Optional(t.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const loginBody = t.Object(
  {
    email: t.String({ maxLength: 255 }),
    password: t.String({ maxLength: 256 }),
  },
  { additionalProperties: false },
);

export const refreshBody = t.Object(
  { refreshToken: t.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const logoutBody = t.Optional(
  t.Object(
    { refreshToken: t.Optional(t.String({ minLength: 1, maxLength: 200 })) },
    { additionalProperties: false },
  ),
);

/* ---------------------------------------------------------------- answers (the document's only) */

export const registerAnswer = t.Object({
  userId: t.String({ format: 'uuid' }),
  token: t.String(),
  refreshToken: t.String(),
});

export const loginAnswer = t.Object({
  token: t.String(),
  refreshToken: t.String(),
  user: t.Object({ id: t.String({ format: 'uuid' }), email: t.String(), username: t.String() }),
});

export const refreshAnswer = t.Object({ token: t.String(), refreshToken: t.String() });

export const meAnswer = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    email: t.String(),
    username: t.String(),
    role: t.String({ description: 'user or admin' }),
  },
  { $id: 'User' },
);

/** The public keys access tokens are verified with (RFC 7517). */
export const jwksAnswer = t.Object({ keys: t.Array(t.Record(t.String(), t.Unknown())) });
