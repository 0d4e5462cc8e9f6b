import { errors, type AppError } from '../errors.js';

/** A route as Elysia lists it in `app.routes`. */
export interface RouteEntry {
  method: string;
  path: string;
}

/** Whether an Elysia route pattern (`/a/:id`, `/a/:id?`, `/files/*`) matches a request path. */
function matches(pattern: string, path: string): boolean {
  const want = pattern.split('/');
  const got = path.split('/');
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] ?? '';
    if (segment === '*') return got.length > i;
    if (segment.startsWith(':') && segment.endsWith('?')) {
      if (i === got.length) return i === want.length - 1;
      if ((got[i] ?? '') === '') return false;
      continue;
    }
    if (i >= got.length) return false;
    if (segment.startsWith(':')) {
      if ((got[i] ?? '') === '') return false;
    } else if (segment !== got[i]) return false;
  }
  return want.length === got.length;
}

/**
 * The methods some route answers at `path`, for a 405's Allow header; empty when no route has
 * the path (then the answer is 404). A GET route also answers HEAD, as Elysia does.
 */
export function allowedMethods(routes: readonly RouteEntry[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method === 'ALL' || !matches(route.path, path)) continue;
    methods.add(route.method);
    if (route.method === 'GET') methods.add('HEAD');
  }
  return [...methods].sort();
}

/** A request no route took: a 405 (with what Allow says) when its path has other methods. */
export function wrongMethod(
  routes: readonly RouteEntry[],
  request: Request,
): { error: AppError; allow: string } | undefined {
  const allow = allowedMethods(routes, new URL(request.url).pathname);
  if (allow.length === 0) return undefined;
  return { error: errors.methodNotAllowed(request.method, allow), allow: allow.join(', ') };
}
