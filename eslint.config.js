// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'test-results/**',
      'playwright-report/**',
      '.data/**',
      'release/**',
      '.tools/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'off',
    },
  },
  {
    // The renderer runs in a browser sandbox: DOM globals, React hook rules, no Node modules,
    // and agent-core only as types (its runtime pulls in zod and Node-only code).
    files: ['renderer/src/**/*.{ts,tsx}'],
    // Tests and their support (renderer/src/testing) run in Node under vitest, never in the bundle.
    ignores: ['renderer/src/**/*.test.ts', 'renderer/src/testing/**'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'The renderer never imports Node modules.' },
            {
              // `/status` is the exception: pure functions with type-only imports (the status
              // words every surface shares), safe in a browser.
              group: ['@cloud-connect/agent-core/*', '!@cloud-connect/agent-core/status'],
              allowTypeImports: true,
              message: 'Import agent-core with `import type` only.',
            },
          ],
          paths: ['fs', 'path', 'os', 'child_process', 'net', 'crypto', 'ws'].map((name) => ({
            name,
            message: 'The renderer never imports Node modules.',
          })),
        },
      ],
    },
  },
  prettier,
);
