/**
 * `npm run bench`: every benchmark in sequence, in one process, each under a heading. Benchmarks
 * print their own tables and bars; a failed correctness check in one is reported and the others
 * still run (the process exits non-zero).
 */
import { benchMatmul } from './matmul.js';
import { benchMlp } from './mlp.js';
import { benchScalar, reportFailure } from './scalar.js';

const benches: ReadonlyArray<readonly [string, () => Promise<void>]> = [
  ['matmul', benchMatmul],
  ['scalar program (100,000 ops)', benchScalar],
  ['MLP 784-256-10', benchMlp],
];

for (const [title, run] of benches) {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(0, 72 - title.length))}`);
  const t0 = performance.now();
  await run().catch(reportFailure);
  console.log(`(${title}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
