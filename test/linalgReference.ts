/**
 * Plain reference linear algebra for the tests, on nested arrays with textbook loops (no blocking,
 * no pivoting tricks beyond partial pivoting), and the fast-check arbitraries of matrices the tests
 * draw from. Nothing here calls the library to compute a value.
 */
import { fc } from '@fast-check/vitest';
import { expect } from 'vitest';
import { type NestedArray, type Tensor, toArray } from '../src/index.js';

export type Mat = number[][];

export const zerosMat = (n: number, m: number): Mat => Array.from({ length: n }, () => new Array<number>(m).fill(0));
export const identity = (n: number): Mat => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
export const transposeMat = (a: Mat): Mat => (a.length === 0 ? [] : a[0]!.map((_, j) => a.map((row) => row[j]!)));

export function matmulMat(a: Mat, b: Mat): Mat {
  const n = a.length;
  const k = b.length;
  const m = k === 0 ? 0 : b[0]!.length;
  const c = zerosMat(n, m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let p = 0; p < k; p++) c[i]![j] = c[i]![j]! + a[i]![p]! * b[p]![j]!;
  return c;
}

/** Gaussian elimination with partial pivoting on copies: x with a x = b. */
export function solveMat(a: Mat, b: Mat): Mat {
  const n = a.length;
  const m = b[0]?.length ?? 0;
  const A = a.map((r) => [...r]);
  const B = b.map((r) => [...r]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(A[i]![k]!) > Math.abs(A[p]![k]!)) p = i;
    [A[k], A[p]] = [A[p]!, A[k]!];
    [B[k], B[p]] = [B[p]!, B[k]!];
    for (let i = k + 1; i < n; i++) {
      const l = A[i]![k]! / A[k]![k]!;
      for (let j = k; j < n; j++) A[i]![j] = A[i]![j]! - l * A[k]![j]!;
      for (let j = 0; j < m; j++) B[i]![j] = B[i]![j]! - l * B[k]![j]!;
    }
  }
  const x = zerosMat(n, m);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = 0; j < m; j++) {
      let s = B[i]![j]!;
      for (let q = i + 1; q < n; q++) s -= A[i]![q]! * x[q]![j]!;
      x[i]![j] = s / A[i]![i]!;
    }
  }
  return x;
}

export function detMat(a: Mat): number {
  const n = a.length;
  const A = a.map((r) => [...r]);
  let det = 1;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(A[i]![k]!) > Math.abs(A[p]![k]!)) p = i;
    if (p !== k) {
      [A[k], A[p]] = [A[p]!, A[k]!];
      det = -det;
    }
    det *= A[k]![k]!;
    if (A[k]![k] === 0) return 0;
    for (let i = k + 1; i < n; i++) {
      const l = A[i]![k]! / A[k]![k]!;
      for (let j = k; j < n; j++) A[i]![j] = A[i]![j]! - l * A[k]![j]!;
    }
  }
  return det;
}

/** Largest |x - y| over two nested arrays of the same shape. */
export function maxDiff(x: NestedArray, y: NestedArray): number {
  if (typeof x === 'number' || typeof y === 'number') return Math.abs((x as number) - (y as number));
  expect(x.length).toBe(y.length);
  return x.reduce<number>((m, xi, i) => Math.max(m, maxDiff(xi, y[i]!)), 0);
}

/** Asserts a tensor is close to a nested array, elementwise, within `tol` (absolute). */
export function expectClose(t: Tensor | NestedArray, want: NestedArray, tol: number): void {
  const got = typeof t === 'object' && !Array.isArray(t) ? toArray(t) : t;
  const d = maxDiff(got, want);
  expect(d, `max difference ${d} > ${tol}`).toBeLessThanOrEqual(tol);
}

export const asMat = (t: Tensor): Mat => toArray(t) as Mat;

// ---- arbitraries ---------------------------------------------------------------------------------

const entry = fc.double({ min: -1, max: 1, noNaN: true });

/** An n x m matrix with entries in [-1, 1]. */
export const matArb = (n: number, m: number = n): fc.Arbitrary<Mat> =>
  fc.array(fc.array(entry, { minLength: m, maxLength: m }), { minLength: n, maxLength: n });

/** A well-conditioned n x n matrix: entries in [-1, 1] plus ±(1 + 2√n) on the diagonal. */
export const invertibleArb = (n: number): fc.Arbitrary<Mat> =>
  fc.tuple(matArb(n), fc.array(fc.boolean(), { minLength: n, maxLength: n })).map(([a, signs]) =>
    a.map((row, i) => row.map((v, j) => (i === j ? v + (signs[i] ? 1 : -1) * (1 + 2 * Math.sqrt(n)) : v))),
  );

/** A symmetric positive-definite n x n matrix: M Mᵀ / n + I/2. */
export const spdArb = (n: number): fc.Arbitrary<Mat> =>
  matArb(n).map((m) => {
    const a = matmulMat(m, transposeMat(m));
    return a.map((row, i) => row.map((v, j) => v / n + (i === j ? 0.5 : 0)));
  });

/** A symmetric n x n matrix with eigenvalues at least `gap` apart: Q diag(λ) Qᵀ for a random orthogonal Q. */
export const distinctSymmetricArb = (n: number, gap = 0.5): fc.Arbitrary<Mat> =>
  fc.tuple(matArb(n), fc.array(fc.double({ min: gap, max: 2 * gap, noNaN: true }), { minLength: n, maxLength: n }), fc.double({ min: -2, max: 2, noNaN: true })).map(([m, steps, start]) => {
    // Gram-Schmidt on M + 3I (full rank) gives an orthogonal Q
    const cols = transposeMat(m.map((row, i) => row.map((v, j) => v + (i === j ? 3 : 0))));
    const q: number[][] = [];
    for (const c of cols) {
      const v = [...c];
      for (const u of q) {
        const d = u.reduce((s, x, i) => s + x * v[i]!, 0);
        for (let i = 0; i < n; i++) v[i] = v[i]! - d * u[i]!;
      }
      const norm = Math.hypot(...v);
      q.push(v.map((x) => x / norm));
    }
    const lambdas: number[] = [];
    steps.reduce((at, s) => (lambdas.push(at + s), at + s), start);
    const Q = transposeMat(q);
    const QL = Q.map((row) => row.map((v, j) => v * lambdas[j]!));
    const a = matmulMat(QL, q);
    return a.map((row, i) => row.map((_, j) => 0.5 * (a[i]![j]! + a[j]![i]!)));
  });
