import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createArtifactCollector } from './artifacts.js';
import { createFrameParser, frame, type Frame } from './frames.js';

const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const nul = (a: string, b: string) => Buffer.from(`${a}\0${b}`);

/** The frames a launcher sends for data.csv, plot.png (in two b frames), a symlink, an empty file. */
function launcherStream(): Buffer {
  return Buffer.concat([
    frame('a', nul('data.csv', '8')),
    frame('b', 'a,b\n1,2\n'),
    frame('s', nul('passwd', 'symlink')),
    frame('a', nul('plot.png', '10')),
    frame('b', png.subarray(0, 4)),
    frame('b', png.subarray(4)),
    frame('a', nul('sub/empty.txt', '0')),
    frame('y', 'count=3 bytes=18 skipped=250'),
  ]);
}

function collect(frames: Buffer) {
  const c = createArtifactCollector();
  createFrameParser((f: Frame) => c.add(f))(frames);
  return c.done();
}

describe('artifact frames', () => {
  it('reassembles files byte for byte with their sha256, and the skipped entries', () => {
    const r = collect(launcherStream());
    expect(r?.files.map((f) => [f.name, [...f.content], f.sha256])).toEqual([
      ['data.csv', [...Buffer.from('a,b\n1,2\n')], sha(Buffer.from('a,b\n1,2\n'))],
      ['plot.png', [...png], sha(png)],
      ['sub/empty.txt', [], sha(Buffer.alloc(0))],
    ]);
    expect(r?.skipped).toEqual([{ name: 'passwd', reason: 'symlink' }]);
    expect(r?.skippedCount).toBe(250);
  });

  it('has no report before y', () => {
    const c = createArtifactCollector();
    c.add({ type: 'a', payload: nul('x', '1') });
    expect(c.done()).toBeUndefined();
  });

  it('rejects content past the announced size, a short file, a wrong summary and frames after y', () => {
    const bad = [
      [frame('a', nul('x', '1')), frame('b', 'ab')],
      [frame('a', nul('x', '3')), frame('b', 'ab'), frame('y', 'count=1 bytes=2 skipped=0')],
      [frame('a', nul('x', '1')), frame('b', 'a'), frame('y', 'count=2 bytes=1 skipped=0')],
      [frame('b', 'a')],
      [frame('a', nul('x', '-1'))],
      [frame('a', Buffer.from('\x001'))],
      [frame('y', 'count=0 bytes=0 skipped=0'), frame('y', 'count=0 bytes=0 skipped=0')],
    ];
    for (const frames of bad) expect(() => collect(Buffer.concat(frames))).toThrow(/launcher/);
  });
});
