import { createHash } from 'node:crypto';
import type { Frame } from './frames.js';

/**
 * The artifacts the launcher sends after the run step (sandbox-images/launcher/PROTOCOL.md,
 * "Artifacts"): `a` (path NUL size) and its `b` content frames, `s` (path NUL reason) for an
 * entry left out, `y` (count, bytes, skipped) at the end. The launcher already applied the
 * count and size limits; this checks that what arrives is what was announced, so a launcher
 * fault can never turn into a wrong file.
 */
export interface Artifact {
  /** Relative to /workspace/output, segments joined by `/`. */
  name: string;
  content: Buffer;
  sha256: string;
}

export interface SkippedArtifact {
  name: string;
  reason: string;
}

export interface ArtifactsReport {
  files: Artifact[];
  /** At most the launcher's 100 reported entries. */
  skipped: SkippedArtifact[];
  /** Every entry left out, also those past the reported ones. */
  skippedCount: number;
}

export const artifactFrameTypes = new Set(['a', 'b', 's', 'y']);

function splitAtNul(payload: Buffer, type: string): [string, string] {
  const nul = payload.indexOf(0);
  if (nul <= 0) throw new Error(`launcher ${type} frame without a path`);
  return [payload.subarray(0, nul).toString('utf8'), payload.subarray(nul + 1).toString('latin1')];
}

/** Parses `count=… bytes=… skipped=…`; throws if a figure is missing. */
function parseSummary(payload: Buffer): { count: number; bytes: number; skipped: number } {
  const kv = new Map(
    payload
      .toString('latin1')
      .split(' ')
      .map((p) => p.split('=') as [string, string]),
  );
  const num = (k: string) => {
    const v = Number(kv.get(k));
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`launcher y frame without ${k}`);
    return v;
  };
  return { count: num('count'), bytes: num('bytes'), skipped: num('skipped') };
}

/** Feeds artifact frames in order; `done()` holds the report once `y` came. Throws on a frame
 * that breaks the protocol (content past the announced size, a new file before the last one
 * was whole, a summary that disagrees with what was sent). */
export function createArtifactCollector() {
  const files: Artifact[] = [];
  const skipped: SkippedArtifact[] = [];
  let open: { name: string; size: number; parts: Buffer[]; got: number } | undefined;
  let report: ArtifactsReport | undefined;

  const closeFile = () => {
    if (!open) return;
    if (open.got !== open.size)
      throw new Error(`launcher artifact ${open.name}: ${open.got} of ${open.size} bytes`);
    const content = Buffer.concat(open.parts);
    files.push({ name: open.name, content, sha256: createHash('sha256').update(content).digest('hex') });
    open = undefined;
  };

  const handlers: Record<string, (payload: Buffer) => void> = {
    a(payload) {
      closeFile();
      const [name, size] = splitAtNul(payload, 'a');
      const n = Number(size);
      if (!/^\d+$/.test(size) || !Number.isSafeInteger(n))
        throw new Error(`launcher a frame with size ${size}`);
      open = { name, size: n, parts: [], got: 0 };
    },
    b(payload) {
      if (!open || open.got + payload.length > open.size)
        throw new Error('launcher b frame past its artifact');
      // Copied: the frame parser's buffer is reused for the next chunks.
      open.parts.push(Buffer.from(payload));
      open.got += payload.length;
    },
    s(payload) {
      closeFile();
      const [name, reason] = splitAtNul(payload, 's');
      skipped.push({ name, reason });
    },
    y(payload) {
      closeFile();
      const sum = parseSummary(payload);
      const bytes = files.reduce((n, f) => n + f.content.length, 0);
      if (sum.count !== files.length || sum.bytes !== bytes || sum.skipped < skipped.length)
        throw new Error('launcher y frame disagrees with the artifacts sent');
      report = { files, skipped, skippedCount: sum.skipped };
    },
  };

  return {
    add(f: Frame): void {
      if (report) throw new Error(`launcher ${f.type} frame after the artifacts' end`);
      const handle = handlers[f.type];
      if (!handle) throw new Error(`not an artifact frame: ${f.type}`);
      handle(f.payload);
    },
    done: (): ArtifactsReport | undefined => report,
  };
}
