/**
 * The vmap benchmark: work that used to be a JavaScript loop of small transforms, done as one
 * batched pass. Each contestant is timed beside its baseline, written here with the public API:
 *
 * - per-example gradients of the spirals MLP (examples/spirals.ts, 2-32-32-2 tanh, 400 points):
 *   `vmap(grad(loss), { inAxes: [null, 0, 0] })` against a loop of `grad(loss)` over the examples;
 * - `jacrev` of `tanh(W x)` at n = 100 against the per-row Jacobian (one forward pass, one `vjp`
 *   pullback per output element, rows stacked), as `jacrev` was before it mapped over the basis;
 * - `jacfwd` of the same against one `jvp` per input direction (columns stacked);
 * - `hessian` of `Σ tanh(W x)²` at n = 100 and 300 against the per-row Jacobian of the gradient
 *   (one `jvp` of `grad` per direction: the per-row jacfwd of the per-row jacrev).
 *
 * Results are checked equal first (relative 1e-12). Rounds interleave each contestant with its
 * baseline; medians are reported, and each speedup is the median of per-round ratios. The bar: every
 * batched contestant at least 10x faster than its baseline.
 *
 * Run alone with `npx tsx bench/vmap.ts`, or with the others through `npm run bench`.
 */
import { initParams, loss, makeSpirals, type Params } from '../examples/spirals.js';
import { grad, hessian, jacfwd, jacrev, jvp, matmul, random, reshape, slice, square, stack, sum, tanh, type Tensor, tensor, toTypedArray, vjp, vmap } from '../src/index.js';
import { measureRounds, median, pairedRatio, printTable } from './harness.js';

const BAR = 10;
const TOL = 1e-12;

/** The largest |a - b| over the largest |b|, for tensors of the same shape. */
function relativeDiff(a: Tensor, b: Tensor): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`bench vmap: shapes differ: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`);
  const x = toTypedArray(a);
  const y = toTypedArray(b);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return diff / Math.max(scale, Number.MIN_VALUE);
}

/** The rows of the n x n identity. */
const basis = (n: number): Tensor[] => Array.from({ length: n }, (_, i) => tensor(Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))));

/** The Jacobian row by row: one forward pass, one pullback per output element. */
function perRowJacrev(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  return (x) => {
    const [y, pullback] = vjp(f, x);
    return stack(basis((y as Tensor).size).map((e) => (pullback(e) as unknown as Tensor[])[0]!));
  };
}

/** The Jacobian column by column: one jvp per input direction. */
function perColumnJacfwd(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  return (x) => stack(basis(x.size).map((e) => jvp(f, [x], [e])[1] as Tensor), -1);
}

interface Row {
  readonly task: string;
  readonly n: number;
  readonly baseline: string;
  readonly diff: number;
  readonly baselineMs: number;
  readonly batchedMs: number;
  readonly speedup: number;
}

/** Checks the two results agree, then times the pair interleaved. */
function contest(task: string, n: number, baseline: string, slow: () => Tensor[], fast: () => Tensor[], rounds: number): Row {
  const expected = slow();
  const got = fast();
  const diff = Math.max(...got.map((g, i) => relativeDiff(g, expected[i]!)));
  if (!(diff <= TOL)) throw new Error(`bench vmap: ${task} (n = ${n}) differs from ${baseline} by ${diff.toExponential(2)} (relative), more than ${TOL}`);
  let sink: unknown;
  const times = measureRounds([() => (sink = slow()), () => (sink = fast())], { minRuns: rounds, minTimeMs: 0, warmupRuns: 3 });
  void sink;
  return { task, n, baseline, diff, baselineMs: median(times[0]!), batchedMs: median(times[1]!), speedup: pairedRatio(times, 0, 1) };
}

export function benchVmap(): void {
  const rows: Row[] = [];

  // per-example gradients: each lane is a batch of one example, so the loss runs unchanged
  const data = makeSpirals(random.key(0), 200);
  const params = initParams(random.key(1), 32);
  const m = data.x.shape[0]!;
  const xs = reshape(data.x, [m, 1, 2]);
  const ys = reshape(data.y, [m, 1, 2]);
  const xRows = Array.from({ length: m }, (_, i) => slice(data.x, [i, 0], [i + 1, 2]));
  const yRows = Array.from({ length: m }, (_, i) => slice(data.y, [i, 0], [i + 1, 2]));
  const keys = Object.keys(params) as (keyof Params)[];
  const gradLoss = grad(loss);
  const perExample = vmap(gradLoss, { inAxes: [null, 0, 0] });
  rows.push(
    contest(
      'per-example grads, spirals MLP 2-32-32-2',
      m,
      'loop of grad',
      () => {
        const each = xRows.map((x, i) => gradLoss(params, x, yRows[i]!) as Params);
        return keys.map((k) => stack(each.map((g) => g[k])));
      },
      () => {
        const g = perExample(params, xs, ys) as Params;
        return keys.map((k) => g[k]);
      },
      11,
    ),
  );

  for (const n of [100, 300]) {
    const w = random.normal(random.key(2), [n, n], { std: 1 / Math.sqrt(n) });
    const x = random.normal(random.key(3), [n]);
    const f = (v: Tensor): Tensor => tanh(matmul(w, v));
    const s = (v: Tensor): Tensor => sum(square(tanh(matmul(w, v))));
    if (n === 100) {
      rows.push(contest('jacrev of tanh(Wx)', n, 'one vjp pullback per row', () => [perRowJacrev(f)(x)], () => [jacrev(f)(x) as Tensor], 9));
      rows.push(contest('jacfwd of tanh(Wx)', n, 'one jvp per column', () => [perColumnJacfwd(f)(x)], () => [jacfwd(f)(x) as Tensor], 9));
    }
    const gradS = grad(s) as (v: Tensor) => Tensor;
    rows.push(contest('hessian of Σ tanh(Wx)²', n, 'one jvp of grad per column', () => [perColumnJacfwd(gradS)(x)], () => [hessian(s)(x) as Tensor], n === 100 ? 9 : 5));
  }

  console.log(`results checked first (relative difference to the baseline <= ${TOL}): ${rows.map((r) => `${r.task} n=${r.n}: ${r.diff.toExponential(1)}`).join('; ')}`);
  printTable(
    'vmap against the per-row / per-example loop it replaces, float64 (median ms; speedup: median of per-round ratios)',
    ['task', 'n', 'baseline', 'baseline ms', 'batched ms', 'speedup', `>= ${BAR}x`],
    rows.map((r) => [r.task, r.n, r.baseline, r.baselineMs, r.batchedMs, `${r.speedup.toFixed(1)}x`, r.speedup >= BAR ? 'yes' : 'no']),
  );
  const missed = rows.filter((r) => r.speedup < BAR);
  console.log(
    `bar "every batched contestant >= ${BAR}x faster than its baseline": ${missed.length === 0 ? 'MET' : `NOT MET (${missed.map((r) => `${r.task} n=${r.n}: ${r.speedup.toFixed(1)}x`).join(', ')})`}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) benchVmap();
