import { scriptCodes, type ExecutionEvent, type Logger } from '@muscode/common';
import type { AttemptCheck } from '../../infra/attempt-check.js';
import type { Streams } from '../../infra/streams.js';
import { errors } from '../../errors.js';
import type { ArtifactChunk, ArtifactService } from '../artifacts/service.js';
import type { SkippedSummary } from '../artifacts/repo.js';
import type { Outputs } from './outputs.js';
import type { ExecutionRepo, FinalResult, RecordedTest } from './repo.js';
import { executionView, testView } from './view.js';

/** One event of an attempt as its agent reported it, in the control-plane's own terms. */
export type ReportedEvent =
  | { type: 'started'; queueMs: number }
  | { type: 'output'; stream: 'stdout' | 'stderr' | 'compile'; data: Uint8Array }
  /** An event that is recorded as seen (its seq) but carries nothing to keep. */
  | { type: 'seen' }
  /** One test of a graded submission has run (its output came before it). */
  | { type: 'test'; index: number; test: RecordedTest }
  | { type: 'finished'; result: FinalResult }
  /** A piece of a file the program left in /workspace/output (sent before `finished`). */
  | { type: 'artifact'; chunk: ArtifactChunk }
  | { type: 'artifacts_end'; skipped: SkippedSummary };

/** One message of an agent's report stream: which attempt, its place in the stream, its event. */
export interface Reported {
  executionId: string;
  runnerId: string;
  attempt: number;
  /** The agent's own numbering of the attempt's events, from 1; a resent stream repeats it. */
  seq: number;
  event: ReportedEvent;
}

/** One report stream being recorded: feed it its messages in order, then close it. */
export interface ReportRecorder {
  record(r: Reported): Promise<void>;
  /** Waits for the writes still under way; the last seq recorded. */
  close(): Promise<number>;
}

export interface RecordingDeps {
  repo: ExecutionRepo;
  streams: Streams;
  log: Logger;
  /** Metrics of attempts whose events were recorded. */
  observe?: { started(queueMs: number): void; finished(status: string, wallMs: number): void };
  /** Whether the job queue backs the reported attempt (infra/attempt-check.ts). */
  checkAttempt?: (executionId: string, runnerId: string, attempt: number) => Promise<AttemptCheck>;
  /** Stores reported artifacts and lists them in the result (absent: artifacts are dropped). */
  artifacts?: Pick<ArtifactService, 'assembler' | 'list'>;
  /** Moves large outputs to the object store before the row is written. */
  outputs?: Pick<Outputs, 'offload'>;
}

/**
 * Records what agents report of their attempts. Each event goes to the execution's Redis stream
 * (for live watchers) and the final one to the executions row. A stream re-sent after a
 * reconnect (to this or another control-plane) is harmless: Redis remembers the last runner
 * seq recorded per execution and attempt, and skips events at or below it, so every output
 * chunk is appended once; the result row is written once by the database's own guard.
 */
export function createRecording(deps: RecordingDeps) {
  return {
    open(): ReportRecorder {
      return openRecorder(deps);
    },
  };
}

export type Recording = ReturnType<typeof createRecording>;

