import { describe, expect, it } from 'vitest';
import { clientMessage, encodeOutput } from './protocol.js';
import { createTokenBucket } from './session.js';

describe('WebSocket protocol', () => {
  it('keeps valid UTF-8 as text and anything else as base64, losing no byte', () => {
    expect(encodeOutput(Buffer.from('héllo\n'))).toEqual({ data: 'héllo\n', encoding: 'utf8' });
    const bytes = Buffer.from([0xff, 0x00, 0xc3]);
    const out = encodeOutput(bytes);
    expect(out.encoding).toBe('base64');
    expect(Buffer.from(out.data, 'base64')).toEqual(bytes);
  });

  it('parses client messages strictly, with defaults', () => {
    expect(clientMessage.parse({ type: 'subscribe', executionId: 'x' })).toEqual({
      type: 'subscribe',
      executionId: 'x',
      fromSeq: 0,
    });
    expect(clientMessage.parse({ type: 'stdin', executionId: 'x', data: 'a' })).toMatchObject({
      encoding: 'utf8',
    });
    expect(clientMessage.safeParse({ type: 'subscribe', executionId: 'x', fromSeq: -1 }).success).toBe(false);
    expect(clientMessage.safeParse({ type: 'subscribe', executionId: 'x', extra: 1 }).success).toBe(false);
    expect(clientMessage.safeParse({ type: 'shutdown' }).success).toBe(false);
    expect(clientMessage.safeParse({ type: 'execute', code: 'x' }).success).toBe(false);
    const args = ['a b', '', '--x=1'];
    expect(
      clientMessage.parse({ type: 'execute', language: 'python', version: '3.11.x', args, code: 'x' }),
    ).toMatchObject({ version: '3.11.x', args });
    expect(
      clientMessage.safeParse({ type: 'execute', language: 'python', version: '', code: 'x' }).success,
    ).toBe(false);
    expect(
      clientMessage.safeParse({ type: 'execute', language: 'python', args: [1], code: 'x' }).success,
    ).toBe(false);
  });
});

describe('message rate budget', () => {
  it('allows a burst, then the steady rate', () => {
    let t = 0;
    const admit = createTokenBucket(10, 20, () => t);
    const burst = Array.from({ length: 25 }, () => admit()).filter(Boolean).length;
    expect(burst).toBe(20);
    t += 500;
    expect(Array.from({ length: 10 }, () => admit()).filter(Boolean).length).toBe(5);
  });
});
