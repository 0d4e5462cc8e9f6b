import { createLogger, type ExecutionEvent } from '@muscode/common';
import { describe, expect, it } from 'vitest';
import type { Streams } from '../../infra/streams.js';
import type { ArtifactAssembler, ArtifactsView } from '../artifacts/service.js';
import { createRecording, type Reported, type ReportedEvent } from './recording.js';
import type { ExecutionRow, ExecutionRepo, FinalResult } from './repo.js';

const big = Buffer.alloc(2048, 0x61);
const result: FinalResult = {
  status: 'completed',
  exitCode: 0,
  signal: 0,
  wallMs: 5,
  cpuMs: 4,
  memoryKb: 100,
  stdout: big,
  stderr: Buffer.alloc(0),
  stdoutTruncated: false,
  stderrTruncated: false,
  compileOutput: null,
  message: null,
};
const listed: ArtifactsView = { files: [], skipped: [], skippedCount: 7, storageQuotaExceeded: false };

/** The recorder with stand-ins of the repo, streams, artifact service and outputs that log calls. */
function harness() {
  const calls: string[] = [];
  const events: ExecutionEvent[] = [];
  const repo = {
    hiddenTests: async () => [],
    async finish(id: string, _attempt: number, r: FinalResult) {
      calls.push(`row stdout=${r.stdout.length} object=${r.stdoutObject?.key ?? '-'}`);
      return {
        id,
        status: r.status,
        stdout: r.stdout,
        stderr: r.stderr,
        stdout_object_key: r.stdoutObject?.key ?? null,
        created_at: 0,
        started_at: 0,
        completed_at: 0,
      } as unknown as ExecutionRow;
    },
  } as unknown as ExecutionRepo;
  const streams = {
    async appendReported(_id: string, at: { runnerSeq: number }, ev: ExecutionEvent | null) {
      calls.push(`event ${at.runnerSeq} ${ev?.type ?? 'none'}`);
      if (ev) events.push(ev);
      // Redis has seen every seq already (a stream sent again): artifacts are still assembled.
      return ev ? 1 : -2;
    },
  } as unknown as Streams;
  const assembler: ArtifactAssembler = {
    async chunk(_e, c) {
      calls.push(`chunk ${c.name}@${c.offset}`);
    },
    async end(_e, s) {
      calls.push(`end ${s.count}`);
    },
  };
  const recording = createRecording({
    repo,
    streams,
    log: createLogger('test', 'silent'),
    artifacts: { assembler: () => assembler, list: async () => listed },
    outputs: {
      async offload(id, r) {
        calls.push('offload');
        return {
          ...r,
          stdout: Buffer.alloc(0),
          stdoutObject: { key: `executions/${id}/stdout`, size: r.stdout.length },
        };
      },
    },
  });
  return { calls, events, recorder: recording.open() };
}

const msg = (seq: number, event: ReportedEvent): Reported => ({
  executionId: 'e1',
  runnerId: 'r1',
  attempt: 1,
  seq,
  event,
});

describe('result recording with artifacts and large outputs', () => {
  it('hands artifact chunks to the assembler before the result, and the result lists them with the whole output', async () => {
    const { calls, events, recorder } = harness();
    const chunk = { name: 'a.csv', size: 3, sha256: 'x', offset: 0, data: Buffer.from('1,2') };
    await recorder.record(msg(1, { type: 'artifact', chunk }));
    await recorder.record(msg(2, { type: 'artifacts_end', skipped: { entries: [], count: 7 } }));
    await recorder.record(msg(3, { type: 'finished', result }));
    expect(calls).toEqual([
      'chunk a.csv@0',
      'event 1 none',
      'end 7',
      'event 2 none',
      'offload',
      'row stdout=0 object=executions/e1/stdout',
      'event 3 result',
    ]);
    const ev = events.at(-1) as Extract<ExecutionEvent, { type: 'result' }>;
    expect(ev.view?.['artifacts']).toEqual(listed);
    // The row keeps the reference; the view has the whole output.
    expect(ev.view?.['output']).toBe(big.toString());
  });
});
