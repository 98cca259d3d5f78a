import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type FloatArray, gemm } from '../../src/core/matmul.js';

/** How an operand is laid out in its buffer. */
type Layout = 'row' | 'col' | 'broadcast';
type DT = 'f64' | 'f32';

interface Operand {
  readonly data: FloatArray;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/** Deterministic pseudo-random values in [-1, 1) (an LCG), so operands are reproducible from a seed. */
function values(len: number, seed: number): number[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  return Array.from({ length: len }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/**
 * A rows x cols operand stored after `offset` padding elements. 'row': row-major; 'col': column-major (a
 * transposed view); 'broadcast': column stride 0, so every row repeats one value.
 */
function operand(rows: number, cols: number, layout: Layout, offset: number, dtype: DT, seed: number): Operand {
  const stored = layout === 'broadcast' ? rows : rows * cols;
  const raw = values(offset + stored + 3, seed);
  const data = dtype === 'f64' ? Float64Array.from(raw) : Float32Array.from(raw);
  if (layout === 'row') return { data, offset, rowStride: cols, colStride: 1 };
  if (layout === 'col') return { data, offset, rowStride: 1, colStride: rows };
  return { data, offset, rowStride: 1, colStride: 0 };
}

const at = (x: Operand, i: number, j: number): number => x.data[x.offset + i * x.rowStride + j * x.colStride]!;

/** The reference: a plain triple loop over the same strided reads, summed in float64. */
function naive(m: number, n: number, k: number, a: Operand, b: Operand): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += at(a, i, p) * at(b, p, j);
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Sum of |a_ip * b_pj| over p: the scale that bounds the rounding error of entry (i, j). */
function magnitude(m: number, n: number, k: number, a: Operand, b: Operand): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += Math.abs(at(a, i, p) * at(b, p, j));
      c[i * n + j] = s;
    }
  }
  return c;
}

/** C = A · B through gemm, written into `out` at `outOffset`. */
function run(m: number, n: number, k: number, a: Operand, b: Operand, out: FloatArray, outOffset = 0): void {
  gemm(m, n, k, a.data, a.offset, a.rowStride, a.colStride, b.data, b.offset, b.rowStride, b.colStride, out, outOffset);
}

/** Runs gemm into an output with `outOffset` leading and 2 trailing sentinel elements and checks all of it. */
function check(m: number, n: number, k: number, a: Operand, b: Operand, outDtype: DT, outOffset: number): void {
  const out = outDtype === 'f64' ? new Float64Array(outOffset + m * n + 2) : new Float32Array(outOffset + m * n + 2);
  out.fill(7); // garbage that must be overwritten inside C and left alone outside it
  run(m, n, k, a, b, out, outOffset);
  const want = naive(m, n, k, a, b);
  const scale = magnitude(m, n, k, a, b);
  // float64: only summation order differs. float32: one rounding on store (2^-24 relative) plus slack.
  const rel = outDtype === 'f64' ? 1e-13 * Math.max(1, k) : 1e-5 * Math.max(1, k);
  for (let i = 0; i < m * n; i++) {
    const got = out[outOffset + i]!;
    const tol = rel * (scale[i]! + Math.abs(want[i]!)) + 1e-300;
    if (!(Math.abs(got - want[i]!) <= tol)) {
      expect.fail(`C[${Math.floor(i / n)}, ${i % n}] = ${got}, want ${want[i]} (m=${m} n=${n} k=${k})`);
    }
  }
  for (let i = 0; i < outOffset; i++) expect(out[i]).toBe(7);
  expect(out[outOffset + m * n]).toBe(7);
  expect(out[outOffset + m * n + 1]).toBe(7);
}

const layout = fc.constantFrom<Layout>('row', 'col', 'broadcast');
const dtype = fc.constantFrom<DT>('f64', 'f32');

