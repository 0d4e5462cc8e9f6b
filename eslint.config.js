import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const otherServices = (self) =>
  ['control-plane', 'gateway', 'runner-agent']
    .filter((s) => s !== self)
    .map((s) => ({
      group: [`**/${s}/src/**`, `@muscode/${s}`],
      message: 'Services share only proto and common.',
    }));

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      'proto/gen/**',
      'clients/typescript/src/gen/**',
      '.state/**',
      '**/dist/**',
      'sandbox-images/launcher/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  ...['control-plane', 'gateway', 'runner-agent'].map((service) => ({
    files: [`${service}/src/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: otherServices(service) }] },
  })),
  { files: ['tests/**/*.ts', 'bench/**/*.ts', '**/cli/**/*.ts'], rules: { 'no-console': 'off' } },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  // Helpers that run inside the sandbox images under Debian's own Node.js, as CommonJS.
  {
    files: ['sandbox-images/**/*.js', 'sandbox-images/**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
