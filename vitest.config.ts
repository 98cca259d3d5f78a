import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Property tests are seeded per test; the default timeout is raised for the slower gradient checks.
    testTimeout: 30_000,
  },
});
