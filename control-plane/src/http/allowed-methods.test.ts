import { describe, expect, it } from 'vitest';
import { allowedMethods } from './allowed-methods.js';

const routes = [
  { method: 'GET', path: '/api/v1/projects/:id' },
  { method: 'PATCH', path: '/api/v1/projects/:id' },
  { method: 'PUT', path: '/api/v1/projects/:id/files/*' },
  { method: 'GET', path: '/api/v1/projects/:id/files/*' },
  { method: 'POST', path: '/api/v1/auth/login' },
  { method: 'GET', path: '/api/v1/languages/:name?' },
];

describe('allowedMethods', () => {
  it('lists every method a path has, GET with HEAD', () => {
    expect(allowedMethods(routes, '/api/v1/projects/abc')).toEqual(['GET', 'HEAD', 'PATCH']);
    expect(allowedMethods(routes, '/api/v1/auth/login')).toEqual(['POST']);
  });

  it('matches a wildcard over several segments', () => {
    expect(allowedMethods(routes, '/api/v1/projects/abc/files/src/main.py')).toEqual(['GET', 'HEAD', 'PUT']);
  });

  it('matches an optional parameter present or absent', () => {
    expect(allowedMethods(routes, '/api/v1/languages')).toEqual(['GET', 'HEAD']);
    expect(allowedMethods(routes, '/api/v1/languages/python')).toEqual(['GET', 'HEAD']);
  });

  it('finds nothing for a path no route has', () => {
    expect(allowedMethods(routes, '/api/v1/projects')).toEqual([]);
    expect(allowedMethods(routes, '/api/v1/projects/abc/extra')).toEqual([]);
    expect(allowedMethods(routes, '/api/v1/projects//')).toEqual([]);
    expect(allowedMethods(routes, '/api/v1/nothing')).toEqual([]);
  });
});