describe('gemm', () => {
  it('multiplies a 2x2 example', () => {
    const c = new Float64Array(4);
    gemm(2, 2, 2, new Float64Array([1, 2, 3, 4]), 0, 2, 1, new Float64Array([5, 6, 7, 8]), 0, 2, 1, c, 0);
    expect([...c]).toEqual([19, 22, 43, 50]);
  });

  test.prop(
    [
      fc.nat(40), fc.nat(40), fc.nat(40),
      layout, layout, dtype, dtype, dtype,
      fc.nat(5), fc.nat(5), fc.nat(5), fc.nat(1000),
    ],
    { seed: 42, numRuns: 100 },
  )('agrees with a naive triple loop for m, n, k in 0..40, any strides and dtypes', (...args) => {
    const [m, n, k, la, lb, da, db, dout, oa, ob, oc, seed] = args;
    check(m, n, k, operand(m, k, la, oa, da, seed), operand(k, n, lb, ob, db, seed + 1), dout, oc);
  });

  test.prop(
    [
      fc.constantFrom([67, 130, 93], [130, 67, 300], [5, 400, 257], [129, 1, 513], [1, 200, 300], [200, 390, 7]),
      layout, layout, dtype, dtype,
    ],
    { seed: 42, numRuns: 20 },
  )('agrees with the naive loop across block boundaries', ([m, n, k], la, lb, din, dout) => {
    check(m!, n!, k!, operand(m!, k!, la, 3, din, 11), operand(k!, n!, lb, 5, din, 12), dout, 2);
  });

  it.each(['f64', 'f32'] as const)('sums a long k exactly where the reference is exact (%s output)', (dout) => {
    // Integer values keep every partial sum exact, so any dropped or doubled block shows up as an exact miss.
    const m = 9, n = 10, k = 700;
    const ints = (len: number, mod: number) => Float64Array.from({ length: len }, (_, i) => (i % mod) - (mod >> 1));
    const a = { data: ints(m * k, 7), offset: 0, rowStride: k, colStride: 1 };
    const b = { data: ints(k * n, 5), offset: 0, rowStride: n, colStride: 1 };
    const out = dout === 'f64' ? new Float64Array(m * n) : new Float32Array(m * n);
    run(m, n, k, a, b, out);
    const want = naive(m, n, k, a, b);
    expect([...out]).toEqual([...want]);
  });

  it('rounds a float32 output once, from a float64 sum', () => {
    // Each 2^-30 term vanishes when added to 1 in float32, so a float32 accumulator would return exactly 1;
    // summed in float64 and rounded once, the result is the float32 rounding of the exact sum.
    const k = 4096;
    const a = new Float32Array(k).fill(1);
    const b = new Float32Array(k).fill(2 ** -30);
    b[0] = 1;
    const out = new Float32Array(4);
    gemm(2, 2, k, a, 0, 0, 1, b, 0, 1, 0, out, 0);
    expect(out[0]).toBe(Math.fround(1 + (k - 1) * 2 ** -30));
    expect(out[3]).toBe(Math.fround(1 + (k - 1) * 2 ** -30));
    const single = new Float32Array(1); // 1 x 1 takes the direct (unpacked) path
    gemm(1, 1, k, a, 0, 0, 1, b, 0, 1, 0, single, 0);
    expect(single[0]).toBe(Math.fround(1 + (k - 1) * 2 ** -30));
  });

  it('leaves its inputs unchanged', () => {
    for (const [m, n, k] of [[3, 4, 5], [70, 80, 90]] as const) {
      for (const dt of ['f64', 'f32'] as const) {
        const a = operand(m, k, 'row', 1, dt, 1);
        const b = operand(k, n, 'col', 2, dt, 2);
        const aCopy = a.data.slice();
        const bCopy = b.data.slice();
        run(m, n, k, a, b, new Float64Array(m * n));
        run(m, n, k, a, b, new Float32Array(m * n));
        expect(a.data).toEqual(aCopy);
        expect(b.data).toEqual(bCopy);
      }
    }
  });

  it.each([
    [3, 4],
    [100, 90],
  ])('writes zeros when k = 0 (%i x %i)', (m, n) => {
    for (const out of [new Float64Array(m * n + 2).fill(5), new Float32Array(m * n + 2).fill(5)]) {
      gemm(m, n, 0, new Float64Array(0), 0, 0, 1, new Float64Array(0), 0, 1, 0, out, 1);
      expect(out[0]).toBe(5);
      expect(out.subarray(1, 1 + m * n).every((x) => x === 0)).toBe(true);
      expect(out[m * n + 1]).toBe(5);
    }
  });

  it('does nothing when m or n is 0', () => {
    const out = new Float64Array(3).fill(5);
    gemm(0, 4, 5, new Float64Array(20), 0, 5, 1, new Float64Array(20), 0, 4, 1, out, 0);
    gemm(4, 0, 5, new Float64Array(20), 0, 5, 1, new Float64Array(20), 0, 4, 1, out, 0);
    expect([...out]).toEqual([5, 5, 5]);
  });

  it('gives the same answer on repeated large calls (scratch state does not leak between calls)', () => {
    const a = operand(150, 260, 'row', 0, 'f64', 3);
    const b = operand(260, 170, 'row', 0, 'f64', 4);
    const first = new Float64Array(150 * 170);
    gemm(150, 170, 260, a.data, 0, a.rowStride, 1, b.data, 0, b.rowStride, 1, first, 0);
    // A different, smaller product in between reuses the same scratch buffers.
    gemm(70, 50, 300, b.data, 0, 1, 70, a.data, 0, 1, 300, new Float32Array(70 * 50), 0);
    const second = new Float64Array(150 * 170);
    gemm(150, 170, 260, a.data, 0, a.rowStride, 1, b.data, 0, b.rowStride, 1, second, 0);
    expect(second).toEqual(first);
  });
});
