import Docker from 'dockerode';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLanguageManifest, sandboxImageName, versionLabel, type Language } from '@muscode/common';
import { api, newUser, waitForResult, type TestUser } from '../support/api.js';
import { imageRepo } from '../support/stack.js';

/**
 * Every language of sandbox-images/languages.json runs its three self-tests (hello world, stdin
 * echo, an error with its expected verdict) through the public API, under runsc, on the real
 * stack. Sandboxes are CPU-heavy, so the runs share a pool of two (the agent's capacity).
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON
type Result = any;
const results = new Map<string, Result>();
const key = (id: string, c: CaseName) => `${id}/${c}`;

async function runCase(user: TestUser, lang: Language, c: CaseName): Promise<Result> {
  const t = lang.selfTest[c];
  const r = await api('POST', '/execute', {
    token: user.token,
    body: { language: lang.id, code: t.code, ...(t.stdin !== undefined ? { stdin: t.stdin } : {}) },
  });
  if (r.status !== 200) return { submitError: r };
  return waitForResult(user.token, r.body.data.executionId, resultTimeoutMs);
}

beforeAll(async () => {
  // One user per language keeps every user far below the daily quota.
  const users = new Map<string, TestUser>();
  for (const lang of manifest.languages) users.set(lang.id, await newUser());
  const queue = manifest.languages.flatMap((lang) => cases.map((c) => ({ lang, c })));
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const { lang, c } = job;
      try {
        results.set(key(lang.id, c), await runCase(users.get(lang.id)!, lang, c));
      } catch (err) {
        results.set(key(lang.id, c), { thrown: String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: poolSize }, worker));
}, 1_800_000);

describe('languages: GET /languages', () => {
  it('lists every manifest language as available, with the version labelled on its image', async () => {
    const r = await api('GET', '/languages');
    expect(r.status).toBe(200);
    const listed = new Map<string, Result>(r.body.data.map((l: Result) => [l.id, l]));
    expect([...listed.keys()].sort()).toEqual(full.languages.map((l) => l.id).sort());
    for (const lang of manifest.languages) {
      const image = await docker.getImage(sandboxImageName(lang.image, imageRepo)).inspect();
      const label = image.Config.Labels?.[versionLabel(lang.id)];
      const entry = listed.get(lang.id);
      expect({ id: lang.id, available: entry.available }).toEqual({ id: lang.id, available: true });
      expect({ id: lang.id, version: entry.version }).toEqual({ id: lang.id, version: label });
      expect(entry.version).toMatch(/^\d+(\.\d+)+/);
      expect(entry.compiled).toBe(lang.compile !== null);
    }
  });

  it("gives JVM languages a bigger memory default and maximum, and answers 400 above a language's maximum", async () => {
    const r = await api('GET', '/languages');
    const byId = new Map<string, Result>(r.body.data.map((l: Result) => [l.id, l]));
    expect(byId.get('java').limits.memoryMb).toEqual({ default: 512, max: 2048 });
    expect(byId.get('python').limits.memoryMb).toEqual({
      default: manifest.limits.memoryMb.default,
      max: manifest.limits.memoryMb.max,
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

describe.each(manifest.languages.map((l) => [l.id, l] as const))('language %s', (_id, lang) => {
  it('prints hello world', () => {
    const r = results.get(key(lang.id, 'hello'));
    expect(r, JSON.stringify(r)).toMatchObject({
      status: 'completed',
      exitCode: 0,
      output: lang.selfTest.hello.stdout,
      outputEncoding: 'utf8',
    });
  });

  it('echoes its stdin', () => {
    const r = results.get(key(lang.id, 'stdin'));
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'completed', output: lang.selfTest.stdin.stdout });
  });

  it(`reports its error case as ${lang.selfTest.error.status ?? 'an error'}`, () => {
    const t = lang.selfTest.error;
    const r = results.get(key(lang.id, 'error'));
    expect(r?.status, JSON.stringify(r)).toBe(t.status);
    if (t.status === 'compile_error') {
      // The compiler's message, and the program never ran.
      expect(r.compilationError).toContain(t.stderrContains);
      expect(r.output).toBe('');
    } else {
      expect(r.exitCode !== 0 || r.signal !== null, JSON.stringify(r)).toBe(true);
      expect(r.error).toContain(t.stderrContains);
    }
  });
});
