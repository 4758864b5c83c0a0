import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // e2e tests start containers and share runc's state dir and bridge names: one file at a time there.
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
