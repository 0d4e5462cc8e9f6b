/**
 * Judge0 CE's statuses, ids and descriptions exactly as Judge0 has them (judge0 v1.13.1,
 * ffd7a48cc6da86d6ac155ef10dbd67d02736070b, app/enumerations/status.rb).
 */
export const judge0Statuses = [
  { id: 1, description: 'In Queue' },
  { id: 2, description: 'Processing' },
  { id: 3, description: 'Accepted' },
  { id: 4, description: 'Wrong Answer' },
  { id: 5, description: 'Time Limit Exceeded' },
  { id: 6, description: 'Compilation Error' },
  { id: 7, description: 'Runtime Error (SIGSEGV)' },
  { id: 8, description: 'Runtime Error (SIGXFSZ)' },
  { id: 9, description: 'Runtime Error (SIGFPE)' },
  { id: 10, description: 'Runtime Error (SIGABRT)' },
  { id: 11, description: 'Runtime Error (NZEC)' },
  { id: 12, description: 'Runtime Error (Other)' },
  { id: 13, description: 'Internal Error' },
  { id: 14, description: 'Exec Format Error' },
] as const;

export type Judge0Status = (typeof judge0Statuses)[number];

const status = (id: number): Judge0Status => judge0Statuses[id - 1]!;

/** Ruby's `String#rstrip` on bytes: trailing NUL, tab, LF, VT, FF, CR and space go. */
function rstrip(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && [0, 9, 10, 11, 12, 13, 32].includes(b[end - 1]!)) end--;
  return b.subarray(0, end);
}

/** Judge0's `strip`: each line right-stripped, then the whole right-stripped. */
function judge0Strip(b: Buffer): Buffer {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === 10) {
      lines.push(rstrip(b.subarray(start, i)));
      start = i + 1;
    }
  }
  return rstrip(Buffer.concat(lines.flatMap((l, i) => (i === 0 ? [l] : [Buffer.from([10]), l]))));
}

/**
 * Judge0's comparison (IsolateJob#strip in judge0 v1.13.1, app/jobs/isolate_job.rb): trailing
 * whitespace of each line and of the whole output is ignored, leading whitespace is not. An
 * empty stdout is Judge0's nil, which equals no expected output at all, not even an empty one.
 */
export function outputsMatch(actual: Buffer, expected: Buffer): boolean {
  if (actual.length === 0) return false;
  return judge0Strip(actual).equals(judge0Strip(expected));
}

/** The Judge0 status of a MUSCode execution outcome. */
export function judge0StatusOf(o: {
  status: string;
  exitCode: number | null;
  signal: number | null;
  stdout: Buffer;
  expectedOutput: Buffer | null;
}): Judge0Status {
  switch (o.status) {
    case 'queued':
      return status(1);
    case 'running':
      return status(2);
    case 'completed':
      return o.expectedOutput === null || outputsMatch(o.stdout, o.expectedOutput) ? status(3) : status(4);
    case 'timeout':
    case 'cpu_limit':
      return status(5);
    case 'compile_error':
      return status(6);
    case 'runtime_error':
      switch (o.signal) {
        case 11:
          return status(7);
        case 25:
          return status(8);
        case 8:
          return status(9);
        case 6:
          return status(10);
        case null:
        case 0:
          // 126: the shell found the file but could not execute it (ENOEXEC and the like).
          return o.exitCode === 126 ? status(14) : status(11);
        default:
          return status(12);
      }
    case 'output_limit':
      return status(8);
    case 'memory_limit':
      return status(12);
    default:
      return status(13);
  }
}
