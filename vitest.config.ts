import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Property tests are seeded per test; the default timeout is raised for the slower gradient checks.
    testTimeout: 30_000,
    // In CI, also write a machine-readable summary that .ci/run turns into a closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});
