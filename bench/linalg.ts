/**
 * The linear-algebra benchmark: `solve` (LU with partial pivoting, one right-hand side) and
 * `cholesky` of a 256 x 256 float64 matrix through the public API, side by side with a plain-JS
 * reference written here: the textbook triple loops (Gaussian elimination in k-i-j order with row
 * swaps, then substitution; Cholesky–Banachiewicz), on the same row-major Float64Array storage. Both
 * sides copy their input and allocate their result. GFLOP/s use the nominal counts: 2n³/3 + 2n² for
 * the solve, n³/3 for Cholesky.
 *
 * Run alone with `npx tsx bench/linalg.ts`, or with the others through `npm run bench`.
 */
import { cholesky, solve, type Tensor, tensor, toTypedArray } from '../src/index.js';
import { measureInterleaved, printTable } from './harness.js';

const N = 256;

/** Deterministic values in [-1, 1) (an LCG). */
function values(len: number, seed: number): Float64Array {
  const out = new Float64Array(len);
  let s = seed >>> 0;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Textbook Gaussian elimination with partial pivoting, then back substitution: x with A x = b. */
function referenceSolve(aIn: Float64Array, bIn: Float64Array, n: number): Float64Array {
  const a = aIn.slice();
  const x = bIn.slice();
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]!) > Math.abs(a[p * n + k]!)) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j]!;
        a[k * n + j] = a[p * n + j]!;
        a[p * n + j] = t;
      }
      const t = x[k]!;
      x[k] = x[p]!;
      x[p] = t;
    }
    for (let i = k + 1; i < n; i++) {
      const l = a[i * n + k]! / a[k * n + k]!;
      for (let j = k + 1; j < n; j++) a[i * n + j] = a[i * n + j]! - l * a[k * n + j]!;
      x[i] = x[i]! - l * x[k]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let j = i + 1; j < n; j++) s -= a[i * n + j]! * x[j]!;
    x[i] = s / a[i * n + i]!;
  }
  return x;
}

/** Textbook Cholesky–Banachiewicz: row by row, L[i][j] = (A[i][j] - Σ L[i][k] L[j][k]) / L[j][j]. */
function referenceCholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = i === j ? Math.sqrt(s) : s / l[j * n + j]!;
    }
  }
  return l;
}

function relativeDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return diff / scale;
}

export function benchLinalg(): void {
  const n = N;
  // a well-conditioned general matrix, and a symmetric positive-definite one (M Mᵀ / n + I)
  const aValues = values(n * n, 1).map((v, i) => v + (i % (n + 1) === 0 ? 2 * Math.sqrt(n) : 0));
  const bValues = values(n, 2);
  const m = values(n * n, 3);
  const spd = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += m[i * n + k]! * m[j * n + k]!;
      spd[i * n + j] = s / n + (i === j ? 1 : 0);
    }
  }
  const a = tensor(aValues, { shape: [n, n] });
  const b = tensor(bValues, { shape: [n] });
  const s = tensor(spd, { shape: [n, n] });

  const solveDrift = relativeDiff(toTypedArray(solve(a, b)), referenceSolve(aValues, bValues, n));
  const cholDrift = relativeDiff(toTypedArray(cholesky(s)), referenceCholesky(spd, n));
  if (!(solveDrift < 1e-10 && cholDrift < 1e-10)) throw new Error(`bench linalg: adjoint and the reference disagree (solve ${solveDrift}, cholesky ${cholDrift})`);

  let sink: Tensor | Float64Array | undefined;
  const [msSolve, msRefSolve, msChol, msRefChol] = measureInterleaved(
    [() => (sink = solve(a, b)), () => (sink = referenceSolve(aValues, bValues, n)), () => (sink = cholesky(s)), () => (sink = referenceCholesky(spd, n))],
    { minRuns: 10, minTimeMs: 1500 },
  );
  void sink;
  const solveFlops = (2 * n ** 3) / 3 + 2 * n * n;
  const cholFlops = n ** 3 / 3;
  const row = (op: string, flops: number, ours: number, ref: number, drift: number): (string | number)[] => [
    op,
    n,
    flops / ours / 1e6,
    flops / ref / 1e6,
    `${(ref / ours).toFixed(1)}x`,
    ours,
    ref,
    drift.toExponential(1),
  ];
  printTable(
    `solve (one right-hand side) and cholesky, ${n} x ${n} float64: GFLOP/s and ms, medians; reference = textbook triple loop in plain JS`,
    ['op', 'n', 'adjoint GFLOP/s', 'reference GFLOP/s', 'speedup', 'adjoint ms', 'reference ms', 'rel. diff'],
    [row('solve', solveFlops, msSolve!, msRefSolve!, solveDrift), row('cholesky', cholFlops, msChol!, msRefChol!, cholDrift)],
  );
}

if (import.meta.url === `file://${process.argv[1]}`) benchLinalg();
