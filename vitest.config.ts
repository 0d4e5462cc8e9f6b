import { defineConfig } from 'vitest/config';

/**
 * Three tiers, decided file by file from what each test needs (`npm run test:unit` runs the
 * first alone, in seconds; `npm test` runs all three):
 *   - unit: pure logic next to its code (`<package>/src/**\/*.test.ts`) and the deploy files'
 *     checks; no PostgreSQL, Redis or Docker, no stack;
 *   - integration: PostgreSQL + Redis and, for the API's answers, a control-plane and gateway
 *     (tests/support/integration-setup.ts) with NO runner agent: files that need no sandbox.
 *     Files that talk to PostgreSQL or Redis themselves get a database cloned from the run's
 *     migrated template and a Redis key prefix of their own (tests/support/file-db.ts);
 *   - sandbox: the whole stack with a runner agent on Docker + runsc
 *     (tests/support/global-setup.ts): every file that runs code (submits executions to an
 *     agent, starts agents, or starts sandboxes itself).
 */
const integration = [
  // Only the API's answers (auth, projects, archives, OpenAPI, 405s, the playground's files, the
  // WebSocket heartbeat): nothing they submit needs to run.
  'tests/integration/api-archives.test.ts',
  'tests/integration/api-auth.test.ts',
  'tests/integration/api-hardening.test.ts',
  'tests/integration/api-projects.test.ts',
  'tests/integration/api-test-sets.test.ts',
  'tests/integration/gateway-static.test.ts',
  'tests/integration/method-not-allowed.test.ts',
  'tests/integration/openapi-answers.test.ts',
  'tests/integration/ws-heartbeat.test.ts',
  // PostgreSQL, Redis or the object store directly, under a database / prefix of their own.
  'tests/integration/event-stream.test.ts',
  'tests/integration/fair-queue.test.ts',
  'tests/integration/job-consumer.test.ts',
  'tests/integration/object-store.test.ts',
  'tests/integration/status-vocabulary.test.ts',
  'tests/integration/stream-follower.test.ts',
  'control-plane/src/infra/migrate.test.ts',
  // The launcher's C parts compiled with the host's gcc and run on the host: no service at all,
  // but a compile too slow for the unit tier.
  'tests/integration/launcher-c.test.ts',
];

export default defineConfig({
  test: {
    exclude: ['**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: sandboxes are CPU-heavy, so test files run one at a time.
    fileParallelism: false,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            '{common,control-plane,gateway,runner-agent,proto}/src/**/*.test.ts',
            'deploy/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', 'control-plane/src/infra/migrate.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: integration,
          globalSetup: ['tests/support/integration-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'sandbox',
          include: ['tests/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...integration],
          globalSetup: ['tests/support/global-setup.ts'],
        },
      },
    ],
  },
});
