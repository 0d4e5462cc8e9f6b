import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import type { ExecutionEvent, Logger } from '@muscode/common';
import {
  ReportResponseSchema,
  Stream,
  Verdict,
  type ReportRequest,
  type ReportResponse,
} from '@muscode/proto/runner/v1';
import type { AttemptCheck } from '../infra/attempt-check.js';
import { appendEventCodes } from '../infra/scripts/append-event.js';
import type { Streams } from '../infra/streams.js';
import type { ExecutionRepo } from '../modules/executions/repo.js';
import { executionView } from '../modules/executions/view.js';

const verdictStatus: Record<Verdict, string> = {
  [Verdict.UNSPECIFIED]: 'internal_error',
  [Verdict.COMPLETED]: 'completed',
  [Verdict.RUNTIME_ERROR]: 'runtime_error',
  [Verdict.TIMEOUT]: 'timeout',
  [Verdict.CPU_LIMIT]: 'cpu_limit',
  [Verdict.MEMORY_LIMIT]: 'memory_limit',
  [Verdict.OUTPUT_LIMIT]: 'output_limit',
  [Verdict.COMPILE_ERROR]: 'compile_error',
  [Verdict.CANCELLED]: 'cancelled',
  [Verdict.INTERNAL_ERROR]: 'internal_error',
};

const streamName: Record<Stream, 'stdout' | 'stderr' | 'compile'> = {
  [Stream.UNSPECIFIED]: 'stdout',
  [Stream.STDOUT]: 'stdout',
  [Stream.STDERR]: 'stderr',
  [Stream.COMPILE]: 'compile',
};

export function verdictToStatus(v: Verdict): string {
  return verdictStatus[v] ?? 'internal_error';
}

/**
 * The agent's stream of one attempt's events. Each event goes to the execution's Redis stream
 * (for live watchers) and the final one to the executions row. A stream re-sent after a
 * reconnect (to this or another control-plane) is harmless: Redis remembers the last runner
 * seq recorded per execution and attempt, and skips events at or below it, so every output
 * chunk is appended once; the result row is written once by the database's own guard.
 */
export function report(deps: {
  repo: ExecutionRepo;
  streams: Streams;
  log: Logger;
  /** Metrics of attempts whose events were recorded. */
  observe?: { started(queueMs: number): void; finished(status: string, wallMs: number): void };
  /** Whether the job queue backs the reported attempt (infra/attempt-check.ts). */
  checkAttempt?: (executionId: string, runnerId: string, attempt: number) => Promise<AttemptCheck>;
}) {
  return async (requests: AsyncIterable<ReportRequest>, _ctx: HandlerContext): Promise<ReportResponse> => {
    let lastSeq = 0;
    let executionId = '';
    let ignored: boolean | undefined;
    // The `running` row write of a `started` event, not waited for by the events after it (the
    // program runs meanwhile; its output must not queue behind a database write): the result's
    // write and the end of the call wait for it, and a failure fails the call (the agent then
    // resends the attempt, and the write, which is idempotent, runs again).
    let runningWrite: Promise<unknown> | null = null;
    const settleRunning = async () => {
      const failure = await runningWrite;
      runningWrite = null;
      if (failure) throw failure;
    };
    for await (const req of requests) {
      if (!executionId) executionId = req.executionId;
      if (req.executionId !== executionId) {
        throw new ConnectError('one report stream carries one execution', Code.InvalidArgument);
      }
      if (req.seq <= lastSeq) continue;
      const log = deps.log.child({ executionId, runnerId: req.runnerId, attempt: req.attempt });
      // A report whose attempt the queue does not back is read to its end and dropped: a forged
      // or stale attempt number must not fence out the real attempt's result.
      if (ignored === undefined) {
        ignored = deps.checkAttempt
          ? (await deps.checkAttempt(executionId, req.runnerId, req.attempt)) === 'stale'
          : false;
        if (ignored) log.warn('report of an attempt the job queue does not back; ignored');
      }
      if (ignored) {
        lastSeq = req.seq;
        continue;
      }
      const at = { attempt: req.attempt, runnerSeq: req.seq };
      const ev = req.event;
      switch (ev.case) {
        case 'started': {
          await settleRunning();
          const queueMs = Number(ev.value.queueMs);
          runningWrite = deps.repo.markRunning(executionId, req.attempt, req.runnerId).then(
            (running) => {
              if (running) deps.observe?.started(queueMs);
              return null;
            },
            (err: unknown) => err ?? new Error('marking the execution running failed'),
          );
          // Sent with the row write, not after it. The stream's own fencing drops it for an
          // older attempt, and once the result is in (an execution cancelled or failed before
          // it started), so it is never sent for an execution that is over.
          await deps.streams.appendReported(executionId, at, { type: 'status', seq: 0, status: 'running' });
          break;
        }
        case 'output':
          await deps.streams.appendReported(executionId, at, {
            type: 'output',
            seq: 0,
            stream: streamName[ev.value.stream],
            data: Buffer.from(ev.value.data).toString('base64'),
          });
          break;
        case 'compileResult':
        case undefined:
          await deps.streams.appendReported(executionId, at, null);
          break;
        case 'finished': {
          await settleRunning();
          const f = ev.value;
          const status = verdictToStatus(f.verdict);
          const row = await deps.repo.finish(executionId, req.attempt, {
            status,
            exitCode: f.exitCode ?? null,
            signal: f.signal,
            wallMs: f.wallMs,
            cpuMs: f.cpuMs,
            memoryKb: f.peakMemoryKb,
            stdout: Buffer.from(f.stdout),
            stderr: Buffer.from(f.stderr),
            stdoutTruncated: f.stdoutTruncated,
            stderrTruncated: f.stderrTruncated,
            compileOutput: f.compileOutput.length > 0 ? Buffer.from(f.compileOutput) : null,
            message: f.message || null,
          });
          const written = row !== null;
          // The written row goes with its event, so watchers answer without reading it again.
          // Not written also when an earlier delivery of this very report wrote it and the
          // control-plane died before the event: the script appends the result event once
          // (without the row: watchers look it up).
          const result: ExecutionEvent = row
            ? { type: 'result', seq: 0, status, view: executionView(row) }
            : { type: 'result', seq: 0, status };
          let seq = await deps.streams.appendReported(executionId, at, result);
          if (written && seq === appendEventCodes.stale) {
            // The row is final with this attempt's result, but a later attempt started reporting
            // in between (a reclaim racing the original agent's late report). The row is the
            // truth: its result event goes out now, and the later attempt's is dropped as a second.
            await deps.streams.appendEvent(executionId, result);
            seq = 0;
          }
          if (written) {
            deps.observe?.finished(status, f.wallMs);
            log.info({ status, wallMs: f.wallMs, stdoutBytes: f.stdout.length }, 'execution finished');
          } else if (seq <= 0) {
            log.info('result of a stale or repeated attempt ignored');
          }
          break;
        }
      }
      lastSeq = req.seq;
    }
    await settleRunning();
    return create(ReportResponseSchema, { lastSeq });
  };
}
