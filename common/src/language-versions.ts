import semver from 'semver';
import { languageVersions, type Language, type LanguageManifest, type LanguageVersion } from './languages.js';

/**
 * The exact versions live agents report, by language and manifest image id (liveKey; each agent
 * reads them from the image labels at start; one image can hold several languages, e.g.
 * JavaScript and TypeScript). An image several agents have in different builds maps to each.
 */
export type LiveVersions = ReadonlyMap<string, readonly string[]>;

/** The LiveVersions key of a language's version on an image. */
export function liveKey(languageId: string, image: string): string {
  return `${languageId} ${image}`;
}

/** Collects heartbeat entries (`{ languageId, image, version }`) into LiveVersions. */
export function liveVersions(
  entries: Iterable<{ languageId: string; image?: string; version: string }>,
): LiveVersions {
  const out = new Map<string, string[]>();
  for (const e of entries) {
    if (!e.image || !e.version) continue;
    const key = liveKey(e.languageId, e.image);
    const list = out.get(key) ?? [];
    if (!list.includes(e.version)) list.push(e.version);
    out.set(key, list);
  }
  return out;
}

/**
 * A toolchain's version as semver. Versions that are not semver are coerced: the first one to
 * three dot-separated numbers, the rest dropped (`2.2.9.debian` → 2.2.9, `1.3-SNAPSHOT` →
 * 1.3.0, `17.0.21.1` → 17.0.21, `2024.09` → 2024.9.0). Null when there is no number at all.
 */
export function coerceVersion(version: string): semver.SemVer | null {
  if (semver.valid(version)) return new semver.SemVer(version);
  // Leading zeros are not semver (`2024.09`): the number is what counts.
  return semver.coerce(version.replace(/(^|\D)0+(\d)/g, '$1$2'));
}

/** One version a request can be given: exact when a live agent reports it, else the series. */
export interface VersionChoice {
  entry: LanguageVersion;
  /** The exact version (an image label) when `available`, else the entry's series. */
  version: string;
  available: boolean;
}

/**
 * Every version of a language a request can be resolved to, oldest first: each exact version a
 * live agent reports for a version's image, or, for an image no live agent has, its series.
 */
export function versionChoices(lang: Language, live: LiveVersions): VersionChoice[] {
  return languageVersions(lang).flatMap((entry): VersionChoice[] => {
    const exact = live.get(liveKey(lang.id, entry.image)) ?? [];
    return exact.length > 0
      ? exact.map((version) => ({ entry, version, available: true }))
      : [{ entry, version: entry.series, available: false }];
  });
}

/** The choices of versionChoices, newest first (the order GET /languages lists them in). */
export function rankedVersionChoices(lang: Language, live: LiveVersions): VersionChoice[] {
  return newestFirst(versionChoices(lang, live), lang);
}

/** True when a requested version (exact, or a semver range like `3`, `3.11.x`, `>=1.20`) takes a choice. */
function matches(requested: string, choice: VersionChoice): boolean {
  if (requested === choice.version) return true;
  const range = semver.validRange(requested, { loose: true });
  if (range === null) return false;
  if (!choice.available) {
    // Only the series is known: the request fits if some version of the series would satisfy it.
    const series = semver.validRange(choice.version, { loose: true });
    return series !== null && semver.intersects(range, series, { loose: true });
  }
  const v = coerceVersion(choice.version);
  return v !== null && semver.satisfies(v, range, { loose: true });
}

/** Newest first: by semver, an available choice before a series, a later manifest entry before an earlier one. */
function newestFirst(choices: VersionChoice[], lang: Language): VersionChoice[] {
  const order = new Map(lang.versions.map((v, i) => [v.image, i]));
  const key = (c: VersionChoice) => coerceVersion(c.version) ?? new semver.SemVer('0.0.0');
  return [...choices].sort(
    (a, b) =>
      semver.rcompare(key(a), key(b)) ||
      Number(b.available) - Number(a.available) ||
      (order.get(b.entry.image) ?? 0) - (order.get(a.entry.image) ?? 0),
  );
}

export type VersionResolution =
  | { ok: true; choice: VersionChoice }
  | { ok: false; reason: 'unknown_version'; requested: string; versions: string[] };

/**
 * The version a request runs with. Without `requested`: the newest available version (the
 * newest of all while no agent has any). With it: the newest choice it matches, exactly or as a
 * semver range; none matching answers the versions there are (for a 400 that names them).
 */
export function resolveVersion(
  lang: Language,
  requested: string | undefined,
  live: LiveVersions,
): VersionResolution {
  const choices = versionChoices(lang, live);
  const wanted = requested?.trim();
  if (!wanted || wanted === 'latest' || wanted === '*') {
    const ranked = newestFirst(choices, lang);
    const best = ranked.find((c) => c.available) ?? ranked[0];
    if (best) return { ok: true, choice: best };
  } else {
    const best = newestFirst(
      choices.filter((c) => matches(wanted, c)),
      lang,
    )[0];
    if (best) return { ok: true, choice: best };
  }
  return {
    ok: false,
    reason: 'unknown_version',
    requested: wanted ?? '',
    versions: newestFirst(choices, lang).map((c) => c.version),
  };
}

/** One runnable language version, flat: what Piston's runtimes list and GET /languages show. */
export interface RuntimeEntry {
  language: string;
  name: string;
  aliases: string[];
  /** Exact when available, else the series. */
  version: string;
  series: string;
  image: string;
  available: boolean;
}

/** Every language version of the manifest, languages in manifest order, each language's newest first. */
export function listRuntimes(m: LanguageManifest, live: LiveVersions): RuntimeEntry[] {
  return m.languages.flatMap((lang) =>
    newestFirst(versionChoices(lang, live), lang).map((c) => ({
      language: lang.id,
      name: lang.name,
      aliases: lang.aliases,
      version: c.version,
      series: c.entry.series,
      image: c.entry.image,
      available: c.available,
    })),
  );
}
