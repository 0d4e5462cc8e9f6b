import { defineConfig } from 'vitest/config';

/**
 * Two tiers (`npm run test:unit` runs the first alone, in seconds):
 *   - unit: pure logic next to its code (`<package>/src/**\/*.test.ts`) and the deploy files'
 *     checks; no PostgreSQL, Redis or Docker, no stack;
 *   - stack: everything under tests/ (and the migration runner's test) against real PostgreSQL,
 *     Redis and Docker + runsc, with the one stack tests/support/global-setup.ts starts.
 */
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
          name: 'stack',
          include: ['tests/**/*.test.ts', 'control-plane/src/infra/migrate.test.ts'],
          globalSetup: ['tests/support/global-setup.ts'],
        },
      },
    ],
  },
});
