import type { Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import yazl from 'yazl';
import { errors } from '../../errors.js';
import { normalizeFilePath } from '../executions/request.js';

export interface ArchiveLimits {
  /** Files an archive may hold (directory entries aside). */
  maxFiles: number;
  /** Largest file once extracted. */
  maxFileBytes: number;
  /** All files together once extracted. */
  maxTotalBytes: number;
  /** Largest extracted : compressed ratio of one entry (a zip bomb's is in the thousands). */
  maxRatio: number;
}

export interface ArchiveFile {
  /** Relative `/`-separated path inside the project ("src/a.py"). */
  path: string;
  content: string;
}

/** Entries smaller than this are not held to the ratio limit. */
const ratioFloorBytes = 64 * 1024;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const bad = (message: string, entry?: string) =>
  errors.validation(message, { field: '(archive)', ...(entry !== undefined ? { entry } : {}) });

/** A project's files as a zip (folders as path prefixes), streamed as it is compressed. */
export function zipFiles(files: readonly ArchiveFile[]): Readable {
  const zip = new yazl.ZipFile();
  for (const f of files) zip.addBuffer(Buffer.from(f.content, 'utf8'), f.path, { mode: S_IFREG | 0o644 });
  zip.end();
  return zip.outputStream as Readable;
}

/** Every entry's metadata, read from the central directory before any byte is inflated. */
function entriesOf(bytes: Buffer): Promise<{ zip: ZipFile; entries: Entry[] }> {
  return new Promise((resolve, reject) => {
    // strictFileNames: a `\` in a name is refused rather than read as a folder separator.
    yauzl.fromBuffer(
      bytes,
      { lazyEntries: true, strictFileNames: true, validateEntrySizes: true },
      (err, zip) => {
        if (err || !zip)
          return reject(bad(`The archive is not a readable zip file: ${err?.message ?? 'empty'}.`));
        const entries: Entry[] = [];
        zip.on('entry', (e: Entry) => {
          entries.push(e);
          zip.readEntry();
        });
        zip.on('end', () => resolve({ zip, entries }));
        zip.on('error', (e: Error) => reject(bad(`The archive is not a readable zip file: ${e.message}.`)));
        zip.readEntry();
      },
    );
  });
}

/** Throws a 400 for an entry that is no plain file at a safe relative path. */
function checkEntry(e: Entry, limits: ArchiveLimits): string {
  const name = e.fileName;
  const mode = (e.externalFileAttributes >>> 16) & S_IFMT;
  if (mode === S_IFLNK)
    throw bad(`The archive holds a symbolic link (${name}); only plain files are imported.`, name);
  if (mode !== 0 && mode !== S_IFREG) throw bad(`The archive holds a special file (${name}).`, name);
  if (e.isEncrypted()) throw bad(`The archive holds an encrypted entry (${name}).`, name);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.split('/').includes('..')) {
    throw bad(`The archive entry "${name}" is an absolute path or climbs out with "..".`, name);
  }
  if (e.uncompressedSize > limits.maxFileBytes) {
    throw bad(`The archive entry "${name}" is larger than ${limits.maxFileBytes} bytes.`, name);
  }
  // Small files of repeated text compress far; the ratio matters only where the bytes do.
  const ratio = e.uncompressedSize / Math.max(e.compressedSize, 1);
  if (e.uncompressedSize > ratioFloorBytes && ratio > limits.maxRatio) {
    throw bad(
      `The archive entry "${name}" expands ${Math.round(ratio)} times (at most ${limits.maxRatio}).`,
      name,
    );
  }
  return normalizeFilePath(undefined, name, 'archive entry');
}

function readEntry(zip: ZipFile, e: Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(e, (err, stream) => {
      if (err || !stream) return reject(bad(`The archive entry "${e.fileName}" cannot be read.`, e.fileName));
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      // yauzl checks the inflated size against the declared one (a lying header is an error).
      stream.on('error', (x: Error) =>
        reject(bad(`The archive entry "${e.fileName}" is corrupt: ${x.message}.`, e.fileName)),
      );
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/**
 * The files of a zip archive, after every check that can be made from its central directory
 * (count, sizes, total, ratio, paths, links) has passed: nothing is inflated before. Files must
 * be UTF-8 text without NUL (projects hold source). Any failure is a 400.
 */
export async function unzipFiles(bytes: Buffer, limits: ArchiveLimits): Promise<ArchiveFile[]> {
  const { zip, entries } = await entriesOf(bytes);
  try {
    const files = entries.filter((e) => !e.fileName.endsWith('/'));
    if (files.length === 0) throw bad('The archive holds no files.');
    if (files.length > limits.maxFiles) throw bad(`The archive holds more than ${limits.maxFiles} files.`);
    const total = files.reduce((n, e) => n + e.uncompressedSize, 0);
    if (total > limits.maxTotalBytes)
      throw bad(`The archive expands to more than ${limits.maxTotalBytes} bytes.`);
    const paths = files.map((e) => checkEntry(e, limits));
    if (new Set(paths).size !== paths.length) throw bad('The archive names one file twice.');
    const out: ArchiveFile[] = [];
    for (const [i, e] of files.entries()) {
      const content = await readEntry(zip, e);
      let text: string;
      try {
        text = strictUtf8.decode(content);
      } catch {
        throw bad(`The archive entry "${e.fileName}" is not UTF-8 text.`, e.fileName);
      }
      if (text.includes('\0'))
        throw bad(`The archive entry "${e.fileName}" contains NUL characters.`, e.fileName);
      out.push({ path: paths[i]!, content: text });
    }
    return out;
  } finally {
    zip.close();
  }
}
