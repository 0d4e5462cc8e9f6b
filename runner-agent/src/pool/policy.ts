import {
  defaultJobLimits,
  languageVersions,
  manifestImages,
  sandboxImageName,
  type JobLimits,
  type LanguageManifest,
} from '@muscode/common';
import type { SandboxSpec } from '../sandbox/driver.js';
import { sandboxSpec, type Isolation, type SpecInput } from '../engine/container-spec.js';

/**
 * What the warm pool keeps: which images (the configured ones this host has), with which
 * limits (the manifest's defaults, container-level ulimits and pids at the maxima since the
 * launcher sets each step's own below them), and which prepared interpreter each starts.
 */
export function createPoolPolicy(opts: {
  manifest: LanguageManifest;
  /** AGENT_POOL_IMAGES: image names, comma-separated, or `*` for all. */
  poolImages: string;
  imageRepo: string;
  /** Images this agent can use, by name. */
  hasImage: (image: string) => boolean;
  isolation: Isolation;
  specBase: Omit<SpecInput, 'image' | 'limits' | 'executionId' | 'isolation'>;
}) {
  const { manifest } = opts;
  const lm = manifest.limits;
  const poolLimits: JobLimits = {
    ...defaultJobLimits(manifest),
    processes: lm.processes.max,
    openFiles: lm.openFiles.max,
    fileSizeBytes: lm.fileSizeBytes.max,
  };
  const wanted = new Set(opts.poolImages.split(',').map((s) => s.trim()));
  const images = manifestImages(manifest)
    .filter((name) => wanted.has('*') || wanted.has(name))
    .map((name) => sandboxImageName(name, opts.imageRepo))
    .filter((image) => opts.hasImage(image));
  // Pooled sandboxes of an image start its prepared interpreter (if a language of it has one).
  const preparedByImage = new Map(
    images.flatMap((image) => {
      const lang = manifest.languages
        .flatMap((l) => languageVersions(l))
        .find((v) => sandboxImageName(v.image, opts.imageRepo) === image && v.prepare);
      return lang ? [[image, lang] as const] : [];
    }),
  );
  const prepareOf = (image: string) => {
    const lang = preparedByImage.get(image);
    return lang?.prepare ? { command: lang.prepare, limits: defaultJobLimits(manifest, lang) } : undefined;
  };
  return {
    poolLimits,
    images,
    specFor: (image: string): SandboxSpec =>
      sandboxSpec({
        ...opts.specBase,
        image,
        limits: poolLimits,
        isolation: opts.isolation,
        prepare: prepareOf(image),
      }),
    preparedFor: (image: string) => preparedByImage.get(image)?.id,
  };
}
