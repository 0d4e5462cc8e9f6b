import { Elysia } from 'elysia';
import { authenticate, optionalCaller } from '../../http/auth-guard.js';
import type { TokenService } from '../auth/tokens.js';
import { answers, data, done } from '../../http/answers.js';
import { submitAnswer } from '../executions/model.js';
import {
  listQuery,
  projectAnswer,
  projectBody,
  projectDetailAnswer,
  projectListAnswer,
  projectParams,
  projectPatch,
  runBody,
  starAnswer,
} from './model.js';
import type { ProjectService } from './service.js';

/** Routes that anyone with the link may call: public listing, and reading a public or unlisted project. */
export function publicProjectRoutes(projects: ProjectService, tokens: TokenService) {
  return new Elysia({ prefix: '/projects' })
    .get('/public', async ({ query }) => ({ success: true, data: await projects.listPublic(query) }), {
      query: listQuery,
      detail: answers({ 200: data(projectListAnswer) }),
    })
    .get(
      '/:projectId',
      async ({ params, headers }) => {
        const caller = await optionalCaller(headers, tokens);
        return { success: true, data: await projects.get(caller?.userId ?? null, params.projectId) };
      },
      { params: projectParams, detail: answers({ 200: data(projectDetailAnswer) }) },
    );
}

export function projectRoutes(projects: ProjectService, tokens: TokenService) {
  return new Elysia({ prefix: '/projects' })
    .derive(async ({ headers }) => ({ caller: await authenticate(headers, tokens) }))
    .get(
      '',
      async ({ query, caller }) => ({ success: true, data: await projects.list(caller.userId, query) }),
      { query: listQuery, detail: answers({ 200: data(projectListAnswer) }) },
    )
    .post(
      '',
      async ({ body, caller, set }) => {
        set.status = 201;
        return { success: true, data: await projects.create(caller.userId, body) };
      },
      { body: projectBody, detail: answers({ 201: data(projectAnswer) }) },
    )
    .put(
      '/:projectId',
      async ({ params, body, caller }) => ({
        success: true,
        data: await projects.replace(caller.userId, params.projectId, body),
      }),
      { params: projectParams, body: projectBody, detail: answers({ 200: data(projectAnswer) }) },
    )
    .patch(
      '/:projectId',
      async ({ params, body, caller }) => ({
        success: true,
        data: await projects.patch(caller.userId, params.projectId, body),
      }),
      { params: projectParams, body: projectPatch, detail: answers({ 200: data(projectAnswer) }) },
    )
    .delete(
      '/:projectId',
      async ({ params, caller }) => {
        await projects.remove(caller.userId, params.projectId);
        return { success: true, message: 'Project deleted' };
      },
      { params: projectParams, detail: answers({ 200: done }) },
    )
    .post(
      '/:projectId/fork',
      async ({ params, caller, set }) => {
        set.status = 201;
        return { success: true, data: await projects.fork(caller.userId, params.projectId) };
      },
      { params: projectParams, detail: answers({ 201: data(projectAnswer) }) },
    )
    .put(
      '/:projectId/star',
      async ({ params, caller }) => ({
        success: true,
        data: await projects.star(caller.userId, params.projectId, true),
      }),
      { params: projectParams, detail: answers({ 200: data(starAnswer) }) },
    )
    .delete(
      '/:projectId/star',
      async ({ params, caller }) => ({
        success: true,
        data: await projects.star(caller.userId, params.projectId, false),
      }),
      { params: projectParams, detail: answers({ 200: data(starAnswer) }) },
    )
    .post(
      '/:projectId/run',
      async ({ params, body, caller, request }) => ({
        success: true,
        data: await projects.run(caller.userId, params.projectId, body ?? {}, request.signal),
      }),
      { params: projectParams, body: runBody, detail: answers({ 200: data(submitAnswer) }) },
    );
}
