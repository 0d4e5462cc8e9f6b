import { beforeAll, describe, expect, it } from 'vitest';
import { api, newUser } from '../support/api.js';
import { servedDocument } from '../support/openapi.js';

// Sandbox tier: finished executions (output, grading, artifacts, verdicts) answer as documented.
let served: Awaited<ReturnType<typeof servedDocument>>;

beforeAll(async () => {
  served = await servedDocument();
});

describe('the OpenAPI document describes the answers of finished executions', () => {
  it('a graded run with artifacts, a compile error, a batch and a project run', async () => {
    const { token } = await newUser();
    const code = [
      'import os',
      "os.makedirs('/workspace/output', exist_ok=True)",
      "open('/workspace/output/out.txt', 'w').write('x')",
      'print(int(input()) * 2)',
    ].join('\n');
    const graded = served.conforms(
      'POST',
      '/api/v1/execute',
      await api('POST', '/execute?wait=true', {
        token,
        body: {
          language: 'python',
          code,
          tests: [
            { name: 'two', stdin: '2\n', expectedOutput: '4' },
            { name: 'three', stdin: '3\n', expectedOutput: '7' },
          ],
          stopOnFirstFailure: false,
        },
      }),
      200,
    );
    expect(graded.body.data.summary).toMatchObject({ passed: 1, total: 2 });
    expect(graded.body.data.tests).toHaveLength(2);

    const plain = served.conforms(
      'POST',
      '/api/v1/execute',
      await api('POST', '/execute?wait=true', { token, body: { language: 'python', code, stdin: '5\n' } }),
      200,
    );
    expect(plain.body.data).toMatchObject({ status: 'completed', output: '10\n' });
    expect(plain.body.data.artifacts.files).toHaveLength(1);
    const id = plain.body.data.executionId as string;
    served.conforms(
      'GET',
      '/api/v1/execute/{executionId}',
      await api('GET', `/execute/${id}`, { token }),
      200,
    );
    served.conforms(
      'GET',
      '/api/v1/execute/{executionId}/artifacts',
      await api('GET', `/execute/${id}/artifacts`, { token }),
      200,
    );
    served.conforms('GET', '/api/v1/executions', await api('GET', '/executions', { token }), 200);
    // A finished execution cannot be cancelled: the error envelope.
    served.conforms(
      'POST',
      '/api/v1/execute/{executionId}/cancel',
      await api('POST', `/execute/${id}/cancel`, { token }),
      409,
    );

    const compile = served.conforms(
      'POST',
      '/api/v1/execute/batch',
      await api('POST', '/execute/batch?wait=true', {
        token,
        body: { language: 'c', code: 'int main( { return 0; }' },
      }),
      200,
    );
    expect(compile.body.data.status).toBe('compile_error');

    const p = await api('POST', '/projects', { token, body: { name: 'Run', language: 'python' } });
    await api('POST', `/projects/${p.body.data.id}/files`, {
      token,
      body: { name: 'main.py', content: 'print("p")', isMain: true },
    });
    const ran = served.conforms(
      'POST',
      '/api/v1/projects/{projectId}/run',
      await api('POST', `/projects/${p.body.data.id}/run`, { token, body: { wait: true } }),
      200,
    );
    expect(ran.body.data.output).toBe('p\n');
  });
});
