export { env, loadEnvConfig } from './config.js';
export { createLogger, type Logger } from './logger.js';
export {
  defaultManifestPath,
  defaultJobLimits,
  findLanguage,
  languageLimits,
  languageVersionOfImage,
  languageVersions,
  loadLanguageManifest,
  manifestImages,
  sandboxImageName,
  versionLabel,
  type Language,
  type LanguageManifest,
  type LanguageVersion,
  type LanguageVersionEntry,
  type LimitRange,
  type Limits,
} from './languages.js';
export {
  coerceVersion,
  listRuntimes,
  liveKey,
  liveVersions,
  rankedVersionChoices,
  resolveVersion,
  versionChoices,
  type LiveVersions,
  type RuntimeEntry,
  type VersionChoice,
  type VersionResolution,
} from './language-versions.js';
export { Counter, Gauge, Histogram, type Registry } from 'prom-client';
export { createMetricsRegistry, serveMetrics } from './metrics.js';
export { onShutdown } from './shutdown.js';
export { pidNamespace, processStart } from './process-start.js';
export { executionStatuses, finalStatuses, isFinalStatus, type FinalStatus } from './statuses.js';
export { consumerGroup, redisKeys } from './redis-keys.js';
export {
  controlField,
  eventField,
  jobField,
  jobSchema,
  type ControlMessage,
  type ExecutionEvent,
  type Job,
  type JobLimits,
} from './job.js';
export {
  compareStreamIds,
  createStreamFollower,
  type StreamEntry,
  type StreamFollower,
} from './stream-follower.js';
export {
  clientAddress,
  normalizeAddress,
  parseTrustedProxies,
  type TrustedProxies,
} from './client-address.js';
