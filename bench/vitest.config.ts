import { defineConfig } from 'vitest/config';

// `npm run bench`: one long "test" file that measures and prints a report.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 10 * 60_000,
    fileParallelism: false,
    reporters: ['default'],
  },
});
