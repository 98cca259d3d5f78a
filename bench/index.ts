/**
 * `npm run bench`: every benchmark in sequence, in one process, each under a heading. Benchmarks
 * print their own tables and bars; a failed correctness check in one is reported and the others
 * still run (the process exits non-zero).
 */
// Each benchmark's module (and the tfjs packages it pulls in) is loaded only when its turn comes:
// with all of them loaded up front, the matmul kernel measured 5x slower at n = 128 and 256 in the
// same process (the cause is inside V8; loading lazily keeps each measurement like its solo run).
const benches: ReadonlyArray<readonly [string, () => Promise<void>]> = [
  ['matmul', async () => (await import('./matmul.js')).benchMatmul()],
  ['scalar program (100,000 ops)', async () => (await import('./scalar.js')).benchScalar()],
  ['MLP 784-256-10', async () => (await import('./mlp.js')).benchMlp()],
  ['linear algebra: solve and cholesky 256 x 256', async () => (await import('./linalg.js')).benchLinalg()],
  ['vmap: per-example gradients, Jacobians and Hessians', async () => (await import('./vmap.js')).benchVmap()],
  ['loops and checkpointing', async () => (await import('./loops.js')).benchLoops()],
  ['implicit differentiation: customRoot against unrolled iterations', async () => (await import('./implicit.js')).benchImplicit()],
  ['conv 3x3, 8 -> 16 channels, batch 50', async () => (await import('./conv.js')).benchConv()],
];

function reportFailure(e: unknown): void {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
}

for (const [title, run] of benches) {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(0, 72 - title.length))}`);
  const t0 = performance.now();
  await run().catch(reportFailure);
  console.log(`(${title}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
