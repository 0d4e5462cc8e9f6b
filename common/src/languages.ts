import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const range = z.object({ default: z.number(), min: z.number(), max: z.number() });

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
  versionCommand: z.array(z.string()).min(1),
  selfTest: z.object({ hello: selfTestCase, stdin: selfTestCase, error: selfTestCase }),
});

const manifest = z.object({
  limits: z.object({
    timeoutSeconds: range,
    compileTimeoutSeconds: range,
    memoryMb: range,
    cpus: range,
    processes: range,
    openFiles: range,
    fileSizeBytes: range,
    workspaceMb: range,
    outputBytes: range,
    codeBytes: range,
    stdinBytes: range,
    files: range,
  }),
  languages: z.array(language).min(1),
});

export type Language = z.infer<typeof language>;
export type LanguageManifest = z.infer<typeof manifest>;
export type LimitRange = z.infer<typeof range>;

export const defaultManifestPath = fileURLToPath(
  new URL('../../sandbox-images/languages.json', import.meta.url),
);

/** Reads and validates the language manifest, the one place languages are defined. */
export function loadLanguageManifest(path: string = defaultManifestPath): LanguageManifest {
  const parsed = manifest.parse(JSON.parse(readFileSync(path, 'utf8')));
  const seen = new Set<string>();
  for (const lang of parsed.languages) {
    for (const name of [lang.id, ...lang.aliases]) {
      if (seen.has(name)) throw new Error(`language manifest: "${name}" is defined twice`);
      seen.add(name);
    }
  }
  return parsed;
}

/** Finds a language by id or alias, case-insensitively. */
export function findLanguage(m: LanguageManifest, name: string): Language | undefined {
  const wanted = name.trim().toLowerCase();
  return m.languages.find((l) => l.id === wanted || l.aliases.includes(wanted));
}

/** Docker image name of a manifest image. */
export function sandboxImageName(image: string): string {
  return `muscode/sandbox-${image}:latest`;
}

/** Image label carrying the toolchain version of a language, read at build time. */
export function versionLabel(languageId: string): string {
  return `dev.muscode.version.${languageId}`;
}
