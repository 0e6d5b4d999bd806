import { defineConfig } from 'vitest/config';

/** Every workspace's tests run from the root so `npm test` is the one command CI runs. */
export default defineConfig({
  resolve: { conditions: ['@cloud-connect/source'] },
  ssr: { resolve: { conditions: ['@cloud-connect/source'] } },
  test: {
    include: [
      'agent-core/src/**/*.test.ts',
      'relay-server/src/**/*.test.ts',
      'renderer/src/**/*.test.ts',
      'main/src/**/*.test.ts',
      'e2e/**/*.test.ts',
      'scripts/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
