import type { Readable } from 'node:stream';

/**
 * The object store seen by the control-plane: artifacts, large outputs and project archives.
 * Two implementations sit behind it: S3 (any S3-compatible server, through @aws-sdk/client-s3)
 * and a directory on the control-plane's own disk for a single machine with no S3 configured.
 *
 * Keys are `/`-separated, relative, without `..` or empty segments (`checkKey` enforces it);
 * the store adds no prefix of its own beyond its configured one. Writes are whole objects
 * (one request: some S3-compatible servers get multipart and ranged writes silently wrong),
 * reads are whole objects or one byte range that the store cuts itself when the server
 * cannot be trusted to.
 */
export interface ObjectStore {
  /** `s3` or `fs`: shown in /health details and logs. */
  readonly kind: 's3' | 'fs';
  /** Writes the whole object; `body` of exactly `size` bytes. Replaces an existing one. */
  put(key: string, body: Buffer | Readable, meta: PutMeta): Promise<void>;
  /** The object's bytes (`range` inclusive, as HTTP's), or null when there is none. */
  get(key: string, range?: ByteRange): Promise<StoredObject | null>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Removes the keys; missing ones are not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Every key under `prefix` (for lifecycle sweeps), in pages. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Answers whether the store is reachable (for /health). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface PutMeta {
  size: number;
  contentType: string;
  /** Hex sha256 of the bytes, kept with the object and checked by readers that care. */
  sha256?: string;
}

export interface ByteRange {
  start: number;
  /** Inclusive; omitted = to the end. */
  end?: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  contentType?: string;
  sha256?: string;
  lastModified?: Date;
}

export interface StoredObject extends ObjectInfo {
  body: Readable;
  /** The range actually given (start..end inclusive) when one was asked for. */
  range?: { start: number; end: number };
}

const KEY_SEGMENT = /^[A-Za-z0-9._=+-][A-Za-z0-9._=+@-]*$/;

/** Throws on a key that is not a relative `/`-separated path of safe segments. */
export function checkKey(key: string): string {
  if (key.length === 0 || key.length > 900) throw new Error(`object key of bad length: ${key.length}`);
  for (const segment of key.split('/')) {
    if (segment === '.' || segment === '..' || !KEY_SEGMENT.test(segment)) {
      throw new Error(`bad object key segment in ${JSON.stringify(key)}`);
    }
  }
  return key;
}
