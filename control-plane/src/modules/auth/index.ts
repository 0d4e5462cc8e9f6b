import { Elysia } from 'elysia';
import { authenticate, clientInfo } from '../../http/auth-guard.js';
import { loginBody, registerBody } from './model.js';
import type { AuthService } from './service.js';
import type { TokenService } from './tokens.js';

export function authRoutes(auth: AuthService, tokens: TokenService) {
  return new Elysia({ prefix: '/auth' })
    .post(
      '/register',
      async ({ body, headers, set }) => {
        const data = await auth.register(body, clientInfo(headers));
        set.status = 201;
        return { success: true, data };
      },
      { body: registerBody },
    )
    .post(
      '/login',
      async ({ body, headers }) => ({ success: true, data: await auth.login(body, clientInfo(headers)) }),
      { body: loginBody },
    )
    .get('/me', async ({ headers }) => {
      const caller = await authenticate(headers, tokens);
      return { success: true, data: await auth.me(caller.userId) };
    })
    .get('/jwks', () => tokens.jwks());
}
