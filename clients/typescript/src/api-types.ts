import type { operations } from './gen/openapi.js';

/**
 * Request shapes of the API, from the types generated out of its OpenAPI document
 * (src/gen/openapi.ts, `npm run gen:api`), named by operation id (`postApiV1Execute`).
 */
export type Operation = keyof operations;

/** The JSON body an operation takes. */
export type RequestBody<O extends Operation> = operations[O] extends { requestBody?: infer R }
  ? NonNullable<R> extends { content: { 'application/json': infer B } }
    ? B
    : never
  : never;

/** The query parameters an operation takes. */
export type QueryOf<O extends Operation> = operations[O] extends { parameters: { query?: infer Q } }
  ? NonNullable<Q>
  : never;
