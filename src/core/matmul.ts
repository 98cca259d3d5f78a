/**
 * The matrix-multiply kernel behind `matmul` (and so behind its vjp, which multiplies by transposed
 * operands): C = A · B on plain typed arrays, in pure JS. It sits below the tensor layer: callers pass
 * buffers, offsets and strides, never tensors, so a transposed, sliced or broadcast operand is read in place.
 *
 * Why it is blocked: a dot-product loop runs at ~1 GFLOP/s because each multiply-add waits for the previous
 * one (a single accumulator) and for a strided load. Following the GotoBLAS/BLIS layout, panels of A
 * (MC x KC) and B (KC x NC) are copied ("packed") into one contiguous scratch buffer in the order the
 * micro-kernel reads them, and the micro-kernel keeps an MR x NR tile of C in local variables (registers)
 * across the whole KC loop, so each loaded value feeds several independent multiply-adds. Packing also
 * converts float32 inputs to float64 once, so accumulation is always in float64 and a float32 output is
 * rounded once, on store.
 *
 * V8-specific choices, each measured on Node 20 (bench/matmul.ts has the final numbers): the packed panels
 * live in one scratch array held in a closure `const`, which TurboFan folds to a constant (no map check, no
 * length reload), worth ~30%; index arithmetic is written `(i + c) | 0` so it compiles to int32 adds without
 * overflow checks (~4%); a 4x3 tile was fastest, a little ahead of 3x4, 4x4 and 2x8 and well ahead of 4x6,
 * 4x8, 8x4 and 8x8 (V8 allocates 16 xmm registers and spills larger tiles); packing float32 operands as
 * float32 was slower, not faster. Block sizes barely matter below n = 1024; the ones below keep each level
 * inside its cache.
 */

/** The element types a kernel may read or write. */
export type FloatArray = Float64Array | Float32Array;

/** Rows and columns of the register tile held by the micro-kernel. */
const MR = 4;
const NR = 3;
/**
 * Block sizes: the packed A block (MC x KC, 128 KiB) and B panel (KC x NC, 768 KiB) stay in L2, one KC x NR
 * micro-panel of B (6 KiB) in L1. The scratch buffer is their sum, ~0.9 MiB, allocated on the first call.
 */
const KC = 256;
const MC = 64;
const NC = 384;
/**
 * Below this many multiply-adds packing costs more than it saves (measured crossover: ~8x8x8). A single row
 * or column (matrix-vector) also goes direct: padding it to a 4x3 tile would waste most of the kernel.
 */
const SMALL = 512;

/**
 * C[m x n] = A[m x k] · B[k x n]; writes (overwrites) C contiguous row-major at outOffset. A and B are read
 * through strides, so transposed or sliced operands cost nothing extra.
 *
 * Element (i, p) of A is `a[aOffset + i * aRowStride + p * aColStride]` (a stride may be 0, to broadcast);
 * likewise B. `a` and `b` are never written, and `out` must not overlap them. Sums are accumulated in
 * float64.
 *
 * For example (2x2 times 2x2):
 *
 * const c = new Float64Array(4)
 * gemm(2, 2, 2, new Float64Array([1, 2, 3, 4]), 0, 2, 1, new Float64Array([5, 6, 7, 8]), 0, 2, 1, c, 0)
 * assert.deepEqual(Array.from(c), [19, 22, 43, 50])
 *
 * @internal
 */
export function gemm(
  m: number, n: number, k: number,
  a: FloatArray, aOffset: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOffset: number, bRowStride: number, bColStride: number,
  out: FloatArray, outOffset: number,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    out.fill(0, outOffset, outOffset + m * n);
    return;
  }
  if (m * n * k < SMALL || m === 1 || n === 1) {
    gemmDirect(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, out, outOffset);
    return;
  }
  // Created on first use so importing the library allocates nothing.
  blocked ??= createBlocked();
  blocked(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, out, outOffset);
}

type Gemm = typeof gemm;

let blocked: Gemm | undefined;

/** Dot-product loop for small and matrix-vector products, where packing overhead would dominate. */
function gemmDirect(
  m: number, n: number, k: number,
  a: FloatArray, aOffset: number, ars: number, acs: number,
  b: FloatArray, bOffset: number, brs: number, bcs: number,
  out: FloatArray, outOffset: number,
): void {
  for (let i = 0; i < m; i++) {
    const ai = aOffset + i * ars;
    const ci = outOffset + i * n;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0, ap = ai, bp = bOffset + j * bcs; p < k; p++, ap += acs, bp += brs) s += a[ap]! * b[bp]!;
      out[ci + j] = s;
    }
  }
}

/**
 * Builds the blocked kernel. Everything lives in this closure so that the scratch buffer is a `const`
 * context slot: V8 specialises a function created once to its context and folds `pack` to a constant,
 * removing per-access map and length loads from the micro-kernel. Call it once.
 */
