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
