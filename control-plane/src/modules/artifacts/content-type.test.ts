import { describe, expect, it } from 'vitest';
import { contentTypeOf } from './content-type.js';

describe('contentTypeOf', () => {
  it('goes by the extension first, whatever the case', () => {
    expect(contentTypeOf('plots/plot.PNG', Buffer.from('not a png'))).toBe('image/png');
    expect(contentTypeOf('table.csv', Buffer.from('a,b\n'))).toBe('text/csv');
  });

  it('sniffs the first bytes of a file without a known extension', () => {
    expect(contentTypeOf('plot', Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0]))).toBe('image/png');
    expect(contentTypeOf('doc.bin2', Buffer.from('%PDF-1.7'))).toBe('application/pdf');
  });

  it('calls UTF-8 text text/plain, and anything else octet-stream', () => {
    expect(contentTypeOf('notes', Buffer.from('héllo ✓\n'))).toBe('text/plain');
    // A character cut at the sniffing limit is still text.
    const cut = Buffer.concat([Buffer.from('a'.repeat(4095)), Buffer.from('é')]);
    expect(contentTypeOf('long', cut)).toBe('text/plain');
    expect(contentTypeOf('blob', Buffer.from([0xff, 0xfe, 0x00, 0x41]))).toBe('application/octet-stream');
    expect(contentTypeOf('nul', Buffer.from('a\0b'))).toBe('application/octet-stream');
    expect(contentTypeOf('.hidden', Buffer.alloc(0))).toBe('text/plain');
  });
});
