import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ReportEvent } from './control-plane.js';
import { sendArtifacts } from './artifacts-upload.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('sendArtifacts', () => {
  it('sends each file as ordered chunks that add up to it, then what was left out', () => {
    const big = Buffer.from(Array.from({ length: 10 }, (_, i) => i));
    const empty = Buffer.alloc(0);
    const sent: NonNullable<ReportEvent>[] = [];
    sendArtifacts(
      { send: (e) => sent.push(e) },
      {
        files: [
          { name: 'a/big.bin', content: big, sha256: sha(big) },
          { name: 'empty.txt', content: empty, sha256: sha(empty) },
        ],
        skipped: [{ name: 'link', reason: 'symlink' }],
        skippedCount: 3,
      },
      4,
    );
    const chunks = sent.flatMap((e) => (e.case === 'artifactChunk' ? [e.value] : []));
    expect(chunks.map((c) => [c.name, Number(c.offset), Buffer.from(c.data!).length])).toEqual([
      ['a/big.bin', 0, 4],
      ['a/big.bin', 4, 4],
      ['a/big.bin', 8, 2],
      ['empty.txt', 0, 0],
    ]);
    const whole = Buffer.concat(
      chunks.filter((c) => c.name === 'a/big.bin').map((c) => Buffer.from(c.data!)),
    );
    expect(whole).toEqual(big);
    expect(chunks.every((c) => c.sha256 === (c.name === 'empty.txt' ? sha(empty) : sha(big)))).toBe(true);
    expect(sent.at(-1)).toEqual({
      case: 'artifactsEnd',
      value: { count: 2, skipped: [{ name: 'link', reason: 'symlink' }], skippedCount: 3 },
    });
  });

  it('sends nothing when no artifacts were collected', () => {
    const sent: unknown[] = [];
    sendArtifacts({ send: (e) => sent.push(e) }, undefined);
    expect(sent).toEqual([]);
  });
});
