import { z } from 'zod';

/**
 * A job on `jobs:<region>`: everything an agent needs to run one execution, and nothing about
 * the user beyond an opaque owner id (for the `owner` isolation level).
 */
export const jobSchema = z.object({
  executionId: z.string().uuid(),
  ownerId: z.string(),
  language: z.string(),
  /**
   * The manifest image of the language version to run (`trixie/python`) and its version as the
   * control-plane resolved it. Absent (older control-planes): the language's first version.
   */
  image: z.string().optional(),
  version: z.string().optional(),
  files: z.array(z.object({ path: z.string(), content: z.string() })).min(1),
  mainFile: z.string(),
  /** Command-line arguments of the program, after the language's run command. */
  args: z.array(z.string()).optional(),
  /** Base64 of the program's stdin. */
  stdin: z.string(),
  /**
   * Interactive jobs keep stdin open after `stdin` for data sent through the control stream
   * until a stdin_close; others close it at once.
   */
  interactive: z.boolean().default(false),
  limits: z.object({
    timeoutMs: z.number().int().positive(),
    /** CPU time of the run step; absent (older jobs) means timeoutMs. */
    cpuTimeMs: z.number().int().positive().optional(),
    compileTimeoutMs: z.number().int().positive(),
    memoryMb: z.number().int().positive(),
    cpus: z.number().positive(),
    processes: z.number().int().positive(),
    openFiles: z.number().int().positive(),
    fileSizeBytes: z.number().int().positive(),
    workspaceMb: z.number().int().positive(),
    outputBytes: z.number().int().positive(),
  }),
  enqueuedAt: z.number(),
  /**
   * Attempts made before this stream entry existed (a job re-queued by the sweeper). The
   * attempt number of a delivery is attemptBase + the entry's delivery count.
   */
  attemptBase: z.number().int().min(0).optional(),
});

export type Job = z.infer<typeof jobSchema>;
export type JobLimits = Job['limits'];

/** Redis stream field that carries the job JSON. */
export const jobField = 'job';

/**
 * The final execution exactly as `GET /api/v1/execute/{id}` answers it (executionId, status,
 * output, outputEncoding, error, errorEncoding, exitCode, timings, …), as written with the
 * result row. Readers send it on as is.
 */
export type ExecutionResultView = { executionId: string; status: string } & Record<string, unknown>;

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
  | { type: 'status'; seq: number; status: string }
  | { type: 'output'; seq: number; stream: 'stdout' | 'stderr' | 'compile'; data: string }
  | { type: 'result'; seq: number; status: string; view?: ExecutionResultView };

/** Redis stream field that carries the event JSON. */
export const eventField = 'e';

/** A message on an execution's control stream `exec:{id}:control`. */
export type ControlMessage =
  { type: 'stdin'; data: string /* base64 */ } | { type: 'stdin_close' } | { type: 'cancel' };

/** Redis stream field that carries the control message JSON. */
export const controlField = 'c';
