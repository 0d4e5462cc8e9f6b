import type { components, operations } from './gen/openapi.js';
import type { components as wsComponents } from './gen/ws-protocol.js';

/**
 * A frame of the WebSocket protocol by its `type` (`execute`, `status`, `output`, …), from the
 * types generated out of its JSON Schema (gateway/ws-protocol.json → src/gen/ws-protocol.ts).
 */
export type WsFrame<T extends keyof wsComponents['schemas']> = wsComponents['schemas'][T];

/**
 * Request and answer shapes of the API, from the types generated out of its OpenAPI document
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

type Responses<O extends Operation> = operations[O] extends { responses: infer R } ? R : never;
type SuccessStatus = 200 | 201 | 202;

/** The JSON body of an operation's success (any of its 2xx answers), envelope included. */
export type ResponseBody<O extends Operation> = {
  [S in keyof Responses<O> & SuccessStatus]: Responses<O>[S] extends {
    content: { 'application/json': infer B };
  }
    ? B
    : never;
}[keyof Responses<O> & SuccessStatus];

/** What the client's call answers: the envelope's `data`, or the whole body when it has none. */
export type Answer<O extends Operation> =
  ResponseBody<O> extends infer B ? (B extends { data: infer D } ? D : B) : never;

/** A named shape of the document (`Execution`, `Project`, `File`, …). */
export type Schema<N extends keyof components['schemas']> = components['schemas'][N];
