import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  checkKey,
  type ByteRange,
  type ObjectInfo,
  type ObjectStore,
  type PutMeta,
  type StoredObject,
} from './store.js';

export interface S3StoreOptions {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style (`endpoint/bucket/key`) rather than virtual-hosted (`bucket.endpoint/key`). */
  forcePathStyle: boolean;
  /** Prepended to every key (`muscode/`), so several deployments can share a bucket. */
  prefix: string;
}

const SHA_META = 'sha256';

function isNotFound(err: unknown): boolean {
  return (
    err instanceof S3ServiceException &&
    (err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404)
  );
}

/** Waits between our own attempts: about 15 s in all, room for an S3 server to restart. */
const retryDelaysMs = [250, 500, 1000, 2000, 4000, 8000];

/** A failure worth another try: no answer (refused, reset, timeout) or a 5xx/429 from the server. */
function isTransient(err: unknown): boolean {
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode ?? 0;
    return status >= 500 || status === 429;
  }
  return err instanceof Error;
}

/**
 * Runs a whole-object request again while it fails transiently. Safe because every request
 * here is idempotent: a PUT of the same bytes, a GET, a HEAD, a DELETE.
 */
async function retried<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const delay = retryDelaysMs[attempt];
      if (delay === undefined || !isTransient(err) || isNotFound(err)) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

async function toBuffer(body: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * The S3 store (AWS S3, MinIO, Ceph RGW, R2). Only single-request PUTs and whole-object GETs:
 * radosgw 18.2 reads multipart objects back wrong and ignores a Range start, so ranges are cut
 * here from the whole object, and every whole read is checked against the sha256 kept in the
 * object's metadata (a server returning wrong bytes is an error, not a silent corruption).
 */
export function createS3ObjectStore(opts: S3StoreOptions): ObjectStore {
  const client = new S3Client({
    endpoint: opts.endpoint,
    region: opts.region,
    forcePathStyle: opts.forcePathStyle,
    credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
    // Checksums of newer SDKs use aws-chunked streaming bodies that not every server speaks.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A server that takes the connection and never answers fails the request, not hangs it.
    requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
    // Retries are ours (retried): longer, so a restarting server is waited for.
    maxAttempts: 1,
  });
  const Bucket = opts.bucket;
  const full = (key: string) => `${opts.prefix}${checkKey(key)}`;
  const strip = (key: string) => key.slice(opts.prefix.length);

  async function whole(key: string): Promise<{ info: ObjectInfo; bytes: Buffer } | null> {
    try {
      const { out, bytes } = await retried(async () => {
        const res = await client.send(new GetObjectCommand({ Bucket, Key: full(key) }));
        return { out: res, bytes: Buffer.from(await res.Body!.transformToByteArray()) };
      });
      const sha256 = out.Metadata?.[SHA_META];
      if (sha256 && createHash('sha256').update(bytes).digest('hex') !== sha256) {
        throw new Error(`object ${key}: the store returned bytes that do not match its sha256`);
      }
      const info = {
        key,
        size: bytes.length,
        contentType: out.ContentType,
        sha256,
        lastModified: out.LastModified,
      };
      return { info, bytes };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  return {
    kind: 's3',
    async put(key: string, body: Buffer | Readable, meta: PutMeta) {
      const bytes = await toBuffer(body);
      if (bytes.length !== meta.size)
        throw new Error(`object ${key}: ${bytes.length} bytes, ${meta.size} declared`);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (meta.sha256 !== undefined && meta.sha256 !== sha256)
        throw new Error(`object ${key}: sha256 mismatch`);
      await retried(() =>
        client.send(
          new PutObjectCommand({
            Bucket,
            Key: full(key),
            Body: bytes,
            ContentLength: bytes.length,
            ContentType: meta.contentType,
            Metadata: { [SHA_META]: sha256 },
          }),
        ),
      );
    },
    async get(key: string, range?: ByteRange): Promise<StoredObject | null> {
      const found = await whole(key);
      if (!found) return null;
      const { info, bytes } = found;
      if (!range) return { ...info, body: Readable.from([bytes]) };
      const end = Math.min(range.end ?? info.size - 1, info.size - 1);
      if (range.start > end)
        return { ...info, body: Readable.from([]), range: { start: range.start, end: range.start - 1 } };
      return {
        ...info,
        body: Readable.from([bytes.subarray(range.start, end + 1)]),
        range: { start: range.start, end },
      };
    },
    async head(key: string) {
      try {
        const out = await retried(() => client.send(new HeadObjectCommand({ Bucket, Key: full(key) })));
        return {
          key,
          size: out.ContentLength ?? 0,
          contentType: out.ContentType,
          sha256: out.Metadata?.[SHA_META],
          lastModified: out.LastModified,
        };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async delete(keys: readonly string[]) {
      for (let i = 0; i < keys.length; i += 1000) {
        const Objects = keys.slice(i, i + 1000).map((k) => ({ Key: full(k) }));
        const out = await retried(() =>
          client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects, Quiet: true } })),
        );
        if (out.Errors?.length)
          throw new Error(`delete failed for ${out.Errors.length} objects: ${out.Errors[0]?.Code}`);
      }
    },
    async *list(prefix: string) {
      let token: string | undefined;
      do {
        const out = await client.send(
          new ListObjectsV2Command({ Bucket, Prefix: `${opts.prefix}${prefix}`, ContinuationToken: token }),
        );
        for (const o of out.Contents ?? []) {
          if (o.Key) yield { key: strip(o.Key), size: o.Size ?? 0, lastModified: o.LastModified };
        }
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    },
    async ping() {
      await client.send(new HeadBucketCommand({ Bucket }));
      return true;
    },
    async close() {
      client.destroy();
    },
  };
}

/** Makes the bucket when it is not there (the local stack and the tests; production buckets
 * are made by their operators). */
export async function ensureBucket(opts: S3StoreOptions): Promise<void> {
  const client = new S3Client({
    endpoint: opts.endpoint,
    region: opts.region,
    forcePathStyle: opts.forcePathStyle,
    credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
  });
  try {
    await client.send(new HeadBucketCommand({ Bucket: opts.bucket }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await client.send(new CreateBucketCommand({ Bucket: opts.bucket }));
  } finally {
    client.destroy();
  }
}
