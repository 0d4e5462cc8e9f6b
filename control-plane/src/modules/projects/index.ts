import { Elysia } from 'elysia';
import { authenticate, optionalCaller } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { listQuery, projectBody, projectParams, projectPatch, runBody } from './model.js';
import type { ProjectService } from './service.js';

/** Routes that anyone with the link may call: public listing, and reading a public or unlisted project. */
export function publicProjectRoutes(projects: ProjectService, tokens: TokenService) {
  return new Elysia({ prefix: '/projects' })
    .get('/public', async ({ query }) => ({ success: true, data: await projects.listPublic(query) }), {
      query: listQuery,
    })
    .get(
      '/:projectId',
      async ({ params, headers }) => {
        const caller = await optionalCaller(headers, tokens);
        return { success: true, data: await projects.get(caller?.userId ?? null, params.projectId) };
      },
      { params: projectParams },
    );
}

export function projectRoutes(projects: ProjectService, tokens: TokenService) {
  return new Elysia({ prefix: '/projects' })
    .derive(async ({ headers }) => ({ caller: await authenticate(headers, tokens) }))
    .get(
      '',
      async ({ query, caller }) => ({ success: true, data: await projects.list(caller.userId, query) }),
      {
        query: listQuery,
      },
    )
    .post(
      '',
      async ({ body, caller, set }) => {
        set.status = 201;
        return { success: true, data: await projects.create(caller.userId, body) };
      },
      { body: projectBody },
    )
    .put(
      '/:projectId',
      async ({ params, body, caller }) => ({
        success: true,
        data: await projects.replace(caller.userId, params.projectId, body),
      }),
      { params: projectParams, body: projectBody },
    )
    .patch(
      '/:projectId',
      async ({ params, body, caller }) => ({
        success: true,
        data: await projects.patch(caller.userId, params.projectId, body),
      }),
      { params: projectParams, body: projectPatch },
    )
    .delete(
      '/:projectId',
      async ({ params, caller }) => {
        await projects.remove(caller.userId, params.projectId);
        return { success: true, message: 'Project deleted' };
      },
      { params: projectParams },
    )
    .post(
      '/:projectId/fork',
      async ({ params, caller, set }) => {
        set.status = 201;
        return { success: true, data: await projects.fork(caller.userId, params.projectId) };
      },
      { params: projectParams },
    )
    .put(
      '/:projectId/star',
      async ({ params, caller }) => ({
        success: true,
        data: await projects.star(caller.userId, params.projectId, true),
      }),
      { params: projectParams },
    )
    .delete(
      '/:projectId/star',
      async ({ params, caller }) => ({
        success: true,
        data: await projects.star(caller.userId, params.projectId, false),
      }),
      { params: projectParams },
    )
    .post(
      '/:projectId/run',
      async ({ params, body, caller, request }) => ({
        success: true,
        data: await projects.run(caller.userId, params.projectId, body ?? {}, request.signal),
      }),
      { params: projectParams, body: runBody },
    );
}
