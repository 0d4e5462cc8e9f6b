import { Elysia } from 'elysia';
import { authenticate, clientInfo } from '../../http/auth-guard.js';
import { answers, data, done } from '../../http/answers.js';
import {
  jwksAnswer,
  loginAnswer,
  loginBody,
  logoutBody,
  meAnswer,
  refreshAnswer,
  refreshBody,
  registerAnswer,
  registerBody,
} from './model.js';
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
      { body: registerBody, detail: answers({ 201: data(registerAnswer) }) },
    )
    .post(
      '/login',
      async ({ body, headers }) => ({ success: true, data: await auth.login(body, clientInfo(headers)) }),
      { body: loginBody, detail: answers({ 200: data(loginAnswer) }) },
    )
    .post(
      '/refresh',
      async ({ body, headers }) => ({
        success: true,
        data: await auth.refresh(body.refreshToken, clientInfo(headers)),
      }),
      { body: refreshBody, detail: answers({ 200: data(refreshAnswer) }) },
    )
    .post(
      '/logout',
      async ({ body, headers }) => {
        const caller = await authenticate(headers, tokens);
        await auth.logout(caller, body?.refreshToken, clientInfo(headers));
        return { success: true, message: 'Logged out successfully' };
      },
      { body: logoutBody, detail: answers({ 200: done }) },
    )
    .get(
      '/me',
      async ({ headers }) => {
        const caller = await authenticate(headers, tokens);
        return { success: true, data: await auth.me(caller.userId) };
      },
      { detail: answers({ 200: data(meAnswer) }) },
    )
    .get('/jwks', () => tokens.jwks(), { detail: answers({ 200: jwksAnswer }) });
}
