import { Elysia } from 'elysia';
import { authenticate, clientInfo } from '../../http/auth-guard.js';
import { loginBody, logoutBody, refreshBody, registerBody } from './model.js';
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
    .post(
      '/refresh',
      async ({ body, headers }) => ({
        success: true,
        data: await auth.refresh(body.refreshToken, clientInfo(headers)),
      }),
      { body: refreshBody },
    )
    .post(
      '/logout',
      async ({ body, headers }) => {
        const caller = await authenticate(headers, tokens);
        await auth.logout(caller, body?.refreshToken, clientInfo(headers));
        return { success: true, message: 'Logged out successfully' };
      },
      { body: logoutBody },
    )
    .get('/me', async ({ headers }) => {
      const caller = await authenticate(headers, tokens);
      return { success: true, data: await auth.me(caller.userId) };
    })
    .get('/jwks', () => tokens.jwks());
}
