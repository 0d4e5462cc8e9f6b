import type { ArtifactsReport } from '../engine/artifacts.js';
import type { AttemptReport } from './control-plane.js';

/** Bytes of one artifact chunk on the report stream: well under the control-plane's read limit. */
export const artifactChunkBytes = 256 * 1024;

/**
 * Sends the artifacts the launcher handed over on the attempt's report stream, before its
 * `finished`: each file as chunks in order, then what was left out. The agent holds no storage
 * credentials; the control-plane stores the files. The chunks are views of the collected
 * files, not copies, and go through the report's replay log like every event, so a stream
 * that reconnects sends them again whole.
 */
export function sendArtifacts(
  report: Pick<AttemptReport, 'send'>,
  artifacts: ArtifactsReport | undefined,
  chunkBytes = artifactChunkBytes,
): void {
  if (!artifacts) return;
  for (const f of artifacts.files) {
    const size = f.content.length;
    let offset = 0;
    do {
      const data = f.content.subarray(offset, offset + chunkBytes);
      report.send({
        case: 'artifactChunk',
        value: { name: f.name, size: BigInt(size), sha256: f.sha256, offset: BigInt(offset), data },
      });
      offset += data.length;
    } while (offset < size);
  }
  report.send({
    case: 'artifactsEnd',
    value: {
      count: artifacts.files.length,
      skipped: artifacts.skipped.map((s) => ({ name: s.name, reason: s.reason })),
      skippedCount: artifacts.skippedCount,
    },
  });
}
