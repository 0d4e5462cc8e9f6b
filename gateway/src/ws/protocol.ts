import { z } from 'zod';

/**
 * Close codes of /api/v1/ws (4000–4999 are the application's own, RFC 6455 §7.4.2).
 * Documented in gateway/ws-protocol.json and the README.
 */
export const closeCodes = {
  /** Server shutting down; reconnect (to any gateway) with fromSeq. */
  goingAway: 1001,
  /** The token could not be checked (JWKS unreachable); retry shortly. */
  tryAgainLater: 1013,
  /** No, malformed, or wrongly signed access token. */
  unauthorized: 4001,
  /** The access token expired (at connect time or while connected); reconnect with a fresh one. */
  tokenExpired: 4002,
  /** The client did not read fast enough: its unsent data passed the gateway's bound. */
  slowConsumer: 4008,
  /** The user already holds GATEWAY_WS_MAX_SOCKETS_PER_USER connections on this gateway. */
  tooManyConnections: 4029,
} as const;

const executionId = z.string().min(1).max(64);
/** A file as REST execute takes it: its folder in `path` (e.g. `/lib`), checked by the API. */
const file = z
  .object({ name: z.string().min(1).max(255), path: z.string().max(500).optional(), content: z.string() })
  .strict();

export const clientMessage = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('subscribe'),
      executionId,
      /** Last seq the client has; events above it are sent. 0 (default) replays everything. */
      fromSeq: z.number().int().min(0).default(0),
    })
    .strict(),
  z.object({ type: z.literal('unsubscribe'), executionId }).strict(),
  z
    .object({
      type: z.literal('execute'),
      /** Echoed in the first status and in errors, to match answers to requests. */
      requestId: z.string().max(100).optional(),
      language: z.string().min(1).max(50),
      /** Same as REST execute: exact or semver range; absent, the newest available. */
      version: z.string().min(1).max(50).optional(),
      /** Command-line arguments, passed to the program exactly as REST execute does. */
      args: z.array(z.string().max(4096)).max(64).optional(),
      code: z.string().optional(),
      files: z.array(file).min(1).optional(),
      mainFile: z.string().min(1).max(500).optional(),
      stdin: z.string().optional(),
      limits: z
        .object({
          /** Wall-time limit in seconds. */
          timeout: z.number().positive().optional(),
          /** Memory limit in MB. */
          memoryLimit: z.number().positive().optional(),
        })
        .strict()
        .optional(),
      /** Keep stdin open for `stdin` messages until `stdin_close`. */
      interactive: z.boolean().optional(),
      /** Grading (README, "Grading"): as POST /execute, checked there; `test` messages follow. */
      tests: z
        .array(
          z
            .object({
              name: z.string().optional(),
              stdin: z.string(),
              expectedOutput: z.string(),
              timeout: z.number().positive().optional(),
            })
            .strict(),
        )
        .optional(),
      checker: z
        .object({
          type: z.enum(['exact', 'trimmed', 'tokens', 'float', 'program']),
          absolute: z.number().min(0).optional(),
          relative: z.number().min(0).optional(),
          /** A checker program's language, version and code (the API checks them). */
          language: z.string().optional(),
          version: z.string().optional(),
          code: z.string().optional(),
        })
        .strict()
        .optional(),
      stopOnFirstFailure: z.boolean().optional(),
      /** A stored test set instead of `tests` (README, "Grading"), checked by the API. */
      testSetId: z.string().min(1).max(64).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('stdin'),
      executionId,
      data: z.string(),
      encoding: z.enum(['utf8', 'base64']).default('utf8'),
    })
    .strict(),
  z.object({ type: z.literal('stdin_close'), executionId }).strict(),
  z.object({ type: z.literal('cancel'), executionId }).strict(),
  z.object({ type: z.literal('ping') }).passthrough(),
]);

export type ClientMessage = z.infer<typeof clientMessage>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Output bytes as UTF-8 text when they are valid UTF-8, else base64: no byte is lost. */
export function encodeOutput(bytes: Buffer): { data: string; encoding: 'utf8' | 'base64' } {
  try {
    return { data: utf8.decode(bytes), encoding: 'utf8' };
  } catch {
    return { data: bytes.toString('base64'), encoding: 'base64' };
  }
}
