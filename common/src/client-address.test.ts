import { describe, expect, it } from 'vitest';
import { clientAddress, parseTrustedProxies } from './client-address.js';

describe('clientAddress', () => {
  const trusted = parseTrustedProxies('10.0.0.0/8, 127.0.0.1 ::1');

  it('is the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.9', ['1.2.3.4'], parseTrustedProxies(undefined))).toBe('203.0.113.9');
    expect(clientAddress('127.0.0.1', ['1.2.3.4'], parseTrustedProxies('none'))).toBe('127.0.0.1');
  });

  it('is the peer when the peer is not a trusted proxy', () => {
    expect(clientAddress('203.0.113.9', ['1.2.3.4'], trusted)).toBe('203.0.113.9');
  });

  it('takes the right-most hop that is not a trusted proxy', () => {
    // The client wrote "6.6.6.6" itself; nginx (10.0.0.2) appended the real 198.51.100.7.
    expect(clientAddress('10.0.0.2', ['6.6.6.6, 198.51.100.7'], trusted)).toBe('198.51.100.7');
    expect(clientAddress('127.0.0.1', ['6.6.6.6', '198.51.100.7, 10.0.0.3'], trusted)).toBe('198.51.100.7');
    expect(clientAddress('::ffff:127.0.0.1', ['198.51.100.7'], trusted)).toBe('198.51.100.7');
  });

  it('stops at a malformed hop and falls back to the last trusted one', () => {
    expect(clientAddress('10.0.0.2', ['198.51.100.7, junk'], trusted)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', [], trusted)).toBe('10.0.0.2');
  });

  it('refuses a list entry that is not an address', () => {
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow();
    expect(() => parseTrustedProxies('localhost')).toThrow();
  });
});
