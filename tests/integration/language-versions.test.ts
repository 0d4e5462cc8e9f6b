import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import Docker from 'dockerode';
import { ExecutionService, Status } from '@muscode/proto/execution/v1';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  findLanguage,
  languageVersions,
  loadLanguageManifest,
  sandboxImageName,
  versionLabel,
} from '@muscode/common';
import { api, execute, newUser, waitForResult, type TestUser } from '../support/api.js';
import { imageRepo } from '../support/stack.js';

/**
 * Choosing a language version: exactly, by a semver range, or not at all (the newest); an
 * unknown version is a 400 naming the versions there are. Projects keep the version they run
 * with; executions record theirs. And the newest versions are current: programs that need this
 * year's standard library compile and run on them (and fail on the old ones).
 */
const manifest = loadLanguageManifest();
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
/** The exact versions of a language's images, oldest first. */
const exact = new Map<string, string[]>();
let user: TestUser;

async function labelsOf(id: string): Promise<string[]> {
  const lang = findLanguage(manifest, id)!;
  const out: string[] = [];
  for (const v of languageVersions(lang)) {
    const image = await docker.getImage(sandboxImageName(v.image, imageRepo)).inspect();
    out.push(image.Config.Labels?.[versionLabel(id)] ?? '');
  }
  return out;
}

beforeAll(async () => {
  user = await newUser();
  for (const id of ['python', 'java', 'go', 'rust', 'typescript', 'javascript'])
    exact.set(id, await labelsOf(id));
});

const py = () => exact.get('python')!;

