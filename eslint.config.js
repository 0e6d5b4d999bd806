// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Test support (each package's src/testing/) never reaches product code (README, Architecture). */
const noTestSupport = {
  group: ['**/testing', '**/testing/*', '@cloud-connect/*/testing'],
  message:
    'Product code never imports test support (testing/); move what it needs out of testing/.',
};

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
            noTestSupport,
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
  {
    // The dependency rule (README, Architecture): relay-server uses only agent-core's leaf rooms.
    files: ['relay-server/src/**/*.ts'],
    ignores: ['relay-server/src/**/*.test.ts', 'relay-server/src/testing/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@cloud-connect/agent-core/*',
                '!@cloud-connect/agent-core/api',
                '!@cloud-connect/agent-core/wireguard',
                '!@cloud-connect/agent-core/errors',
                '!@cloud-connect/agent-core/time',
              ],
              message:
                'relay-server imports only agent-core/api, /wireguard, /errors and /time (README, Architecture).',
            },
            noTestSupport,
          ],
        },
      ],
    },
  },
  {
    // agent-core runs in the CLI, the agent service and Electron main: never Electron itself,
    // and never relay-server (its tests may start a real relay through relay-server/testing).
    files: ['agent-core/src/**/*.ts'],
    ignores: ['agent-core/src/**/*.test.ts', 'agent-core/src/testing/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@cloud-connect/relay-server', '@cloud-connect/relay-server/*', 'electron'],
              message: 'agent-core never imports relay-server or Electron (README, Architecture).',
            },
            noTestSupport,
          ],
        },
      ],
    },
  },
  {
    files: ['main/src/**/*.{ts,cts}'],
    ignores: ['main/src/**/*.test.ts', 'main/src/testing/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [noTestSupport] }],
    },
  },
  prettier,
);
