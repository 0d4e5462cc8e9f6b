import { verdictToProto } from '@muscode/common';
import { Stream, Verdict } from '@muscode/proto/runner/v1';
import type { ExecuteResult, StreamName } from '../engine/collect.js';
import type { StepResult } from '../engine/frames.js';
import { testResultMessage, type GradedTest } from '../engine/graded.js';
import { sendArtifacts } from './artifacts-upload.js';
import type { AttemptReport, ControlPlane } from './control-plane.js';

const streams: Record<StreamName, Stream> = {
  stdout: Stream.STDOUT,
  stderr: Stream.STDERR,
  compile: Stream.COMPILE,
};

/** One attempt's report in the engine's terms: each event as the control-plane's proto wants it. */
export function attemptEvents(report: AttemptReport) {
  return {
    started(queueMs: number): void {
      report.send({ case: 'started', value: { queueMs } });
    },
    output(stream: StreamName, data: Buffer): void {
      report.send({ case: 'output', value: { stream: streams[stream], data } });
    },
    compileResult(r: StepResult): void {
      report.send({
        case: 'compileResult',
        value: {
          exitCode: r.exit,
          wallMs: r.wallMs,
          cpuMs: r.cpuMs,
          success: r.exit === 0 && r.signal === 0,
        },
      });
    },
    /** A graded submission's test has run. */
    testResult(t: GradedTest): void {
      report.send({ case: 'testResult', value: testResultMessage(t) });
    },
    finished(result: ExecuteResult & { tests?: GradedTest[] }): void {
      const { run, compile } = result;
      // The files of /workspace/output go first: the control-plane lists them in the result.
      sendArtifacts(report, result.artifacts);
      report.send({
        case: 'finished',
        value: {
          verdict: verdictToProto(result.verdict),
          ...(run && run.exit >= 0 ? { exitCode: run.exit } : {}),
          signal: run?.signal ?? 0,
          wallMs: run?.wallMs ?? 0,
          cpuMs: run?.cpuMs ?? 0,
          compileWallMs: compile?.wallMs ?? 0,
          compileCpuMs: compile?.cpuMs ?? 0,
          peakMemoryKb: result.peakMemoryKb,
          stdout: result.stdout,
          stderr: result.stderr,
          compileOutput: result.compileOutput,
          stdoutTruncated: result.stdoutTruncated,
          stderrTruncated: result.stderrTruncated,
          message: result.message,
          ...(result.tests ? { tests: result.tests.map(testResultMessage) } : {}),
        },
      });
    },
    /** The platform's failure as the attempt's final result (internal_error, `message`). */
    failed(message: string): void {
      report.send({ case: 'finished', value: { verdict: Verdict.INTERNAL_ERROR, message } });
    },
    /** Resolves once the control-plane has every event sent. */
    finish: () => report.finish(),
  };
}

export type AttemptEvents = ReturnType<typeof attemptEvents>;

/**
 * The final result of an execution the consumer gave up on (internal_error, `message`), as the
 * attempt after the last one run; resolves once the control-plane has it.
 */
export async function reportAbandoned(
  controlPlane: ControlPlane,
  executionId: string,
  attempt: number,
  message: string,
): Promise<void> {
  const report = attemptEvents(controlPlane.open(executionId, attempt));
  report.failed(message);
  await report.finish();
}
