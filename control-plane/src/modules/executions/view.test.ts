import { describe, expect, it } from 'vitest';
import { encodeBytes, signalName } from './view.js';

describe('encodeBytes', () => {
  it('keeps valid UTF-8 as text', () => {
    expect(encodeBytes(Buffer.from('héllo ✓\n'))).toEqual({ data: 'héllo ✓\n', encoding: 'utf8' });
    expect(encodeBytes(null)).toEqual({ data: '', encoding: 'utf8' });
  });

  it('switches to base64 for bytes that are not UTF-8, losing none', () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x41]);
    const e = encodeBytes(bytes);
    expect(e.encoding).toBe('base64');
    expect(Buffer.from(e.data, 'base64')).toEqual(bytes);
  });
});

describe('signalName', () => {
  it('names the signal that ended a program', () => {
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(11)).toBe('SIGSEGV');
    expect(signalName(24)).toBe('SIGXCPU');
    expect(signalName(0)).toBeNull();
    expect(signalName(null)).toBeNull();
  });

  it('names 6 SIGABRT, not its alias SIGIOT', () => {
    expect(signalName(6)).toBe('SIGABRT');
  });
});
