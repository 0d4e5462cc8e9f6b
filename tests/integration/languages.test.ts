import Docker from 'dockerode';
import semver from 'semver';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  coerceVersion,
  languageVersions,
  loadLanguageManifest,
  sandboxImageName,
  versionLabel,
  type LanguageVersion,
} from '@muscode/common';
import { api, newUser, waitForResult, type TestUser } from '../support/api.js';
import { imageRepo } from '../support/stack.js';

/**
 * Every version of every language of sandbox-images/languages.json runs its three self-tests
 * (hello world, stdin echo, an error with its expected verdict) through the public API, under
 * runsc, on the real stack, asked for by its exact version. Sandboxes are CPU-heavy, so the runs
 * share a pool of two (the agent's capacity).
 */
const full = loadLanguageManifest();
// MUSCODE_TEST_LANGUAGES=sql,java runs only those (while adding a language); unset, all of them.
const only = process.env['MUSCODE_TEST_LANGUAGES']?.split(',').map((s) => s.trim());
const manifest = only ? { ...full, languages: full.languages.filter((l) => only.includes(l.id)) } : full;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const cases = ['hello', 'stdin', 'error'] as const;
type CaseName = (typeof cases)[number];
const poolSize = 2;
// Compilers on a busy two-core machine: generous, this is not a speed test.
const resultTimeoutMs = 180_000;
// The run's own limits at their maximum too: under CI load (other test files run beside this
// one) a slow-starting runtime such as R or Erlang can spend its whole default 5 s on startup,
// and the self-tests check verdicts, not speed. The error case stays a runtime error.
const runLimits = {
  timeout: full.limits.timeoutSeconds.max,
  cpuTime: full.limits.cpuTimeSeconds.max,
  compileTimeout: full.limits.compileTimeoutSeconds.max,
};
const versions = manifest.languages.flatMap((l) => languageVersions(l));
const versionName = (v: LanguageVersion) => `${v.id}@${v.image}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON
type Result = any;
const results = new Map<string, Result>();
/** The exact version each language version's image is labelled with. */
const labels = new Map<string, string>();
const key = (v: LanguageVersion, c: CaseName) => `${versionName(v)}/${c}`;

async function runCase(user: TestUser, v: LanguageVersion, c: CaseName): Promise<Result> {
  const t = v.selfTest[c];
  const r = await api('POST', '/execute', {
    token: user.token,
    body: {
      language: v.id,
      version: labels.get(versionName(v)),
      code: t.code,
      ...runLimits,
      ...(t.stdin !== undefined ? { stdin: t.stdin } : {}),
    },
  });
  if (r.status !== 200) return { submitError: r };
  return waitForResult(user.token, r.body.data.executionId, resultTimeoutMs);
}

beforeAll(async () => {
  for (const v of versions) {
    const image = await docker.getImage(sandboxImageName(v.image, imageRepo)).inspect();
    labels.set(versionName(v), image.Config.Labels?.[versionLabel(v.id)] ?? '');
  }
  // One user per language keeps every user far below the daily quota.
  const users = new Map<string, TestUser>();
  for (const lang of manifest.languages) users.set(lang.id, await newUser());
  const queue = versions.flatMap((v) => cases.map((c) => ({ v, c })));
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const { v, c } = job;
      try {
        results.set(key(v, c), await runCase(users.get(v.id)!, v, c));
      } catch (err) {
        results.set(key(v, c), { thrown: String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: poolSize }, worker));
}, 3_600_000);

describe('languages: GET /languages', () => {
  it('lists every manifest language with every version available, each the version labelled on its image and of its series', async () => {
    const r = await api('GET', '/languages');
    expect(r.status).toBe(200);
    const listed = new Map<string, Result>(r.body.data.map((l: Result) => [l.id, l]));
    expect([...listed.keys()].sort()).toEqual(full.languages.map((l) => l.id).sort());
    for (const lang of manifest.languages) {
      const entry = listed.get(lang.id);
      const own = languageVersions(lang);
      const expected = own.map((v) => ({
        version: labels.get(versionName(v)),
        series: v.series,
        available: true,
      }));
      const got = entry.versions.map((x: Result) => ({
        version: x.version,
        series: x.series,
        available: x.available,
      }));
      expect({ id: lang.id, versions: [...got].sort(byVersion) }).toEqual({
        id: lang.id,
        versions: [...expected].sort(byVersion),
      });
      for (const v of own) {
        const label = labels.get(versionName(v))!;
        expect(label, `${versionName(v)}`).toMatch(/^\d+(\.\d+)*/);
        expect(
          { version: versionName(v), label, inSeries: semver.satisfies(coerceVersion(label)!, v.series) },
          `the image's version must be of the manifest's series ${v.series}`,
        ).toEqual({ version: versionName(v), label, inSeries: true });
      }
      // The language's `version` is its newest, listed first.
      expect(entry.version).toBe(entry.versions[0].version);
      expect(entry.available).toBe(true);
      expect(entry.compiled).toBe(own.at(-1)!.compile !== null);
    }
  });

  it("gives JVM languages a bigger memory default and maximum, and answers 400 above a language's maximum", async () => {
    const r = await api('GET', '/languages');
    const byId = new Map<string, Result>(r.body.data.map((l: Result) => [l.id, l]));
    expect(byId.get('java').limits.memoryMb).toEqual({ default: 512, max: 2048 });
    expect(byId.get('python').limits.memoryMb).toEqual({
      default: full.limits.memoryMb.default,
      max: full.limits.memoryMb.max,
    });

    const user = await newUser();
    const tooMuch = await api('POST', '/execute', {
      token: user.token,
      body: { language: 'python', code: 'print(1)', memoryLimit: 2048 },
    });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error.details.field).toBe('memoryLimit');
    const javaTooMuch = await api('POST', '/execute', {
      token: user.token,
      body: { language: 'java', code: 'class Main {}', memoryLimit: 4096 },
    });
    expect(javaTooMuch.status).toBe(400);
    expect(javaTooMuch.body.error.details).toMatchObject({ field: 'memoryLimit', max: 2048 });
  });
});

function byVersion(a: { version?: string }, b: { version?: string }): number {
  return (a.version ?? '').localeCompare(b.version ?? '');
}

describe.each(versions.map((v) => [versionName(v), v] as const))('language %s', (_name, v) => {
  it('prints hello world, with the version it was asked for', () => {
    const r = results.get(key(v, 'hello'));
    expect(r, JSON.stringify(r)).toMatchObject({
      status: 'completed',
      exitCode: 0,
      output: v.selfTest.hello.stdout,
      outputEncoding: 'utf8',
      language: v.id,
      version: labels.get(versionName(v)),
    });
  });

  it('echoes its stdin', () => {
    const r = results.get(key(v, 'stdin'));
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'completed', output: v.selfTest.stdin.stdout });
  });

  it(`reports its error case as ${v.selfTest.error.status ?? 'an error'}`, () => {
    const t = v.selfTest.error;
    const r = results.get(key(v, 'error'));
    expect(r?.status, JSON.stringify(r)).toBe(t.status);
    if (t.status === 'compile_error') {
      // The compiler's message, and the program never ran.
      expect(r.compilationError).toContain(t.stderrContains ?? '');
      expect(r.output).toBe('');
    } else {
      expect(r.exitCode !== 0 || r.signal !== null, JSON.stringify(r)).toBe(true);
      if (t.stderrContains !== undefined) expect(r.error).toContain(t.stderrContains);
      if (t.stdoutContains !== undefined) expect(r.output).toContain(t.stdoutContains);
    }
  });
});
