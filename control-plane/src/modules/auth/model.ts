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
