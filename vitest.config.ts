import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Files that start whole clusters or hundreds of sockets: run them one at a time after the rest,
// so two of them never fight over the 2 cores (their timeouts assume a machine of their own).
const HEAVY = [
  'tests/cluster/**/*.test.ts',
  'tests/observability/**/*.test.ts',
  'tests/api/**/*.test.ts',
  'packages/wa-sim/src/server/load.test.ts',
  'packages/session/src/session-runner-cases.test.ts',
];

const shared = {
  exclude: ['**/node_modules/**', '**/dist/**'],
  pool: 'forks' as const,
  testTimeout: 60_000,
  hookTimeout: 120_000,
  teardownTimeout: 20_000,
};

// One run for the whole workspace so the suite ends with a single summary line.
export default defineConfig({
  test: {
    reporters: [
      'default',
      fileURLToPath(new URL('./packages/test-support/src/summary-reporter.ts', import.meta.url)),
    ],
    projects: [
      {
        extends: false,
        test: {
          ...shared,
          name: 'parallel',
          include: ['**/src/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: [...shared.exclude, ...HEAVY],
          poolOptions: { forks: { maxForks: 2, minForks: 1 } },
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: false,
        test: {
          ...shared,
          name: 'serial',
          include: HEAVY,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
