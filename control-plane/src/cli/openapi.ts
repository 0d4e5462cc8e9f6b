/**
 * Prints the control-plane's OpenAPI document (the one GET /api/v1/openapi.json serves) without
 * a database, Redis or network: the app is built with inert dependencies, only to read its
 * route schemas. `npm run gen:api` turns it into clients/typescript's generated types.
 */
import { loadLanguageManifest } from '@muscode/common';
import { createApp, type AppDeps } from '../app.js';
import { openapiDocument } from '../http/openapi.js';

/** A dependency that is never called while routes are only registered: any use throws. */
function inert(path: string): unknown {
  const fn = () => {
    throw new Error(`${path} used while generating the OpenAPI document`);
  };
  return new Proxy(fn, {
    get: (_t, key) => (key === 'then' || typeof key === 'symbol' ? undefined : inert(`${path}.${key}`)),
  });
}

const deps = new Proxy({} as AppDeps, {
  get: (_t, key: string) => {
    if (key === 'manifest') return loadLanguageManifest();
    if (key === 'bodyLimitBytes') return 1 << 20;
    // Plain settings read while the routes are built (they shape no schema).
    if (key === 'judge0Callbacks') return { secret: undefined, tries: 1, timeoutMs: 1000 };
    if (key === 'log') return { child: () => deps.log, info() {}, warn() {}, error() {}, debug() {} };
    return inert(key);
  },
});

process.stdout.write(`${JSON.stringify(openapiDocument(createApp(deps)), null, 2)}\n`);
