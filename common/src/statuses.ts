import { Status as ProtoStatus } from '@muscode/proto/execution/v1';
import { Verdict as ProtoVerdict } from '@muscode/proto/runner/v1';

/**
 * The one vocabulary of an execution's statuses and verdicts. Everything else derives from the
 * lists below: the TypeScript unions, the maps to the proto enums (`Verdict` of runner.proto,
 * `Status` of execution.proto, matched by name: `memory_limit` ↔ `VERDICT_MEMORY_LIMIT`), the
 * typed rows and events, and the API schemas.
 *
 * Adding a verdict (say `wrong_answer`) is one change here and its two mirrors outside TypeScript:
 *   1. add it to `verdicts` below;
 *   2. add `VERDICT_WRONG_ANSWER` to runner.proto's `Verdict` and `STATUS_WRONG_ANSWER` to
 *      execution.proto's `Status`, then `npm run gen` (typecheck fails until both exist);
 *   3. a migration that widens the `executions_status_check` constraint of `executions.status`.
 * statuses.test.ts fails while the proto enums and these lists disagree, and
 * tests/integration/status-vocabulary.test.ts while the migrated database's CHECK does. (A name
 * missing from a proto enum shows as "index expression is not of type 'number'" in `byName`.)
 * Piston's stage codes (modules/piston/service.ts) switch over every status, so lint names a
 * new one there; give Judge0's `judge0StatusOf` (modules/judge0/statuses.ts) its case too.
 */
export const verdicts = [
  'completed',
  'runtime_error',
  'timeout',
  'cpu_limit',
  'memory_limit',
  'output_limit',
  'compile_error',
  'cancelled',
  'internal_error',
] as const;

/** How an attempt ended, as the agent decides it and the row records it. */
export type VerdictName = (typeof verdicts)[number];

/** The final statuses of an execution: each is also its verdict. */
export const finalStatuses = verdicts;
export type FinalStatus = VerdictName;

/** Every status an execution row can have, in lifecycle order. */
export const executionStatuses = ['queued', 'running', ...verdicts] as const;
export type ExecutionStatus = (typeof executionStatuses)[number];

/**
 * What a `status` event says: a live status, or `restarted` (the job was taken over by another
 * runner and runs again from the start: output that follows replaces what came before).
 */
export const eventStatuses = ['queued', 'running', 'restarted'] as const;
export type EventStatus = (typeof eventStatuses)[number];

const finalSet: ReadonlySet<string> = new Set(finalStatuses);

export function isFinalStatus(status: string): status is FinalStatus {
  return finalSet.has(status);
}

/** Each name's member of a proto enum; a name the enum lacks is a type error here. */
function byName<N extends string, E extends number>(
  names: readonly N[],
  member: (upper: Uppercase<N>) => E,
): ReadonlyMap<string, E> {
  return new Map(names.map((n) => [n, member(n.toUpperCase() as Uppercase<N>)]));
}

const verdictProto = byName(verdicts, (n) => ProtoVerdict[n]);
const verdictFromProtoMap = new Map<ProtoVerdict, VerdictName>(
  [...verdictProto].map(([n, v]) => [v, n as VerdictName]),
);
const statusProto = byName([...executionStatuses, 'restarted'] as const, (n) => ProtoStatus[n]);

export function verdictToProto(v: VerdictName): ProtoVerdict {
  return verdictProto.get(v) ?? ProtoVerdict.INTERNAL_ERROR;
}

/** An agent's verdict; one this control-plane does not know (or none) is an internal error. */
export function verdictFromProto(v: ProtoVerdict): VerdictName {
  return verdictFromProtoMap.get(v) ?? 'internal_error';
}

/** The proto `Status` of a row's or an event's status; unknown names are UNSPECIFIED. */
export function statusToProto(status: string): ProtoStatus {
  return statusProto.get(status) ?? ProtoStatus.UNSPECIFIED;
}
