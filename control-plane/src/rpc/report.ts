import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import type { Logger } from '@muscode/common';
import {
  ReportResponseSchema,
  Stream,
  Verdict,
  type ReportRequest,
  type ReportResponse,
} from '@muscode/proto/runner/v1';
import type { Streams } from '../infra/streams.js';
import type { ExecutionRepo } from '../modules/executions/repo.js';

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
 * (for live watchers) and the final one to the executions row. Sequence numbers make a re-sent
 * stream harmless: events at or below the last seen seq are skipped.
 */
export function report(deps: {
  repo: ExecutionRepo;
  streams: Streams;
  log: Logger;
  /** Metrics of attempts whose events were recorded. */
  observe?: { started(queueMs: number): void; finished(status: string, wallMs: number): void };
}) {
  return async (requests: AsyncIterable<ReportRequest>, _ctx: HandlerContext): Promise<ReportResponse> => {
    let lastSeq = 0;
    let executionId = '';
    for await (const req of requests) {
      if (!executionId) executionId = req.executionId;
      if (req.executionId !== executionId) {
        throw new ConnectError('one report stream carries one execution', Code.InvalidArgument);
      }
      if (req.seq <= lastSeq) continue;
      lastSeq = req.seq;
      const log = deps.log.child({ executionId, runnerId: req.runnerId, attempt: req.attempt });
      const ev = req.event;
      switch (ev.case) {
        case 'started':
          if (await deps.repo.markRunning(executionId, req.attempt, req.runnerId)) {
            deps.observe?.started(Number(ev.value.queueMs));
            await deps.streams.appendEvent(executionId, { type: 'status', seq: req.seq, status: 'running' });
          }
          break;
        case 'output':
          await deps.streams.appendEvent(executionId, {
            type: 'output',
            seq: req.seq,
            stream: streamName[ev.value.stream],
            data: Buffer.from(ev.value.data).toString('base64'),
          });
          break;
        case 'compileResult':
          break;
        case 'finished': {
          const f = ev.value;
          const status = verdictToStatus(f.verdict);
          const written = await deps.repo.finish(executionId, req.attempt, {
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
          if (written) {
            deps.observe?.finished(status, f.wallMs);
            await deps.streams.appendEvent(executionId, { type: 'result', seq: req.seq, status });
            log.info({ status, wallMs: f.wallMs, stdoutBytes: f.stdout.length }, 'execution finished');
          } else {
            log.info('result of a stale or repeated attempt ignored');
          }
          break;
        }
        case undefined:
          break;
      }
    }
    return create(ReportResponseSchema, { lastSeq });
  };
}
