import { create } from '@bufbuild/protobuf';
import { ExecutionSchema, Status, type Execution, type ExecutionSpec } from '@muscode/proto/execution/v1';
import type { ExecuteBody } from '../modules/executions/model.js';
import type { executionView } from '../modules/executions/view.js';

const statuses: Record<string, Status> = {
  queued: Status.QUEUED,
  running: Status.RUNNING,
  completed: Status.COMPLETED,
  runtime_error: Status.RUNTIME_ERROR,
  timeout: Status.TIMEOUT,
  cpu_limit: Status.CPU_LIMIT,
  memory_limit: Status.MEMORY_LIMIT,
  output_limit: Status.OUTPUT_LIMIT,
  compile_error: Status.COMPILE_ERROR,
  cancelled: Status.CANCELLED,
  internal_error: Status.INTERNAL_ERROR,
  restarted: Status.RESTARTED,
};

export function toStatus(status: string): Status {
  return statuses[status] ?? Status.UNSPECIFIED;
}

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
  if (s.stdin.length > 0) body.stdin = Buffer.from(s.stdin).toString('utf8');
  if (s.limits?.timeoutSeconds) body.timeout = s.limits.timeoutSeconds;
  if (s.limits?.memoryMb) body.memoryLimit = s.limits.memoryMb;
  if (s.interactive) body.interactive = true;
  return body;
}

const bytes = (data: string, encoding: 'utf8' | 'base64') => Buffer.from(data, encoding);

export function viewToExecution(v: ReturnType<typeof executionView>): Execution {
  return create(ExecutionSchema, {
    executionId: v.executionId,
    language: v.language,
    status: toStatus(v.status),
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
  });
}