function createBlocked(): Gemm {
  // Packed A block first (MC rows rounded up to MR), then the packed B panel (NC columns rounded up to NR).
  const B0 = (MC + MR) * KC;
  const pack = new Float64Array(B0 + (NC + NR) * KC);
  const tile = new Float64Array(MR * NR);
  // Float32 output: C accumulates one NC-wide column strip in float64 here, then is rounded once.
  let strip = new Float64Array(0);

  /** Packs A[mc x kc] as MR-row micro-panels, each stored column by column; short panels are zero-padded. */
  function packA(a: FloatArray, off: number, rs: number, cs: number, mc: number, kc: number): void {
    let d = 0;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = Math.min(MR, mc - ir);
      let s0 = off + ir * rs;
      if (mr === MR) {
        for (let p = 0; p < kc; p++, s0 += cs, d += MR) {
          pack[d] = a[s0]!;
          pack[d + 1] = a[s0 + rs]!;
          pack[d + 2] = a[s0 + 2 * rs]!;
          pack[d + 3] = a[s0 + 3 * rs]!;
        }
      } else {
        for (let p = 0; p < kc; p++, s0 += cs, d += MR) {
          for (let i = 0; i < MR; i++) pack[d + i] = i < mr ? a[s0 + i * rs]! : 0;
        }
      }
    }
  }

  /** Packs B[kc x nc] as NR-column micro-panels, each stored row by row; short panels are zero-padded. */
  function packB(b: FloatArray, off: number, rs: number, cs: number, kc: number, nc: number): void {
    let d = B0;
    for (let jr = 0; jr < nc; jr += NR) {
      const nr = Math.min(NR, nc - jr);
      let s0 = off + jr * cs;
      if (nr === NR) {
        for (let p = 0; p < kc; p++, s0 += rs, d += NR) {
          pack[d] = b[s0]!;
          pack[d + 1] = b[s0 + cs]!;
          pack[d + 2] = b[s0 + 2 * cs]!;
        }
      } else {
        for (let p = 0; p < kc; p++, s0 += rs, d += NR) {
          for (let j = 0; j < NR; j++) pack[d + j] = j < nr ? b[s0 + j * cs]! : 0;
        }
      }
    }
  }

  /**
   * The micro-kernel: C[mr x nr] (+)= packed A micro-panel · packed B micro-panel, over kc steps. The twelve
   * accumulators stay in registers; `first` overwrites C (first KC block), later blocks add to it.
   */
  function kernel(
    kc: number, ao: number, bo: number,
    c: Float64Array, co: number, ldc: number, mr: number, nr: number, first: boolean,
  ): void {
    let c00 = 0, c01 = 0, c02 = 0;
    let c10 = 0, c11 = 0, c12 = 0;
    let c20 = 0, c21 = 0, c22 = 0;
    let c30 = 0, c31 = 0, c32 = 0;
    for (let p = 0, ai = ao, bi = bo; p < kc; p = (p + 1) | 0, ai = (ai + MR) | 0, bi = (bi + NR) | 0) {
      const a0 = pack[ai]!;
      const a1 = pack[(ai + 1) | 0]!;
      const a2 = pack[(ai + 2) | 0]!;
      const a3 = pack[(ai + 3) | 0]!;
      const b0 = pack[bi]!;
      const b1 = pack[(bi + 1) | 0]!;
      const b2 = pack[(bi + 2) | 0]!;
      c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2;
      c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2;
      c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2;
      c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2;
    }
    if (mr === MR && nr === NR) {
      const r1 = co + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
      if (first) {
        c[co] = c00; c[co + 1] = c01; c[co + 2] = c02;
        c[r1] = c10; c[r1 + 1] = c11; c[r1 + 2] = c12;
        c[r2] = c20; c[r2 + 1] = c21; c[r2 + 2] = c22;
        c[r3] = c30; c[r3 + 1] = c31; c[r3 + 2] = c32;
      } else {
        c[co] = c[co]! + c00; c[co + 1] = c[co + 1]! + c01; c[co + 2] = c[co + 2]! + c02;
        c[r1] = c[r1]! + c10; c[r1 + 1] = c[r1 + 1]! + c11; c[r1 + 2] = c[r1 + 2]! + c12;
        c[r2] = c[r2]! + c20; c[r2 + 1] = c[r2 + 1]! + c21; c[r2 + 2] = c[r2 + 2]! + c22;
        c[r3] = c[r3]! + c30; c[r3 + 1] = c[r3 + 1]! + c31; c[r3 + 2] = c[r3 + 2]! + c32;
      }
      return;
    }
    // Edge tile: the rows and columns past mr x nr come from the packs' padding; store only the real ones.
    tile[0] = c00; tile[1] = c01; tile[2] = c02;
    tile[3] = c10; tile[4] = c11; tile[5] = c12;
    tile[6] = c20; tile[7] = c21; tile[8] = c22;
    tile[9] = c30; tile[10] = c31; tile[11] = c32;
    for (let i = 0; i < mr; i++) {
      for (let j = 0; j < nr; j++) {
        const t = tile[i * NR + j]!;
        c[co + i * ldc + j] = first ? t : c[co + i * ldc + j]! + t;
      }
    }
  }

  return (m, n, k, a, aOffset, ars, acs, b, bOffset, brs, bcs, out, outOffset) => {
    const f64 = out instanceof Float64Array;
    if (!f64 && strip.length < m * Math.min(n, NC)) strip = new Float64Array(m * Math.min(n, NC));
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      // The kernel always writes a Float64Array (monomorphic): `out` itself, or the float64 strip.
      const c = f64 ? out : strip;
      const c0 = f64 ? outOffset + jc : 0;
      const ldc = f64 ? n : nc;
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packB(b, bOffset + pc * brs + jc * bcs, brs, bcs, kc, nc);
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          packA(a, aOffset + ic * ars + pc * acs, ars, acs, mc, kc);
          for (let jr = 0; jr < nc; jr += NR) {
            const nr = Math.min(NR, nc - jr);
            for (let ir = 0; ir < mc; ir += MR) {
              kernel(kc, ir * kc, B0 + jr * kc, c, c0 + (ic + ir) * ldc + jr, ldc, Math.min(MR, mc - ir), nr, pc === 0);
            }
          }
        }
      }
      if (!f64) {
        for (let i = 0; i < m; i++) {
          const src = i * nc;
          const dst = outOffset + i * n + jc;
          for (let j = 0; j < nc; j++) out[dst + j] = strip[src + j]!;
        }
      }
    }
  };
}
