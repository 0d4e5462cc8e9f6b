import { create } from '@bufbuild/protobuf';
import { statusToProto } from '@muscode/common';
import { ExecutionSchema, type Execution, type ExecutionSpec } from '@muscode/proto/execution/v1';
import type { ExecuteBody } from '../modules/executions/model.js';
import type { executionView } from '../modules/executions/view.js';

/** The REST body equivalent of an RPC spec, so both edges share one validation path. */
export function specToBody(spec: ExecutionSpec | undefined): ExecuteBody {
  const s =
    spec ??
    ({
      language: '',
      code: '',
      files: [],
      mainFile: '',
      stdin: new Uint8Array(),
    } as unknown as ExecutionSpec);
  const body: ExecuteBody = { language: s.language };
  if (s.version) body.version = s.version;
  if (s.files.length > 0) {
    body.files = s.files.map((f) => ({ name: f.name, content: f.content }));
    if (s.mainFile) body.mainFile = s.mainFile;
  } else {
    body.code = s.code;
  }
  if (s.stdin.length > 0) {
    // Bytes stay bytes: stdin need not be UTF-8.
    body.stdin = Buffer.from(s.stdin).toString('base64');
    body.stdinEncoding = 'base64';
  }
  if (s.limits?.timeoutSeconds) body.timeout = s.limits.timeoutSeconds;
  if (s.limits?.memoryMb) body.memoryLimit = s.limits.memoryMb;
  if (s.interactive) body.interactive = true;
  if (s.tests.length > 0) {
    body.tests = s.tests.map((t) => ({
      ...(t.name ? { name: t.name } : {}),
      stdin: t.stdin,
      expectedOutput: t.expectedOutput,
      ...(t.timeoutSeconds ? { timeout: t.timeoutSeconds } : {}),
    }));
  }
  if (s.checker?.type === 'program') {
    body.checker = {
      type: 'program',
      language: s.checker.language,
      ...(s.checker.version ? { version: s.checker.version } : {}),
      code: s.checker.code,
    };
  } else if (s.checker) {
    body.checker = {
      type: s.checker.type,
      ...(s.checker.absolute === undefined ? {} : { absolute: s.checker.absolute }),
      ...(s.checker.relative === undefined ? {} : { relative: s.checker.relative }),
    } as NonNullable<ExecuteBody['checker']>;
  }
  if (s.stopOnFirstFailure !== undefined) body.stopOnFirstFailure = s.stopOnFirstFailure;
  if (s.testSetId) body.testSetId = s.testSetId;
  return body;
}

const bytes = (data: string, encoding: 'utf8' | 'base64') => Buffer.from(data, encoding);

export function viewToExecution(v: ReturnType<typeof executionView>): Execution {
  return create(ExecutionSchema, {
    executionId: v.executionId,
    language: v.language,
    status: statusToProto(v.status),
    stdout: bytes(v.output, v.outputEncoding),
    stderr: bytes(v.error, v.errorEncoding),
    ...(v.exitCode === null ? {} : { exitCode: v.exitCode }),
    signal: v.signal ?? 0,
    wallMs: Math.round((v.executionTime ?? 0) * 1000),
    cpuMs: Math.round((v.cpuTime ?? 0) * 1000),
    peakMemoryKb: Math.round((v.memoryUsed ?? 0) * 1024),
    compileOutput: Buffer.from(v.compilationError ?? '', 'utf8'),
    stdoutTruncated: v.outputTruncated,
    stderrTruncated: v.errorTruncated,
    message: v.message ?? '',
    version: v.version ?? '',
    ...(v.tests
      ? {
          tests: v.tests.map((t) => ({
            name: t.name,
            status: t.status,
            ...(t.exitCode === null ? {} : { exitCode: t.exitCode }),
            signal: t.signal ?? 0,
            wallMs: Math.round(t.time * 1000),
            cpuMs: Math.round(t.cpuTime * 1000),
            peakMemoryKb: Math.round(t.memory * 1024),
            ...('hidden' in t
              ? { hidden: true }
              : {
                  stdout: bytes(t.output, t.outputEncoding),
                  stderr: bytes(t.error, t.errorEncoding),
                  stdoutTruncated: t.outputTruncated,
                  stderrTruncated: t.errorTruncated,
                  message: t.message ?? '',
                }),
          })),
        }
      : {}),
    ...(v.summary
      ? {
          summary: {
            passed: v.summary.passed,
            total: v.summary.total,
            ...(v.summary.firstFailure ? { firstFailureIndex: v.summary.firstFailure.index } : {}),
          },
        }
      : {}),
  });
}
