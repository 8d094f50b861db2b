import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One run for the whole workspace so the suite ends with a single summary line.
export default defineConfig({
  test: {
    include: ['**/src/**/*.test.ts', 'tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    reporters: [
      'default',
      fileURLToPath(new URL('./packages/test-support/src/summary-reporter.ts', import.meta.url)),
    ],
  },
});