function openRecorder(deps: RecordingDeps): ReportRecorder {
  let lastSeq = 0;
  let executionId = '';
  let ignored: boolean | undefined;
  const running = pendingWrite();
  const artifacts = deps.artifacts?.assembler(deps.log.child({ component: 'artifacts' }));
  let hidden: Promise<ReadonlySet<number>> | undefined;

  /**
   * The tests whose output the submitter must not see (hidden tests of a set they do not own),
   * from the execution's own grading, read once per stream (again after a failed read).
   */
  function hiddenTests(id: string): Promise<ReadonlySet<number>> {
    hidden ??= deps.repo.hiddenTests(id).then(
      (indexes) => new Set(indexes),
      (err: unknown) => {
        hidden = undefined;
        throw err;
      },
    );
    return hidden;
  }

  /**
   * A report whose attempt the queue does not back is read to its end and dropped: a forged or
   * stale attempt number must not fence out the real attempt's result. Checked once per stream.
   */
  async function isIgnored(r: Reported, log: Logger): Promise<boolean> {
    if (ignored === undefined) {
      ignored = deps.checkAttempt
        ? (await deps.checkAttempt(r.executionId, r.runnerId, r.attempt)) === 'stale'
        : false;
      if (ignored) log.warn('report of an attempt the job queue does not back; ignored');
    }
    return ignored;
  }

  async function apply(r: Reported, log: Logger): Promise<void> {
    const at = { attempt: r.attempt, runnerSeq: r.seq };
    const ev = r.event;
    switch (ev.type) {
      case 'started':
        await running.settle();
        running.start(
          deps.repo.markRunning(r.executionId, r.attempt, r.runnerId).then((marked) => {
            if (marked) deps.observe?.started(ev.queueMs);
          }),
          'marking the execution running failed',
        );
        // Sent with the row write, not after it. The stream's own fencing drops it for an older
        // attempt, and once the result is in (an execution cancelled or failed before it
        // started), so it is never sent for an execution that is over.
        await deps.streams.appendReported(r.executionId, at, { type: 'status', seq: 0, status: 'running' });
        return;
      case 'output':
        // A test's output is not marked with its test: with any hidden test, no run output goes
        // live (each visible test's output is in its `test` event).
        if (ev.stream !== 'compile' && (await hiddenTests(r.executionId)).size > 0) {
          await deps.streams.appendReported(r.executionId, at, null);
          return;
        }
        await deps.streams.appendReported(r.executionId, at, {
          type: 'output',
          seq: 0,
          stream: ev.stream,
          data: Buffer.from(ev.data).toString('base64'),
        });
        return;
      case 'seen':
        await deps.streams.appendReported(r.executionId, at, null);
        return;
      case 'test':
        await deps.streams.appendReported(r.executionId, at, {
          type: 'test',
          seq: 0,
          index: ev.index,
          test: testView(withheld(ev.test, (await hiddenTests(r.executionId)).has(ev.index))),
        });
        return;
      case 'artifact':
      case 'artifacts_end':
        // Put together within this stream whether or not Redis has seen the seq (a stream sent
        // again carries every chunk again); a file already recorded is not stored twice.
        if (ev.type === 'artifact') await artifacts?.chunk(r.executionId, ev.chunk);
        else await artifacts?.end(r.executionId, ev.skipped);
        await deps.streams.appendReported(r.executionId, at, null);
        return;
      case 'finished':
        await running.settle();
        await recordResult(deps, r, await withheldTests(ev.result, () => hiddenTests(r.executionId)), log);
        return;
    }
  }

  return {
    async record(r) {
      if (!executionId) executionId = r.executionId;
      if (r.executionId !== executionId) throw errors.validation('one report stream carries one execution');
      if (r.seq <= lastSeq) return;
      const log = deps.log.child({ executionId, runnerId: r.runnerId, attempt: r.attempt });
      if (!(await isIgnored(r, log))) await apply(r, log);
      lastSeq = r.seq;
    },
    async close() {
      await running.settle();
      return lastSeq;
    },
  };
}

/** A test as the submitter may see it: a hidden one without its output. */
export function withheld(t: RecordedTest, hidden: boolean): RecordedTest {
  if (!hidden) return t;
  return {
    ...t,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    message: null,
    hidden: true,
  };
}

/** The result with its hidden tests withheld, before it is written anywhere. */
async function withheldTests(
  result: FinalResult,
  hiddenTests: () => Promise<ReadonlySet<number>>,
): Promise<FinalResult> {
  if (!result.tests) return result;
  const hidden = await hiddenTests();
  if (hidden.size === 0) return result;
  return { ...result, tests: result.tests.map((t, i) => withheld(t, hidden.has(i))) };
}

/**
 * The `running` row write of a `started` event, not waited for by the events after it (the
 * program runs meanwhile; its output must not queue behind a database write): the result's
 * write and the end of the stream wait for it, and a failure fails the stream (the agent then
 * resends the attempt, and the write, which is idempotent, runs again).
 */
function pendingWrite() {
  let write: Promise<unknown> | null = null;
  return {
    start(p: Promise<void>, failure: string) {
      write = p.then(
        () => null,
        (err: unknown) => err ?? new Error(failure),
      );
    },
    async settle() {
      const failure = await write;
      write = null;
      if (failure) throw failure;
    },
  };
}

/** Writes an attempt's result to the row (once) and its result event to the stream. */
async function recordResult(deps: RecordingDeps, r: Reported, result: FinalResult, log: Logger) {
  const at = { attempt: r.attempt, runnerSeq: r.seq };
  const { status } = result;
  const written = deps.outputs ? await deps.outputs.offload(r.executionId, result) : result;
  const finished = await deps.repo.finish(r.executionId, r.attempt, written);
  // The view gives the whole output, also of a stream now kept in the object store.
  const row = finished && { ...finished, stdout: result.stdout, stderr: result.stderr };
  const artifactsView = row && deps.artifacts ? await deps.artifacts.list(r.executionId) : null;
  // The written row goes with its event, so watchers answer without reading it again. Not
  // written also when an earlier delivery of this very report wrote it and the control-plane
  // died before the event: the script appends the result event once (without the row: watchers
  // look it up).
  const event: ExecutionEvent = row
    ? { type: 'result', seq: 0, status, view: executionView(row, { artifacts: artifactsView }) }
    : { type: 'result', seq: 0, status };
  let seq = await deps.streams.appendReported(r.executionId, at, event);
  if (row && seq === scriptCodes.appendEvent.stale) {
    // The row is final with this attempt's result, but a later attempt started reporting in
    // between (a reclaim racing the original agent's late report). The row is the truth: its
    // result event goes out now, and the later attempt's is dropped as a second.
    await deps.streams.appendEvent(r.executionId, event);
    seq = 0;
  }
  if (row) {
    deps.observe?.finished(status, result.wallMs);
    log.info({ status, wallMs: result.wallMs, stdoutBytes: result.stdout.length }, 'execution finished');
  } else if (seq <= 0) {
    log.info('result of a stale or repeated attempt ignored');
  }
}
