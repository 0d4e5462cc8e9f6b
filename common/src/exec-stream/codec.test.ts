import { describe, expect, it } from 'vitest';
import {
  controlField,
  decodeControl,
  decodeEvent,
  encodeControl,
  encodeEvent,
  eventField,
  type ExecutionEvent,
} from './codec.js';

/** An entry as append-event.lua stores it: the seq in front of the encoded JSON. */
function stored(event: ExecutionEvent, seq: number, maxBytes = 1 << 20): string[] {
  return [eventField, `{"seq":${seq},${encodeEvent(event, maxBytes).slice(1)}`];
}

describe('execution events on the stream', () => {
  it('round-trips every event type, the seq coming from the stream', () => {
    const events: ExecutionEvent[] = [
      { type: 'status', seq: 0, status: 'running' },
      { type: 'output', seq: 0, stream: 'stderr', data: Buffer.from([0xff, 0]).toString('base64') },
      { type: 'test', seq: 0, index: 2, test: { name: 'n=3', status: 'timeout' } },
      {
        type: 'result',
        seq: 0,
        status: 'timeout',
        view: { executionId: 'e1', status: 'timeout', exitCode: null },
      },
    ];
    events.forEach((e, i) => expect(decodeEvent(stored(e, i + 1))).toEqual({ ...e, seq: i + 1 }));
  });

  it('drops the view of a result event larger than the limit, keeping its status', () => {
    const big: ExecutionEvent = {
      type: 'result',
      seq: 0,
      status: 'completed',
      view: { executionId: 'e1', status: 'completed', output: 'x'.repeat(500) },
    };
    expect(JSON.parse(encodeEvent(big, 100))).toEqual({ type: 'result', status: 'completed' });
    expect(JSON.parse(encodeEvent(big, 10_000))).toHaveProperty('view.output');
  });

  it('skips entries that are not events instead of failing', () => {
    expect(decodeEvent([])).toBeNull();
    expect(decodeEvent(['v', '{"seq":1,"type":"status","status":"running"}'])).toBeNull();
    expect(decodeEvent([eventField, 'not json'])).toBeNull();
    expect(decodeEvent([eventField, '[1]'])).toBeNull();
    expect(decodeEvent([eventField, '{"seq":1,"type":"status","status":"finished"}'])).toBeNull();
    expect(decodeEvent([eventField, '{"seq":1,"type":"output","stream":"stdin","data":""}'])).toBeNull();
    expect(decodeEvent([eventField, '{"seq":1,"type":"result","status":"running"}'])).toBeNull();
    expect(decodeEvent([eventField, '{"type":"status","status":"running"}'])).toBeNull();
    expect(decodeEvent([eventField, '{"seq":1,"type":"progress"}'])).toBeNull();
  });

  it('reads the event field by name, not a value that looks like it', () => {
    const fields = ['x', eventField, eventField, '{"seq":2,"type":"status","status":"queued"}'];
    expect(decodeEvent(fields)).toEqual({ type: 'status', seq: 2, status: 'queued' });
  });
});

describe('control messages', () => {
  it('round-trips stdin, stdin_close and cancel', () => {
    for (const m of [{ type: 'stdin', data: 'aGk=' }, { type: 'stdin_close' }, { type: 'cancel' }] as const) {
      expect(encodeControl(m)[0]).toBe(controlField);
      expect(decodeControl(encodeControl(m))).toEqual(m);
    }
  });

  it('refuses what is not a control message, and keeps no extra field', () => {
    expect(decodeControl([controlField, '{"type":"stdin"}'])).toBeNull();
    expect(decodeControl([controlField, '{"type":"kill"}'])).toBeNull();
    expect(decodeControl([controlField, '{'])).toBeNull();
    expect(decodeControl(['e', '{"type":"cancel"}'])).toBeNull();
    expect(decodeControl([controlField, '{"type":"cancel","x":1}'])).toEqual({ type: 'cancel' });
  });
});
