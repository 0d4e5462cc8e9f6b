import { describe, expect, it } from 'vitest';
import { judge0, userWithKey } from '../support/compat.js';
import { waitFor } from '../support/stack.js';

/**
 * The request and response examples of Judge0 CE's API documentation (judge0/judge0 v1.13.1,
 * ffd7a48cc6da86d6ac155ef10dbd67d02736070b, docs/api/submissions/*.md and
 * docs/api/statuses_and_languages/*.md), sent as they are written there. What cannot be the
 * same is replaced, and said so: the docs' `language_id` 4 (C in Judge0 before 1.9) is 50 (C)
 * here, and tokens, times and memory are this server's.
 */
const helloC =
  '#include <stdio.h>\n\nint main(void) {\n  char name[10];\n  scanf("%s", name);\n  printf("hello, %s\\n", name);\n  return 0;\n}';
const token = expect.stringMatching(/^[0-9a-f-]{36}$/);

async function finished(key: string, t: string, query = '') {
  return waitFor(
    'the submission',
    async () => {
      const r = await judge0('GET', `/submissions/${t}${query}`, key);
      return r.body.status?.id >= 3 || r.body.status_id >= 3 ? r : undefined;
    },
    60_000,
  );
}

describe("Judge0 CE's documented examples", () => {
  it('Create a Submission: the token, and the 422s', async () => {
    const u = await userWithKey();
    const created = await judge0('POST', '/submissions', u.key, {
      source_code: helloC,
      language_id: 50,
      stdin: 'world',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ token });

    const blank = await judge0('POST', '/submissions', u.key, { source_code: helloC });
    expect(blank.status).toBe(422);
    expect(blank.body).toEqual({ language_id: ["can't be blank"] });

    const missing = await judge0('POST', '/submissions', u.key, {
      source_code: helloC,
      language_id: 150000,
      stdin: 'world',
      expected_output: 'hello, world',
    });
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual({ language_id: ["language with id 150000 doesn't exist"] });

    // The docs' answer names Judge0's maximum (150); this server's is its own.
    const config = await judge0('GET', '/config_info', undefined);
    const tooLong = await judge0('POST', '/submissions', u.key, {
      source_code: helloC,
      language_id: 50,
      number_of_runs: 1,
      stdin: 'Judge0',
      expected_output: 'hello, Judge0',
      cpu_time_limit: 1,
      cpu_extra_time: 0.5,
      wall_time_limit: 100000,
      memory_limit: 128000,
      stack_limit: 128000,
      enable_per_process_and_thread_time_limit: false,
      enable_per_process_and_thread_memory_limit: false,
      max_file_size: 1024,
    });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body).toEqual({
      wall_time_limit: [`must be less than or equal to ${config.body.max_wall_time_limit}`],
    });

    // base64_encoded=true, with the docs' `input` (not a Judge0 attribute: ignored).
    const encoded = await judge0('POST', '/submissions?base64_encoded=true', u.key, {
      source_code:
        'I2luY2x1ZGUgPHN0ZGlvLmg+CgppbnQgbWFpbih2b2lkKSB7CiAgY2hhciBuYW1lWzEwXTsKICBzY2FuZigiJXMiLCBuYW1lKTsKICBwcmludGYoImhlbGxvLCAlc1xuIiwgbmFtZSk7CiAgcmV0dXJuIDA7Cn0=',
      language_id: 50,
      input: 'SnVkZ2Uw',
    });
    expect(encoded.status).toBe(201);
    expect(encoded.body).toEqual({ token });
  });

  it('Create a Submission with wait=true, then Get a Submission three ways', async () => {
    const u = await userWithKey();
    const waited = await judge0('POST', '/submissions?wait=true', u.key, {
      source_code: helloC,
      language_id: '50',
      stdin: 'Judge0',
      expected_output: 'hello, Judge0',
    });
    expect(waited.status).toBe(201);
    expect(waited.body).toEqual({
      stdout: 'hello, Judge0\n',
      time: expect.stringMatching(/^\d+\.\d{3}$/),
      memory: expect.any(Number),
      stderr: null,
      token,
      compile_output: null,
      message: null,
      status: { id: 3, description: 'Accepted' },
    });
    const t = waited.body.token as string;

    const some = await judge0('GET', `/submissions/${t}?fields=stdout,stderr,status_id,language_id`, u.key);
    expect(some.body).toEqual({ stdout: 'hello, Judge0\n', status_id: 3, language_id: 50, stderr: null });

    const plain = await judge0('GET', `/submissions/${t}`, u.key);
    expect(plain.body).toEqual({ ...waited.body, time: plain.body.time, memory: plain.body.memory });

    const base64 = await judge0('GET', `/submissions/${t}?base64_encoded=true`, u.key);
    expect(base64.body).toMatchObject({ stdout: 'aGVsbG8sIEp1ZGdlMAo=\n', stderr: null, token: t });

    const wrong = await judge0('GET', `/submissions/${t}?fields=stdout,nope`, u.key);
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({ error: 'invalid fields: [nope]' });
  });

  it('Create a Submission Batch and Get a Submission Batch', async () => {
    const u = await userWithKey();
    const created = await judge0('POST', '/submissions/batch', u.key, {
      submissions: [
        { language_id: 46, source_code: 'echo hello from Bash' },
        { language_id: 71, source_code: 'print("hello from Python")' },
        { language_id: 72, source_code: 'puts("hello from Ruby")' },
      ],
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual([{ token }, { token }, { token }]);
    const tokens = created.body.map((s: { token: string }) => s.token) as string[];
    await Promise.all(tokens.map((t) => finished(u.key, t)));
    const read = await judge0(
      'GET',
      `/submissions/batch?tokens=${tokens.join(',')}&base64_encoded=false&fields=token,stdout,stderr,status_id,language_id`,
      u.key,
    );
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      submissions: [
        { language_id: 46, stdout: 'hello from Bash\n', status_id: 3, stderr: null, token: tokens[0] },
        { language_id: 71, stdout: 'hello from Python\n', status_id: 3, stderr: null, token: tokens[1] },
        { language_id: 72, stdout: 'hello from Ruby\n', status_id: 3, stderr: null, token: tokens[2] },
      ],
    });

    const mixed = await judge0('POST', '/submissions/batch', u.key, {
      submissions: [
        { language_id: 46, source_code: 'echo hello from Bash' },
        { language_id: 123456789, source_code: 'print("hello from Python")' },
        { language_id: 72, source_code: '' },
      ],
    });
    expect(mixed.status).toBe(201);
    expect(mixed.body).toEqual([
      { token },
      { language_id: ["language with id 123456789 doesn't exist"] },
      { source_code: ["can't be blank"] },
    ]);
  });

  it('Delete a Submission: base64 forced, and the 400 of an unfinished one', async () => {
    const u = await userWithKey();
    const done = await judge0('POST', '/submissions?wait=true', u.key, {
      source_code: 'echo hello, world',
      language_id: 46,
    });
    const del = await judge0('DELETE', `/submissions/${done.body.token}`, u.key);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({
      stdout: 'aGVsbG8sIHdvcmxkCg==\n',
      time: expect.any(String),
      memory: expect.any(Number),
      stderr: null,
      token: done.body.token,
      compile_output: null,
      message: null,
      status: { id: 3, description: 'Accepted' },
    });
  });

  it('Get Statuses and Get a Language', async () => {
    const statuses = await judge0('GET', '/statuses', undefined);
    expect(statuses.body.slice(0, 3)).toEqual([
      { id: 1, description: 'In Queue' },
      { id: 2, description: 'Processing' },
      { id: 3, description: 'Accepted' },
    ]);
    const language = await judge0('GET', '/languages/50', undefined);
    expect(Object.keys(language.body).sort()).toEqual(
      ['compile_cmd', 'id', 'is_archived', 'name', 'run_cmd', 'source_file'].sort(),
    );
    expect(language.body).toMatchObject({ id: 50, name: expect.stringMatching(/^C \(/), is_archived: false });
  });
});
