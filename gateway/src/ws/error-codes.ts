/**
 * The `code`s of the gateway's own WebSocket `error` messages, in one place (documented in
 * gateway/ws-protocol.json and the README; protocol-doc.test.ts checks the document names every
 * one). Errors the API answered are relayed with the API's own code (`Session.relay`).
 */
export const wsErrorCodes = [
  /** Not JSON, or not one of the client messages. */
  'invalid_message',
  /** The connection's message budget is spent. */
  'rate_limited',
  'internal_error',
  /** This gateway is draining: reconnect (to any gateway) with fromSeq. */
  'shutting_down',
  'not_found',
  'already_subscribed',
  'not_subscribed',
  'too_many_subscriptions',
  /** Redis trimmed or expired events the client asked for; the result has the full output. */
  'events_trimmed',
  'stdin_not_accepted',
  'stdin_limit',
  /** A control message could not be written; try again. */
  'unavailable',
  /** The API failed without an error of its own (fallback of a relayed error). */
  'bad_gateway',
  'cancel_failed',
] as const;

export type WsErrorCode = (typeof wsErrorCodes)[number];
