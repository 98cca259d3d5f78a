/**
 * The blocked kernels (panels of NB = 24 columns, updates by gemm) against the textbook loops, at
 * sizes around and across the block boundaries, where an indexing slip would show.
 */
import { describe, expect, it } from 'vitest';
import { choleskyFactor, luFactor, luSolve } from '../../src/core/linalgKernels.js';
import { householderQr, jacobiEigh } from '../../src/core/decompositionKernels.js';
import { AdjointError, det, solve, tensor, toArray } from '../../src/index.js';
import { thrown } from '../reference.js';
import { detMat, expectClose, type Mat, matmulMat, solveMat, transposeMat } from '../linalgReference.js';

/** Deterministic values in [-1, 1) (an LCG). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

const randomMat = (n: number, m: number, seed: number): Mat => {
  const r = lcg(seed);
  return Array.from({ length: n }, () => Array.from({ length: m }, r));
};
const flat = (a: Mat): Float64Array => Float64Array.from(a.flat());
const unflat = (d: Float64Array, n: number, m: number): Mat => Array.from({ length: n }, (_, i) => Array.from(d.subarray(i * m, (i + 1) * m)));

const SIZES = [1, 2, 5, 23, 24, 25, 48, 49, 50, 97];

describe('LU (blocked)', () => {
  for (const n of SIZES) {
    it(`solves like Gaussian elimination at n = ${n}`, () => {
      const a = randomMat(n, n, n);
      const b = randomMat(n, 3, n + 1);
      const lu = flat(a);
      const perm = new Int32Array(n);
      const info = luFactor(lu, n, perm);
      expect(info.zeroPivot).toBe(-1);
      const x = flat(b);
      luSolve(lu, n, perm, x, 3);
      expectClose(unflat(x, n, 3), solveMat(a, b), 1e-9);
      // residual relative to the data: a x - b
      expectClose(matmulMat(a, unflat(x, n, 3)), b, 1e-11);
      const d = detMat(a);
      expect(Math.abs((toArray(det(tensor(a))) as number) - d)).toBeLessThanOrEqual(1e-9 * Math.abs(d));
    });
  }

  it('finds an exactly zero pivot past the first block, and solve reports it', () => {
    const n = 50;
    const a = randomMat(n, n, 3).map((row) => row.map((v, j) => (j === 40 ? 0 : v)));
    const perm = new Int32Array(n);
    expect(luFactor(flat(a), n, perm).zeroPivot).toBe(40);
    const e = thrown(() => solve(tensor(a), tensor(new Array(n).fill(1)))) as AdjointError;
    expect(e.code).toBe('SINGULAR_MATRIX');
    expect(e.message).toContain('pivot 40');
    expect(e.message).toContain('[50, 50]');
  });
});

describe('Cholesky (blocked)', () => {
  for (const n of SIZES) {
    it(`L Lᵀ = A at n = ${n}`, () => {
      const m = randomMat(n, n, 2 * n);
      const a = matmulMat(m, transposeMat(m)).map((row, i) => row.map((v, j) => v + (i === j ? n : 0)));
      const w = flat(a);
      expect(choleskyFactor(w, n).failedAt).toBe(-1);
      const l = unflat(w, n, n);
      l.forEach((row, i) => row.forEach((v, j) => j > i && expect(v).toBe(0)));
      expectClose(matmulMat(l, transposeMat(l)), a, 1e-10 * n);
    });
  }

  it('reports the first non-positive pivot past the first block', () => {
    const n = 40;
    const a = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? (i === 35 ? -1 : 2) : 0)));
    expect(choleskyFactor(flat(a), n).failedAt).toBe(35);
  });
});

describe('QR and Jacobi eigh on larger matrices', () => {
  it('QR of 60 x 45 and 45 x 60', () => {
    for (const [m, n] of [[60, 45], [45, 60]] as const) {
      const a = randomMat(m, n, m + n);
      const k = Math.min(m, n);
      const { q, r } = householderQr(flat(a), m, n);
      expectClose(matmulMat(unflat(q, m, k), unflat(r, k, n)), a, 1e-12);
    }
  });

  it('eigh of a 40 x 40 symmetric matrix', () => {
    const n = 40;
    const m = randomMat(n, n, 17);
    const a = m.map((row, i) => row.map((v, j) => 0.5 * (v + m[j]![i]!)));
    const { w, v } = jacobiEigh(flat(a), n);
    const V = unflat(v, n, n);
    expectClose(matmulMat(a, V), V.map((row) => row.map((x, j) => x * w[j]!)), 1e-12);
  });
});
