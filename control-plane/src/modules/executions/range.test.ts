import { describe, expect, it } from 'vitest';
import { parseRange } from './index.js';
import { cutRange } from './outputs.js';

describe('parseRange', () => {
  it('reads one range of bytes: start-end, start-, and a suffix', () => {
    expect(parseRange('bytes=0-99')).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=100-')).toEqual({ start: 100 });
    expect(parseRange('bytes=-25')).toEqual({ suffix: 25 });
  });

  it('ignores what it cannot serve as one range (the whole stream is sent)', () => {
    for (const h of [null, '', 'bytes=', 'bytes=-', 'bytes=5-1', 'bytes=0-1,5-9', 'items=0-1', 'bytes=a-b']) {
      expect(parseRange(h)).toBeUndefined();
    }
  });
});

describe('cutRange', () => {
  const all = Buffer.from('0123456789');
  it('cuts inclusive ranges and clamps an end past the stream', () => {
    expect(cutRange(all, { start: 2, end: 4 })).toEqual({
      bytes: Buffer.from('234'),
      size: 10,
      range: { start: 2, end: 4 },
    });
    expect(cutRange(all, { start: 8, end: 100 }).bytes.toString()).toBe('89');
    expect(cutRange(all).bytes).toBe(all);
  });
});
