import type { EventStatus, ExecutionStatus, FinalStatus } from '../statuses.js';
import { eventStatuses, finalStatuses } from '../statuses.js';

/**
 * The final execution exactly as `GET /api/v1/execute/{id}` answers it (executionId, status,
 * output, outputEncoding, error, errorEncoding, exitCode, timings, …), as written with the
 * result row. Readers send it on as is.
 */
export type ExecutionResultView = { executionId: string; status: ExecutionStatus } & Record<string, unknown>;

/**
 * An event on an execution's stream `exec:{id}:events`, as gateways and the Execute RPC read
 * it. `seq` orders output; a client that reconnects passes the last `seq` it saw.
 *
 * A `result` event carries `view`, the execution as the row that was just written makes it,
 * when its JSON is small enough (`CP_RESULT_EVENT_MAX_BYTES`); without it (large output, a
 * result written by an older control-plane, or one whose row was written by an earlier
 * delivery) readers look the execution up.
 */
export type ExecutionEvent =
  | { type: 'status'; seq: number; status: EventStatus }
  | { type: 'output'; seq: number; stream: 'stdout' | 'stderr' | 'compile'; data: string }
  /** A graded submission's test has run: `test` as the answer's `tests[index]` shows it. */
  | { type: 'test'; seq: number; index: number; test: Record<string, unknown> }
  | { type: 'result'; seq: number; status: FinalStatus; view?: ExecutionResultView };

export type ResultEvent = Extract<ExecutionEvent, { type: 'result' }>;

/** Redis stream field that carries the event JSON. */
export const eventField = 'e';

/** A message on an execution's control stream `exec:{id}:control`. */
export type ControlMessage =
  { type: 'stdin'; data: string /* base64 */ } | { type: 'stdin_close' } | { type: 'cancel' };

/** Redis stream field that carries the control message JSON (send-stdin.lua writes it as 'c'). */
export const controlField = 'c';

/** The value of `field` in a stream entry's flat field list, if it is there. */
function fieldValue(fields: readonly string[], field: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === field) return fields[i + 1];
  return undefined;
}

function parseObject(json: string | undefined): Record<string, unknown> | null {
  if (json === undefined) return null;
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The JSON an event is stored as, without its `seq` (append-event.lua puts the execution's next
 * seq in front). A result event's view is left out when the whole would pass `resultMaxBytes`:
 * its output is in the stream already, and readers look the execution up.
 */
export function encodeEvent(event: ExecutionEvent, resultMaxBytes: number): string {
  const rest: Record<string, unknown> = { ...event };
  delete rest['seq'];
  const json = JSON.stringify(rest);
  if (event.type !== 'result' || !event.view || Buffer.byteLength(json) <= resultMaxBytes) return json;
  delete rest['view'];
  return JSON.stringify(rest);
}

const outputStreams: readonly string[] = ['stdout', 'stderr', 'compile'];

/**
 * The event of one entry of an events stream, or null for an entry that is not one (no event
 * field, bad JSON, an unknown type): readers skip those rather than fail.
 */
export function decodeEvent(fields: readonly string[]): ExecutionEvent | null {
  const v = parseObject(fieldValue(fields, eventField));
  if (!v || typeof v['seq'] !== 'number') return null;
  switch (v['type']) {
    case 'status':
      return (eventStatuses as readonly unknown[]).includes(v['status']) ? (v as ExecutionEvent) : null;
    case 'output':
      return typeof v['data'] === 'string' && outputStreams.includes(v['stream'] as string)
        ? (v as ExecutionEvent)
        : null;
    case 'test':
      return typeof v['index'] === 'number' && typeof v['test'] === 'object' && v['test'] !== null
        ? (v as ExecutionEvent)
        : null;
    case 'result':
      return (finalStatuses as readonly unknown[]).includes(v['status']) ? (v as ExecutionEvent) : null;
    default:
      return null;
  }
}

/** The fields of a control stream entry carrying `message`. */
export function encodeControl(message: ControlMessage): [typeof controlField, string] {
  return [controlField, JSON.stringify(message)];
}

/** The message of one control stream entry, or null for an entry that is not one. */
export function decodeControl(fields: readonly string[]): ControlMessage | null {
  const v = parseObject(fieldValue(fields, controlField));
  if (!v) return null;
  switch (v['type']) {
    case 'stdin':
      return typeof v['data'] === 'string' ? { type: 'stdin', data: v['data'] } : null;
    case 'stdin_close':
      return { type: 'stdin_close' };
    case 'cancel':
      return { type: 'cancel' };
    default:
      return null;
  }
}
