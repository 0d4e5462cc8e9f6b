import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { verdictFromProto } from '@muscode/common';
import {
  ReportResponseSchema,
  Stream,
  type Finished,
  type ReportRequest,
  type TestResult,
  type ReportResponse,
} from '@muscode/proto/runner/v1';
import type { FinalResult, RecordedTest } from '../modules/executions/repo.js';
import type { Recording, Reported, ReportedEvent } from '../modules/executions/recording.js';

const streamName: Record<Stream, 'stdout' | 'stderr' | 'compile'> = {
  [Stream.UNSPECIFIED]: 'stdout',
  [Stream.STDOUT]: 'stdout',
  [Stream.STDERR]: 'stderr',
  [Stream.COMPILE]: 'compile',
};

function recordedTest(t: TestResult): RecordedTest {
  return {
    name: t.name,
    status: t.status,
    exitCode: t.exitCode ?? null,
    signal: t.signal,
    time: t.wallMs,
    cpuTime: t.cpuMs,
    memory: t.peakMemoryKb,
    stdout: Buffer.from(t.stdout).toString('base64'),
    stderr: Buffer.from(t.stderr).toString('base64'),
    stdoutTruncated: t.stdoutTruncated,
    stderrTruncated: t.stderrTruncated,
    message: t.message || null,
  };
}

function finalResult(f: Finished): FinalResult {
  return {
    status: verdictFromProto(f.verdict),
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
    tests: f.tests.length > 0 ? f.tests.map(recordedTest) : null,
  };
}

function reportedEvent(ev: ReportRequest['event']): ReportedEvent {
  switch (ev.case) {
    case 'started':
      return { type: 'started', queueMs: Number(ev.value.queueMs) };
    case 'output':
      return { type: 'output', stream: streamName[ev.value.stream], data: ev.value.data };
    case 'finished':
      return { type: 'finished', result: finalResult(ev.value) };
    case 'testResult':
      return { type: 'test', index: ev.value.index, test: recordedTest(ev.value) };
    case 'artifactChunk':
      return {
        type: 'artifact',
        chunk: {
          name: ev.value.name,
          size: Number(ev.value.size),
          sha256: ev.value.sha256,
          offset: Number(ev.value.offset),
          data: ev.value.data,
        },
      };
    case 'artifactsEnd':
      return {
        type: 'artifacts_end',
        skipped: {
          entries: ev.value.skipped.map((s) => ({ name: s.name, reason: s.reason })),
          count: ev.value.skippedCount,
        },
      };
    case 'compileResult':
    case undefined:
      return { type: 'seen' };
  }
}

/** A report message in the recording's terms. */
export function fromReportRequest(req: ReportRequest): Reported {
  return {
    executionId: req.executionId,
    runnerId: req.runnerId,
    attempt: req.attempt,
    seq: req.seq,
    event: reportedEvent(req.event),
  };
}

/**
 * `Report`: the agent's stream of one attempt's events, handed to the result recording
 * (modules/executions/recording.ts) one message at a time.
 */
export function report(deps: { recording: Recording }) {
  return async (requests: AsyncIterable<ReportRequest>, _ctx: HandlerContext): Promise<ReportResponse> => {
    const recorder = deps.recording.open();
    for await (const req of requests) await recorder.record(fromReportRequest(req));
    return create(ReportResponseSchema, { lastSeq: await recorder.close() });
  };
}
