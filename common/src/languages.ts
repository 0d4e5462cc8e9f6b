import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { z } from 'zod';
import type { JobLimits } from './job.js';

const range = z.object({ default: z.number(), min: z.number(), max: z.number() });

const limitNames = [
  'timeoutSeconds',
  'cpuTimeSeconds',
  'compileTimeoutSeconds',
  'memoryMb',
  'cpus',
  'processes',
  'openFiles',
  'fileSizeBytes',
  'workspaceMb',
  'outputBytes',
  'codeBytes',
  'stdinBytes',
  'files',
] as const;

const limits = z.object(
  Object.fromEntries(limitNames.map((n) => [n, range])) as Record<(typeof limitNames)[number], typeof range>,
);

/** A language's own limits, each field replacing the manifest-wide one (JVMs need more memory). */
const limitOverrides = z
  .object(
    Object.fromEntries(limitNames.map((n) => [n, range.partial()])) as Record<
      (typeof limitNames)[number],
      ReturnType<typeof range.partial>
    >,
  )
  .partial()
  .strict();

const selfTestCase = z.object({
  code: z.string(),
  stdin: z.string().optional(),
  stdout: z.string().optional(),
  status: z.string().optional(),
  stderrContains: z.string().optional(),
  /** For a toolchain that reports its errors on stdout (Algol 68 Genie). */
  stdoutContains: z.string().optional(),
});

/** What a version of a language may replace of the language's own fields. */
const commandFields = {
  compile: z.array(z.string()).nullable(),
  run: z.array(z.string()).min(1),
  /**
   * A prepared interpreter (sandbox-images/launcher/PROTOCOL.md): started in pooled sandboxes of
   * the image before a submission arrives, then given `[mainFile, ...args]`; it must run the
   * program exactly as `run` would. Only for languages without a compile step; arguments hold
   * no spaces (the launcher reads the command from one environment variable).
   */
  prepare: z
    .array(z.string().regex(/^[^\s]+$/))
    .min(1)
    .optional(),
  versionCommand: z.array(z.string()).min(1),
  limits: limitOverrides.optional(),
};

/**
 * One version of a language: the image that has its toolchain (an id without a slash is of the
 * bookworm family, `trixie/<name>` of the trixie family; see sandbox-images/build.sh), the
 * release series that image gives (a semver range its toolchain's version must satisfy: what a
 * request can be resolved against while no agent reports the exact version), and any command
 * or limit that differs from the language's.
 */
const version = z
  .object({
    image: z.string().regex(/^([a-z][a-z0-9]*\/)?[a-z][a-z0-9_-]*$/),
    series: z.string().min(1).max(50),
    ...commandFields,
  })
  .partial({ compile: true, run: true, versionCommand: true })
  .strict();

const language = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_-]*$/),
  name: z.string(),
  aliases: z.array(z.string()),
  extension: z.string(),
  mainFile: z.string(),
  ...commandFields,
  /** Oldest first; a request without a version gets the newest available. */
  versions: z.array(version).min(1),
  selfTest: z.object({ hello: selfTestCase, stdin: selfTestCase, error: selfTestCase }),
});

const manifest = z.object({
  limits,
  languages: z.array(language).min(1),
});

export type Language = z.infer<typeof language>;
export type LanguageVersionEntry = z.infer<typeof version>;
/**
 * A language as one of its versions' images has it: the language's fields with the version's
 * own over them, plus the image and series. What the agent runs and the limits it gets.
 */
export type LanguageVersion = Language & { image: string; series: string };
export type LanguageManifest = z.infer<typeof manifest>;
export type LimitRange = z.infer<typeof range>;
export type Limits = z.infer<typeof limits>;

export const defaultManifestPath = fileURLToPath(
  new URL('../../sandbox-images/languages.json', import.meta.url),
);

