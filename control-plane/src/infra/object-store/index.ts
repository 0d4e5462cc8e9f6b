import { resolve } from 'node:path';
import { createFsObjectStore } from './fs-store.js';
import { createS3ObjectStore, type S3StoreOptions } from './s3-store.js';
import type { ObjectStore } from './store.js';

export { createFsObjectStore } from './fs-store.js';
export { createS3ObjectStore, ensureBucket, type S3StoreOptions } from './s3-store.js';
export * from './store.js';
export { expireObjects, objectPrefix, removePrefix, startRetentionSweep } from './retention.js';

/** The CP_STORAGE_* settings (see config.ts). */
export interface StorageConfig {
  storageEndpoint?: string;
  storageBucket: string;
  storageRegion: string;
  storageAccessKey?: string;
  storageSecretKey?: string;
  storageForcePathStyle: boolean;
  storagePrefix: string;
  storageDir: string;
}

/** S3 options of a config with an endpoint, else null (the filesystem store is used). */
export function s3Options(config: StorageConfig): S3StoreOptions | null {
  if (!config.storageEndpoint) return null;
  if (!config.storageAccessKey || !config.storageSecretKey) {
    throw new Error(
      'CP_STORAGE_ENDPOINT is set: CP_STORAGE_ACCESS_KEY and CP_STORAGE_SECRET_KEY are required',
    );
  }
  return {
    endpoint: config.storageEndpoint,
    bucket: config.storageBucket,
    region: config.storageRegion,
    accessKeyId: config.storageAccessKey,
    secretAccessKey: config.storageSecretKey,
    forcePathStyle: config.storageForcePathStyle,
    prefix: config.storagePrefix,
  };
}

/** S3 when an endpoint is configured, else the embedded store under CP_STORAGE_DIR. */
export function createObjectStore(config: StorageConfig): ObjectStore {
  const s3 = s3Options(config);
  return s3 ? createS3ObjectStore(s3) : createFsObjectStore(resolve(config.storageDir));
}
