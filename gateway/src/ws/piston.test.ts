import type { WebSocket } from 'uWebSockets.js';
import { describe, expect, it } from 'vitest';
import { createPistonSession } from './piston.js';
import type { WsContext } from './session.js';

/** A socket that records what the session writes, and how it is closed. */
function fakeSocket() {
  const sent: Record<string, unknown>[] = [];
  const ends: [number, string][] = [];
  const ws = {
    send: (m: string) => sent.push(JSON.parse(m) as Record<string, unknown>),
    end: (code: number, reason: string) => ends.push([code, reason]),
    getBufferedAmount: () => 0,
  };
  return { ws: ws as unknown as WebSocket<never>, sent, ends };
}

const ctx = { maxBufferedBytes: 1 << 20, messagesPerSecond: 100 } as WsContext;

function session() {
  const f = fakeSocket();
  const s = createPistonSession(f.ws as never, { credential: 'msk_x', ip: '127.0.0.1' }, ctx);
  return { ...f, s };
}

describe("Piston's WebSocket messages from MUSCode's execution events", () => {
  it('ends the compile stage before the first output of the run', () => {
    const { s, sent, ends } = session();
    s.startStages(true);
    s.send({ type: 'status', status: 'running' });
    s.send({ type: 'output', stream: 'compile', data: 'warning: x\n', encoding: 'utf8' });
    s.send({
      type: 'output',
      stream: 'stdout',
      data: Buffer.from('hi\n').toString('base64'),
      encoding: 'base64',
    });
    s.send({ type: 'result', status: 'completed', exitCode: 3, signalName: null });
    expect(sent).toEqual([
      { type: 'stage', stage: 'compile' },
      { type: 'data', stream: 'stderr', data: 'warning: x\n' },
      { type: 'exit', stage: 'compile', code: 0, signal: null },
      { type: 'stage', stage: 'run' },
      { type: 'data', stream: 'stdout', data: 'hi\n' },
      { type: 'exit', stage: 'run', code: 3, signal: null },
    ]);
    expect(ends).toEqual([[4999, 'Job Completed']]);
    expect(s.finished).toBe(true);
  });

  it('ends a failed compile with its output and no run stage', () => {
    const { s, sent, ends } = session();
    s.startStages(true);
    s.send({
      type: 'result',
      status: 'compile_error',
      exitCode: null,
      compilationError: 'main.c:1: error\n',
    });
    expect(sent).toEqual([
      { type: 'stage', stage: 'compile' },
      { type: 'data', stream: 'stderr', data: 'main.c:1: error\n' },
      { type: 'exit', stage: 'compile', code: 1, signal: null },
    ]);
    expect(ends).toEqual([[4999, 'Job Completed']]);
  });

  it('reports a program MUSCode killed as SIGKILL without an exit code', () => {
    const { s, sent } = session();
    s.startStages(false);
    s.send({ type: 'result', status: 'timeout', exitCode: null, signalName: null });
    expect(sent.at(-1)).toEqual({ type: 'exit', stage: 'run', code: null, signal: 'SIGKILL' });
  });

  it('answers an error as Piston does: an error message, then close 4002', () => {
    const { s, sent, ends } = session();
    s.error('stdin_limit', 'too much stdin');
    s.send({ type: 'output', stream: 'stdout', data: 'late', encoding: 'utf8' });
    expect(sent).toEqual([{ type: 'error', message: 'too much stdin' }]);
    expect(ends).toEqual([[4002, 'Notified Error']]);
  });
});
