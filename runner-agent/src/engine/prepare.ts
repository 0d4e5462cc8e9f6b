import {
  findLanguage,
  languageVersionOfImage,
  languageVersions,
  sandboxImageName,
  type Job,
  type JobLimits,
  type LanguageVersion,
  type LanguageManifest,
  type Logger,
} from '@muscode/common';
import type { Lease, WarmPool } from '../pool/warm-pool.js';
import { sandboxSpec, type SpecInput } from './container-spec.js';

/**
 * The prepare phase: which language version and image the job runs, and a sandbox for it
 * (warm from the pool, or started now with the job's own limits). A sandbox that cannot be
 * started is the platform's failure, never the user's verdict.
 */

export interface PrepareDeps {
  pool: WarmPool;
  manifest: LanguageManifest;
  /** The limits pooled sandboxes are made with (the manifest's defaults). */
  poolLimits: JobLimits;
  /** The spec input of a sandbox, less what depends on the job. */
  specBase: Omit<SpecInput, 'image' | 'limits' | 'executionId' | 'isolation'>;
  /** Repository the sandbox images are tagged in. */
  imageRepo: string;
  /** Images this agent can use, by name. */
  hasImage: (image: string) => boolean;
  /**
   * Re-probes the container runtime after a sandbox failed to start. When it is down the
   * attempt is left pending (not failed): the job is the platform's problem, not the user's,
   * and runs once this agent or another can start sandboxes.
   */
  runtimeHealthy?: () => Promise<boolean>;
}

export type Prepared =
  | { ok: true; lang: LanguageVersion; lease: Lease & { warm: boolean } }
  /** The attempt ends as internal_error with this message for the user. */
  | { ok: false; message: string };

/** An attempt given back because the container runtime is down; its job stays pending. */
export class RuntimeUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the container runtime is unavailable; the job is left pending', { cause });
    this.name = 'RuntimeUnavailableError';
  }
}

/**
 * Sandbox-level limits (memory, CPU, tmpfs sizes) are fixed when a sandbox is created; a job
 * whose limits differ from the pool's gets a sandbox of its own, made for it.
 */
function fitsPool(pool: JobLimits, job: JobLimits): boolean {
  return pool.memoryMb === job.memoryMb && pool.cpus === job.cpus && pool.workspaceMb === job.workspaceMb;
}

/** The version the control-plane chose (its image); a job without one runs the language's first. */
export function resolveLanguage(manifest: LanguageManifest, job: Job): LanguageVersion | undefined {
  const language = findLanguage(manifest, job.language);
  return (
    language && (job.image ? languageVersionOfImage(language, job.image) : languageVersions(language)[0])
  );
}

/** Throws RuntimeUnavailableError only when the runtime is down (nothing was reported then). */
export async function prepare(deps: PrepareDeps, job: Job, log: Logger): Promise<Prepared> {
  const lang = resolveLanguage(deps.manifest, job);
  const image = lang ? sandboxImageName(lang.image, deps.imageRepo) : '';
  if (!lang || !deps.hasImage(image)) {
    log.error({ language: job.language, image: job.image }, 'language not available on this runner');
    const what = job.version ? `${job.language} ${job.version}` : job.language;
    return { ok: false, message: `Language ${what} is not available on this runner.` };
  }
  const cold = fitsPool(deps.poolLimits, job.limits)
    ? undefined
    : sandboxSpec({
        ...deps.specBase,
        image,
        limits: job.limits,
        executionId: job.executionId,
        isolation: 'sandbox',
      });
  try {
    return { ok: true, lang, lease: await deps.pool.acquire(image, job.ownerId, cold) };
  } catch (err) {
    if (deps.runtimeHealthy && !(await deps.runtimeHealthy())) {
      log.warn(
        { err: (err as Error).message },
        'no sandbox: the container runtime is down; job left pending',
      );
      throw new RuntimeUnavailableError(err);
    }
    log.error({ err }, 'sandbox did not start');
    return { ok: false, message: 'The sandbox could not be started.' };
  }
}
