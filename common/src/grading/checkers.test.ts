import { describe, expect, it } from 'vitest';

import { checkOutput } from './checkers.js';

describe('checkOutput', () => {
  it('exact compares every byte, newlines and spaces included', () => {
    expect(checkOutput({ type: 'exact' }, '3\n', '3\n')).toBe(true);
    expect(checkOutput({ type: 'exact' }, '3\n', '3')).toBe(false);
    expect(checkOutput({ type: 'exact' }, '3\n', '3 \n')).toBe(false);
  });

  it('trimmed ignores trailing whitespace per line and final newlines, not leading spaces or inner lines', () => {
    expect(checkOutput({ type: 'trimmed' }, 'a b\nc\n', 'a b  \r\nc\t\n\n\n')).toBe(true);
    expect(checkOutput({ type: 'trimmed' }, 'a\nb', 'a\n\nb')).toBe(false);
    expect(checkOutput({ type: 'trimmed' }, 'x', ' x')).toBe(false);
    expect(checkOutput({ type: 'trimmed' }, 'x', 'y')).toBe(false);
  });

  it('tokens compares whitespace-separated words in order', () => {
    expect(checkOutput({ type: 'tokens' }, '1 2 3\n', '1\n2    3')).toBe(true);
    expect(checkOutput({ type: 'tokens' }, '1 2 3', '1 3 2')).toBe(false);
    expect(checkOutput({ type: 'tokens' }, '1 2 3', '1 2')).toBe(false);
  });

  it('float accepts numbers within the absolute or relative tolerance and words only exactly', () => {
    expect(checkOutput({ type: 'float', absolute: 0.01 }, '3.14 ok', '3.141 ok')).toBe(true);
    expect(checkOutput({ type: 'float', absolute: 0.0001 }, '3.14', '3.141')).toBe(false);
    expect(checkOutput({ type: 'float', relative: 0.01 }, '1000', '1009')).toBe(true);
    expect(checkOutput({ type: 'float', relative: 0.01 }, '1000', '1011')).toBe(false);
    expect(checkOutput({ type: 'float' }, '0.3333333', '0.33333333')).toBe(true);
    expect(checkOutput({ type: 'float' }, '0.5 yes', '0.5 no')).toBe(false);
    expect(checkOutput({ type: 'float', absolute: 1 }, '1', 'NaN')).toBe(false);
    expect(checkOutput({ type: 'float', absolute: 1 }, '1 2', '1')).toBe(false);
  });
});
