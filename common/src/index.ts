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
export {
  eventStatuses,
  executionStatuses,
  finalStatuses,
  isFinalStatus,
  statusToProto,
  verdictFromProto,
  verdictToProto,
  verdicts,
  type EventStatus,
  type ExecutionStatus,
  type FinalStatus,
  type VerdictName,
} from './statuses.js';
export { consumerGroup, redisKeys } from './redis-keys.js';
export {
  redisScript,
  redisScriptNames,
  scriptCodes,
  type RedisScript,
  type RedisScriptName,
} from './redis-scripts/index.js';
export { jobField, jobSchema, type Job, type JobGrading, type JobLimits, type JobTest } from './job.js';
export {
  compareStreamIds,
  controlField,
  createControlWriter,
  createStreamFollower,
  decodeControl,
  decodeEvent,
  encodeControl,
  encodeEvent,
  eventField,
  execStreamKeys,
  followControl,
  followEvents,
  followExecution,
  parseEntries,
  parseReadReply,
  type ControlMessage,
  type ControlWriter,
  type ExecStreamKeys,
  type ExecutionEvent,
  type ExecutionResultView,
  type FollowExecutionOptions,
  type ResultEvent,
  type RowReason,
  type StdinOutcome,
  type StreamBatch,
  type StreamEntry,
  type StreamEvent,
  type StreamFollower,
} from './exec-stream/index.js';
export {
  clientAddress,
  normalizeAddress,
  parseTrustedProxies,
  type TrustedProxies,
} from './client-address.js';
export {
  checkOutput,
  checkerSchema,
  programCheckerSchema,
  testStatuses,
  type Checker,
  type OutputChecker,
  type ProgramChecker,
  type TestStatus,
} from './grading/checkers.js';
export {
  checkerJobLimits,
  checkerLanguage,
  checkerRunLimits,
  checkerRunsBudgetMs,
} from './grading/program-checker.js';
