import { describe, expect, it } from 'vitest';
import { argvPayload, createFrameParser, filePayload, frame, parseStepResult, type Frame } from './frames.js';

describe('launcher frames', () => {
  it('encodes type, big-endian length and payload', () => {
    expect([...frame('G')]).toEqual([0x47, 0, 0, 0, 0]);
    expect([...frame('I', 'hi')]).toEqual([0x49, 0, 0, 0, 2, 0x68, 0x69]);
    expect(argvPayload(['python3', 'main.py']).toString()).toBe('python3\0main.py\0');
    expect(filePayload('lib/a.py', 'x = 1').toString()).toBe('lib/a.py\0x = 1');
    expect(filePayload('a.sh', Buffer.from([0xe9, 0xff]))).toEqual(
      Buffer.from([0x61, 0x2e, 0x73, 0x68, 0, 0xe9, 0xff]),
    );
  });

  it('parses frames split at any byte boundary', () => {
    const stream = Buffer.concat([
      frame('o', 'hello'),
      frame('e', Buffer.from([0xff, 0x00])),
      frame('x', 'a=b'),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const got: Frame[] = [];
      const parse = createFrameParser((f) => got.push({ type: f.type, payload: Buffer.from(f.payload) }));
      parse(stream.subarray(0, cut));
      parse(stream.subarray(cut));
      expect(got.map((f) => [f.type, [...f.payload]])).toEqual([
        ['o', [...Buffer.from('hello')]],
        ['e', [0xff, 0x00]],
        ['x', [...Buffer.from('a=b')]],
      ]);
    }
  });

  it('refuses an absurd frame length instead of buffering forever', () => {
    const parse = createFrameParser(() => undefined);
    expect(() => parse(Buffer.from([0x6f, 0xff, 0xff, 0xff, 0xff]))).toThrow(/too large/);
  });

  it('parses a step result line', () => {
    const r = parseStepResult(
      Buffer.from(
        'step=run exit=-1 signal=9 cpu_ms=12 wall_ms=2001 maxrss_kb=9000 timeout=1 cpu_limit=0 output_limit=0 cancelled=0 prepared=1',
      ),
    );
    expect(r).toEqual({
      step: 'run',
      exit: -1,
      signal: 9,
      cpuMs: 12,
      wallMs: 2001,
      maxRssKb: 9000,
      timeout: true,
      cpuLimit: false,
      outputLimit: false,
      cancelled: false,
      prepared: true,
    });
    expect(() => parseStepResult(Buffer.from('step=run exit=0'))).toThrow();
    const negative = parseStepResult(
      Buffer.from(
        'step=run exit=-1 signal=9 cpu_ms=5 wall_ms=-5784 maxrss_kb=9000 timeout=1 cpu_limit=0 output_limit=0 cancelled=0',
      ),
    );
    expect(negative.wallMs).toBe(0);
  });
});
