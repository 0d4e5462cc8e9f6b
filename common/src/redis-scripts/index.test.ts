import { describe, expect, it } from 'vitest';
import { parseRedisScript, redisScript, redisScriptNames } from './index.js';

describe('redis scripts', () => {
  it('loads every script with a header naming its keys, arguments and results', () => {
    for (const name of redisScriptNames) {
      const s = redisScript(name);
      expect(s.numberOfKeys, name).toBeGreaterThan(0);
      expect(s.lua, name).toMatch(/ARGV\[1\]/);
    }
  });

  it('takes the number of keys from the highest KEYS[n] of the header', () => {
    expect(redisScript('fair-dispatch').numberOfKeys).toBe(4);
    expect(redisScript('send-stdin').numberOfKeys).toBe(3);
    expect(redisScript('append-event').numberOfKeys).toBe(2);
    expect(redisScript('job-ids').numberOfKeys).toBe(1);
  });

  it('refuses a script whose header does not say what it returns', () => {
    expect(() => parseRedisScript('x', '-- x.lua: KEYS[1]\nreturn 1\n')).toThrow(/returns/);
  });
});
