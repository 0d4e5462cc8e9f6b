import { describe, expect, it } from 'vitest';
import { compareStreamIds, parseEntries, parseReadReply } from './reply.js';

describe('stream replies', () => {
  it('orders stream ids numerically, not as text', () => {
    expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareStreamIds('10-0', '9-5')).toBeGreaterThan(0);
    expect(compareStreamIds('5-2', '5-10')).toBeLessThan(0);
    expect(compareStreamIds('0', '0-0')).toBe(0);
    expect(compareStreamIds('1700000000000-1', '1700000000000-1')).toBe(0);
    expect(compareStreamIds('1700000000000-0', '999-5')).toBeGreaterThan(0);
  });

  it('parses XRANGE / XCLAIM entries, leaving out those deleted while pending', () => {
    const raw = [
      ['1-0', ['e', 'a']],
      ['2-0', null],
      ['3-0', ['e', 'b', 'x', 'y']],
    ];
    expect(parseEntries(raw)).toEqual([
      { id: '1-0', fields: ['e', 'a'] },
      { id: '3-0', fields: ['e', 'b', 'x', 'y'] },
    ]);
    expect(parseEntries(null)).toEqual([]);
    expect(parseEntries('OK')).toEqual([]);
  });

  it('parses an XREAD / XREADGROUP reply per stream; a timed-out block is no batch', () => {
    const reply = [
      [
        'k1',
        [
          ['1-0', ['e', 'a']],
          ['1-1', ['e', 'b']],
        ],
      ],
      ['k2', []],
      ['k3', [['7-0', ['c', '{}']]]],
    ];
    expect(parseReadReply(reply)).toEqual([
      {
        key: 'k1',
        entries: [
          { id: '1-0', fields: ['e', 'a'] },
          { id: '1-1', fields: ['e', 'b'] },
        ],
      },
      { key: 'k3', entries: [{ id: '7-0', fields: ['c', '{}'] }] },
    ]);
    expect(parseReadReply(null)).toEqual([]);
  });
});
