import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
});

const language = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_-]*$/),
  name: z.string(),
  aliases: z.array(z.string()),
  image: z.string().regex(/^[a-z][a-z0-9_-]*$/),
  extension: z.string(),
  mainFile: z.string(),
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
  selfTest: z.object({ hello: selfTestCase, stdin: selfTestCase, error: selfTestCase }),
});

const manifest = z.object({
  limits,
  languages: z.array(language).min(1),
});

export type Language = z.infer<typeof language>;
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
    checkRanges(`${lang.id}.limits`, languageLimits(parsed, lang));
    if (lang.prepare && lang.compile) {
      throw new Error(`language manifest: ${lang.id} has a compile step, so it cannot be prepared`);
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
export function defaultJobLimits(m: LanguageManifest, lang?: Language): JobLimits {
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
export function languageLimits(m: LanguageManifest, lang: Language): Limits {
  const own = lang.limits ?? {};
  return Object.fromEntries(limitNames.map((n) => [n, { ...m.limits[n], ...own[n] }])) as Limits;
}

/** Finds a language by id or alias, case-insensitively. */
export function findLanguage(m: LanguageManifest, name: string): Language | undefined {
  const wanted = name.trim().toLowerCase();
  return m.languages.find((l) => l.id === wanted || l.aliases.includes(wanted));
}

/** Docker image name of a manifest image, in the repository the images were built in. */
export function sandboxImageName(image: string, repo = 'muscode'): string {
  return `${repo}/sandbox-${image}:latest`;
}

/** Image label carrying the toolchain version of a language, read at build time. */
export function versionLabel(languageId: string): string {
  return `dev.muscode.version.${languageId}`;
}
