import { defineConfig } from 'vitest/config';

// The whole suite runs twice, once per kernel set (test/setup/backend.ts reads ADJOINT_BACKEND). Run
// once: the browser test, which loads the built bundles into Node and Chromium, and the package test,
// which builds the bundles and runs them in child processes (on their default backend, whichever
// project runs it).
const browser = 'test/browser/**/*.test.ts';
const once = ['test/package.test.ts'];

export default defineConfig({
  test: {
    // Property tests are seeded per test; the default timeout is raised for the slower gradient checks.
    testTimeout: 30_000,
    // compiles the WebAssembly kernels when their sources changed (test/setup/wasm.ts)
    globalSetup: ['test/setup/wasm.ts'],
    // In CI, also write a machine-readable summary that .ci/run turns into a closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'js', include: ['test/**/*.test.ts'], exclude: [browser], env: { ADJOINT_BACKEND: 'js' }, setupFiles: ['test/setup/backend.ts'] },
      },
      {
        extends: true,
        test: { name: 'wasm', include: ['test/**/*.test.ts'], exclude: [browser, ...once], env: { ADJOINT_BACKEND: 'wasm' }, setupFiles: ['test/setup/backend.ts'] },
      },
      { extends: true, test: { name: 'browser', include: [browser], testTimeout: 120_000 } },
    ],
  },
});