/** Reads and validates the language manifest, the one place languages are defined. */
export function loadLanguageManifest(path: string = defaultManifestPath): LanguageManifest {
  const parsed = manifest.parse(JSON.parse(readFileSync(path, 'utf8')));
  checkRanges('limits', parsed.limits);
  const seen = new Set<string>();
  for (const lang of parsed.languages) {
    for (const name of [lang.id, ...lang.aliases]) {
      if (seen.has(name)) throw new Error(`language manifest: "${name}" is defined twice`);
      seen.add(name);
    }
    const images = new Set<string>();
    for (const v of languageVersions(lang)) {
      if (images.has(v.image)) throw new Error(`language manifest: ${lang.id} names image ${v.image} twice`);
      images.add(v.image);
      if (semver.validRange(v.series, { loose: true }) === null) {
        throw new Error(
          `language manifest: ${lang.id} (${v.image}): series "${v.series}" is not a semver range`,
        );
      }
      checkRanges(`${lang.id}.limits`, languageLimits(parsed, v));
      if (v.prepare && v.compile) {
        throw new Error(`language manifest: ${lang.id} has a compile step, so it cannot be prepared`);
      }
    }
  }
  return parsed;
}

function checkRanges(where: string, l: Limits): void {
  for (const name of limitNames) {
    const r = l[name];
    if (!(r.min <= r.default && r.default <= r.max)) {
      throw new Error(
        `language manifest: ${where}.${name} needs min <= default <= max, got ${JSON.stringify(r)}`,
      );
    }
  }
}

/** A job's limits when its request names none: the language's defaults (or the manifest's). */
export function defaultJobLimits(m: LanguageManifest, lang?: Pick<Language, 'limits'>): JobLimits {
  const l = lang ? languageLimits(m, lang) : m.limits;
  return {
    timeoutMs: l.timeoutSeconds.default * 1000,
    cpuTimeMs: l.cpuTimeSeconds.default * 1000,
    compileTimeoutMs: l.compileTimeoutSeconds.default * 1000,
    memoryMb: l.memoryMb.default,
    cpus: l.cpus.default,
    processes: l.processes.default,
    openFiles: l.openFiles.default,
    fileSizeBytes: l.fileSizeBytes.default,
    workspaceMb: l.workspaceMb.default,
    outputBytes: l.outputBytes.default,
  };
}

/** The limits of one language: the manifest-wide ranges with the language's own fields over them. */
export function languageLimits(m: LanguageManifest, lang: Pick<Language, 'limits'>): Limits {
  const own = lang.limits ?? {};
  return Object.fromEntries(limitNames.map((n) => [n, { ...m.limits[n], ...own[n] }])) as Limits;
}

/** Finds a language by id or alias, case-insensitively. */
export function findLanguage(m: LanguageManifest, name: string): Language | undefined {
  const wanted = name.trim().toLowerCase();
  return m.languages.find((l) => l.id === wanted || l.aliases.includes(wanted));
}

/** Every version of a language, oldest first, each with its own fields over the language's. */
export function languageVersions(lang: Language): LanguageVersion[] {
  return lang.versions.map((v) => {
    const own = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
    return { ...lang, ...own, image: v.image, series: v.series };
  });
}

/** The version of a language that an image has, if it has one. */
export function languageVersionOfImage(lang: Language, image: string): LanguageVersion | undefined {
  return languageVersions(lang).find((v) => v.image === image);
}

/** Every manifest image id (each once), in manifest order. */
export function manifestImages(m: LanguageManifest): string[] {
  return [...new Set(m.languages.flatMap((l) => l.versions.map((v) => v.image)))];
}

/**
 * Docker image name of a manifest image, in the repository the images were built in:
 * `python` → `<repo>/sandbox-python:latest`, `trixie/python` → `<repo>/sandbox-trixie-python:latest`.
 */
export function sandboxImageName(image: string, repo = 'muscode'): string {
  return `${repo}/sandbox-${image.replaceAll('/', '-')}:latest`;
}

/** Image label carrying the toolchain version of a language, read at build time. */
export function versionLabel(languageId: string): string {
  return `dev.muscode.version.${languageId}`;
}