describe('language versions: selection', () => {
  it('runs the newest version when the request names none', async () => {
    const r = await execute(user.token, {
      language: 'python',
      code: 'import sys; print(sys.version_info[:2])',
    });
    const newest = py().at(-1)!;
    expect(r).toMatchObject({ status: 'completed', version: newest });
    expect(r.output).toBe(`(${newest.split('.').slice(0, 2).join(', ')})\n`);
  });

  it('runs an exact version, and answers the version it runs with when queued', async () => {
    const oldest = py()[0]!;
    const q = await api('POST', '/execute', {
      token: user.token,
      body: {
        language: 'python',
        version: oldest,
        code: 'import platform; print(platform.python_version())',
      },
    });
    expect(q.status).toBe(200);
    expect(q.body.data).toMatchObject({ language: 'python', version: oldest });
    const r = await waitForResult(user.token, q.body.data.executionId);
    expect(r).toMatchObject({ status: 'completed', output: `${oldest}\n`, version: oldest });
  });

  it('takes semver ranges: a major, an x-range, a comparison', async () => {
    const [oldest, newest] = [py()[0]!, py().at(-1)!];
    const minor = (v: string) => v.split('.').slice(0, 2).join('.');
    for (const [range, expected] of [
      ['3', newest],
      [`${minor(oldest)}.x`, oldest],
      [`<${minor(newest)}`, oldest],
      [`~${minor(newest)}`, newest],
    ] as const) {
      const r = await execute(user.token, { language: 'python', version: range, code: 'print(1)' });
      expect({ range, status: r.status, version: r.version }).toEqual({
        range,
        status: 'completed',
        version: expected,
      });
    }
  });

  it('answers 400 naming the versions there are for an unknown version or a range no version matches', async () => {
    for (const version of ['2.7', '4.x', 'not-a-version']) {
      const r = await api('POST', '/execute', {
        token: user.token,
        body: { language: 'python', version, code: 'print(1)' },
      });
      expect(r.status, version).toBe(400);
      expect(r.body.success).toBe(false);
      expect(r.body.error.code).toBe('unsupported_version');
      expect([...r.body.error.details.versions].sort()).toEqual([...py()].sort());
      for (const v of py()) expect(r.body.error.message).toContain(v);
    }
  });

  it('records the version in the history and the execution', async () => {
    const oldest = py()[0]!;
    const r = await execute(user.token, { language: 'python', version: oldest, code: 'print(2)' });
    const history = await api('GET', '/executions?language=python&limit=100', { token: user.token });
    expect(history.status).toBe(200);
    const row = history.body.data.executions.find(
      (e: { executionId: string }) => e.executionId === r.executionId,
    );
    expect(row).toMatchObject({ language: 'python', version: oldest });
  });

  it('lets a project keep a version (POST, PATCH, PUT) and runs the project with it', async () => {
    const [oldest, newest] = [py()[0]!, py().at(-1)!];
    const created = await api('POST', '/projects', {
      token: user.token,
      body: { name: 'pinned', language: 'python', version: `${oldest.split('.').slice(0, 2).join('.')}.x` },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.data.id;
    expect(created.body.data.version).toBe(`${oldest.split('.').slice(0, 2).join('.')}.x`);
    const file = await api('POST', `/projects/${id}/files`, {
      token: user.token,
      body: { name: 'main.py', content: 'import platform; print(platform.python_version())' },
    });
    expect(file.status, JSON.stringify(file.body)).toBe(201);

    const run = async () => {
      const r = await api('POST', `/projects/${id}/run`, { token: user.token, body: { wait: true } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.data.executionId
        ? waitForResult(user.token, r.body.data.executionId)
        : (r.body.data as { output: string; version: string });
    };
    expect(await run()).toMatchObject({ output: `${oldest}\n`, version: oldest });

    const bad = await api('PATCH', `/projects/${id}`, { token: user.token, body: { version: '2.7' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('unsupported_version');

    const patched = await api('PATCH', `/projects/${id}`, { token: user.token, body: { version: newest } });
    expect(patched.status).toBe(200);
    expect(patched.body.data.version).toBe(newest);
    expect(await run()).toMatchObject({ output: `${newest}\n`, version: newest });

    // A PUT without a version resets it: the newest available.
    const put = await api('PUT', `/projects/${id}`, {
      token: user.token,
      body: { name: 'pinned', language: 'python' },
    });
    expect(put.status).toBe(200);
    expect(put.body.data.version).toBeNull();
    const got = await api('GET', `/projects/${id}`, { token: user.token });
    expect(got.body.data.version).toBeNull();
  });

  it('lists every version over gRPC, and runs the version a gRPC spec names', async () => {
    const c = createClient(ExecutionService, createGrpcTransport({ baseUrl: inject('rpcUrl') }));
    const headers = { authorization: `Bearer ${user.token}` };
    const res = await c.listLanguages({}, { headers });
    const python = res.languages.find((l) => l.id === 'python')!;
    expect(python.versions.map((v) => v.version).sort()).toEqual([...py()].sort());
    expect(python.versions.every((v) => v.available)).toBe(true);
    expect(python.version).toBe(py().at(-1));

    const oldest = py()[0]!;
    const submitted = await c.submit(
      { spec: { language: 'python', version: oldest, code: 'print(3)' } },
      { headers },
    );
    const done = await waitForResult(user.token, submitted.executionId);
    expect(done).toMatchObject({ status: 'completed', version: oldest });
    const got = await c.get({ executionId: submitted.executionId }, { headers });
    expect(got.execution?.status).toBe(Status.COMPLETED);
    expect(got.execution?.version).toBe(oldest);
  });
});

/**
 * Programs written against this year's standard libraries. Each runs on the newest version (no
 * `version` in the request) and does not compile or run on the oldest: the reason versions exist.
 */
const current: { language: string; code: string; stdout: string; oldFails: RegExp }[] = [
  {
    // filepath.SkipAll: Go 1.20.
    language: 'go',
    code:
      'package main\n\nimport (\n\t"fmt"\n\t"io/fs"\n\t"path/filepath"\n\t"slices"\n)\n\n' +
      'func main() {\n\tn := 0\n\t_ = filepath.WalkDir("/opt/muscode", func(p string, d fs.DirEntry, err error) error {\n' +
      '\t\tn++\n\t\treturn filepath.SkipAll\n\t})\n\tfmt.Println(n, slices.Max([]int{3, 9, 4}), min(2, 1))\n}\n',
    stdout: '1 9 1\n',
    oldFails: /SkipAll|slices|min/,
  },
  {
    // std::sync::LazyLock: Rust 1.80; let chains would need edition 2024, so the check stays on 1.80 APIs.
    language: 'rust',
    code:
      'use std::sync::LazyLock;\n\nstatic GREETING: LazyLock<String> = LazyLock::new(|| "hi".repeat(2));\n\n' +
      'fn main() {\n    let v: Vec<u32> = vec![3, 1, 2];\n    let m = v.iter().copied().max().unwrap();\n    println!("{} {}", *GREETING, m.div_ceil(2));\n}\n',
    stdout: 'hihi 2\n',
    oldFails: /LazyLock|div_ceil|unstable/,
  },
  {
    // A compact source file (JEP 512) and java.lang.IO: Java 25.
    language: 'java',
    code: 'void main() {\n    var xs = java.util.List.of(1, 2, 3);\n    IO.println(xs.reversed() + " " + xs.getLast());\n}\n',
    stdout: '[3, 2, 1] 3\n',
    oldFails: /error/,
  },
  {
    // copy.replace: Python 3.13.
    language: 'python',
    code:
      'import copy\nfrom dataclasses import dataclass\nfrom itertools import batched\n\n@dataclass(frozen=True)\nclass P:\n    x: int\n    y: int\n\n' +
      'print(copy.replace(P(1, 2), y=5), list(batched("abcde", 2)))\n',
    stdout: "P(x=1, y=5) [('a', 'b'), ('c', 'd'), ('e',)]\n",
    oldFails: /AttributeError|ImportError/,
  },
  {
    // `satisfies` (TypeScript 4.9) and const type parameters (5.0), type-checked against @types/node.
    language: 'typescript',
    code:
      'import { basename } from "node:path";\n\nconst conf = { name: "x", port: 80 } satisfies Record<string, string | number>;\n' +
      'function first<const T extends readonly unknown[]>(xs: T): T[0] {\n  return xs[0];\n}\n' +
      'const n: number = conf.port;\nconsole.log(basename("/a/b.ts"), n, first(["q", 1] as const));\n',
    stdout: 'b.ts 80 q\n',
    oldFails: /error TS/,
  },
];

describe('language versions: the newest are current', () => {
  it.each(current.map((c) => [c.language, c] as const))(
    "%s: a program needing this year's standard library runs on the newest version, not the oldest",
    async (_id, c) => {
      const newest = await execute(user.token, { language: c.language, code: c.code });
      expect(newest, JSON.stringify(newest)).toMatchObject({ status: 'completed', output: c.stdout });
      expect(newest.version).toBe(exact.get(c.language)!.at(-1));

      const oldest = await execute(user.token, {
        language: c.language,
        version: exact.get(c.language)![0],
        code: c.code,
      });
      expect(oldest.status, JSON.stringify(oldest)).not.toBe('completed');
      expect(`${oldest.compilationError ?? ''}${oldest.error ?? ''}`).toMatch(c.oldFails);
    },
    240_000,
  );

  it("type-checks TypeScript 5 against Node's types: a type error is a compile error, process and require are known", async () => {
    const typed = await execute(user.token, {
      language: 'typescript',
      code: 'const n: number = process.argv.length;\nconst fs = require("node:fs");\nconsole.log(typeof n, typeof fs.readFileSync);\n',
    });
    expect(typed, JSON.stringify(typed)).toMatchObject({ status: 'completed', output: 'number function\n' });
    const wrong = await execute(user.token, {
      language: 'typescript',
      code: 'const n: number = "no";\nconsole.log(n);\n',
    });
    expect(wrong.status).toBe('compile_error');
    expect(wrong.compilationError).toContain(
      "error TS2322: Type 'string' is not assignable to type 'number'",
    );
    expect(wrong.output).toBe('');
  }, 120_000);
});
