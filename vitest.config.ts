import { defineConfig } from 'vitest/config';

// The whole suite runs twice, once per kernel set (test/setup/backend.ts reads ADJOINT_BACKEND); the
// browser test, which loads the built bundle into Chromium, runs once.
const browser = 'test/browser/**/*.test.ts';

export default defineConfig({
  test: {
    // Property tests are seeded per test; the default timeout is raised for the slower gradient checks.
    testTimeout: 30_000,
    // In CI, also write a machine-readable summary that .ci/run turns into a closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'js', include: ['test/**/*.test.ts'], exclude: [browser], env: { ADJOINT_BACKEND: 'js' }, setupFiles: ['test/setup/backend.ts'] },
      },
      {
        extends: true,
        test: { name: 'wasm', include: ['test/**/*.test.ts'], exclude: [browser], env: { ADJOINT_BACKEND: 'wasm' }, setupFiles: ['test/setup/backend.ts'] },
      },
      { extends: true, test: { name: 'browser', include: [browser], testTimeout: 120_000 } },
    ],
  },
});
