/**
 * Matrix multiply, C = A · B, in WebAssembly SIMD (float32 and float64), laid out as the plain-JS
 * kernel in src/core/matmul.ts: GotoBLAS/BLIS packing of an MC x KC block of A and a KC x NC panel
 * of B into scratch memory in the order the micro-kernel reads them, and a micro-kernel that keeps an
 * MR x NR tile of C in SIMD registers across the whole KC loop.
 *
 * A and B are read through (row, column) strides in elements, so transposed and broadcast operands
 * are packed in place: the backward pass of matmul (A^T·C̄, C̄·B^T) runs the same kernel. C is
 * written contiguous row-major (leading dimension n). All pointers are byte addresses in this
 * module's memory; the JavaScript side owns the layout (see ../index.ts).
 *
 * Tiles (measured on x86-64, V8 allocates 15 xmm registers to wasm code): float32 4 x 8 (8
 * accumulators of 4 lanes), float64 4 x 4 (8 accumulators of 2 lanes). No FMA: wasm's baseline SIMD
 * has none, so each step is a multiply and an add. float32 accumulates in float32 (the error stays
 * within 1e-5 relative of the float64-accumulating JS kernel for the sizes this library sees).
 */

// ---- float32 ---------------------------------------------------------------------------------------

const MR32: i32 = 4;
const NR32: i32 = 8;
const KC32: i32 = 256;
const MC32: i32 = 128;
const NC32: i32 = 1024;

/** Scratch bytes gemm_f32 needs: the packed A block, the packed B panel and an edge tile. */
export const SCRATCH_F32: i32 = ((MC32 + MR32) * KC32 + (NC32 + NR32) * KC32 + MR32 * NR32) * 4;

/** Packs A[mc x kc] (strides rs, cs in elements) as MR-row micro-panels, column by column; zero-pads short panels. */
function packA32(a: usize, rs: i32, cs: i32, mc: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR32) {
    const mr = min(MR32, mc - ir);
    let src = a + (<usize>(ir * rs) << 2);
    if (mr == MR32 && rs == 1) {
      // A transposed in memory: the MR values of one column are contiguous
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        src += <usize>cs << 2;
        dst += 16;
      }
    } else if (mr == MR32 && cs == 1) {
      // row-major A: transpose 4 x 4 blocks (4 rows, 4 consecutive columns) with shuffles
      const r1 = <usize>rs << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const x0 = v128.load(src);
        const x1 = v128.load(src + r1);
        const x2 = v128.load(src + 2 * r1);
        const x3 = v128.load(src + 3 * r1);
        const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
        const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
        const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
        const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
        v128.store(dst, i64x2.shuffle(t0, t1, 0, 2));
        v128.store(dst, i64x2.shuffle(t0, t1, 1, 3), 16);
        v128.store(dst, i64x2.shuffle(t2, t3, 0, 2), 32);
        v128.store(dst, i64x2.shuffle(t2, t3, 1, 3), 48);
        src += 16;
        dst += 64;
      }
      for (; p < kc; p++) {
        store<f32>(dst, load<f32>(src));
        store<f32>(dst, load<f32>(src + r1), 4);
        store<f32>(dst, load<f32>(src + 2 * r1), 8);
        store<f32>(dst, load<f32>(src + 3 * r1), 12);
        src += 4;
        dst += 16;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let i = 0; i < MR32; i++) {
          store<f32>(dst + (<usize>i << 2), i < mr ? load<f32>(src + (<usize>(i * rs) << 2)) : 0);
        }
        src += <usize>cs << 2;
        dst += 16;
      }
    }
  }
}

/** Packs B[kc x nc] as NR-column micro-panels, row by row; zero-pads short panels. */
function packB32(b: usize, rs: i32, cs: i32, kc: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR32) {
    const nr = min(NR32, nc - jr);
    let src = b + (<usize>(jr * cs) << 2);
    if (nr == NR32 && cs == 1) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += <usize>rs << 2;
        dst += 32;
      }
    } else if (nr == NR32 && rs == 1) {
      // B transposed in memory: column j is contiguous along p; transpose 4 x 4 blocks
      const c1 = <usize>cs << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        for (let h = 0; h < 2; h++) {
          const s = src + <usize>(h * 4) * c1;
          const x0 = v128.load(s);
          const x1 = v128.load(s + c1);
          const x2 = v128.load(s + 2 * c1);
          const x3 = v128.load(s + 3 * c1);
          const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
          const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
          const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
          const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
          const d = dst + (<usize>h << 4);
          v128.store(d, i64x2.shuffle(t0, t1, 0, 2));
          v128.store(d, i64x2.shuffle(t0, t1, 1, 3), 32);
          v128.store(d, i64x2.shuffle(t2, t3, 0, 2), 64);
          v128.store(d, i64x2.shuffle(t2, t3, 1, 3), 96);
        }
        src += 16;
        dst += 128;
      }
      for (; p < kc; p++) {
        for (let j = 0; j < NR32; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + <usize>j * c1));
        src += 4;
        dst += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < NR32; j++) {
          store<f32>(dst + (<usize>j << 2), j < nr ? load<f32>(src + (<usize>(j * cs) << 2)) : 0);
        }
        src += <usize>rs << 2;
        dst += 32;
      }
    }
  }
}

/**
 * The float32 micro-kernel: C[4 x 8] (+)= packed A (4 x kc) · packed B (kc x 8). `first` overwrites C
 * (the first KC block), later blocks add to it. `ldc` is in bytes.
 */
// @ts-ignore: decorator
@inline
function kernel32(kc: i32, a: usize, b: usize, c: usize, ldc: usize, first: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    a += 16;
    b += 32;
  }
  if (!first) {
    c00 = f32x4.add(c00, v128.load(c));
    c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldc));
    c11 = f32x4.add(c11, v128.load(c + ldc, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldc));
    c21 = f32x4.add(c21, v128.load(c + 2 * ldc, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldc));
    c31 = f32x4.add(c31, v128.load(c + 3 * ldc, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
}

/**
 * C[m x n] = A[m x k] · B[k x n], float32. Element (i, p) of A is at `a + 4 * (i * ars + p * acs)`;
 * likewise B. C (at `c`, row-major, n columns) must not overlap A or B. Needs SCRATCH_F32 bytes at
 * `scratch`, 16-byte aligned. k >= 1, m, n >= 1.
 */
export function gemm_f32(
  m: i32, n: i32, k: i32,
  a: usize, ars: i32, acs: i32,
  b: usize, brs: i32, bcs: i32,
  c: usize, scratch: usize,
): void {
  const packedA = scratch;
  const packedB = scratch + <usize>((MC32 + MR32) * KC32 * 4);
  const tile = packedB + <usize>((NC32 + NR32) * KC32 * 4);
  const ldc = <usize>n << 2;
  for (let jc = 0; jc < n; jc += NC32) {
    const nc = min(NC32, n - jc);
    for (let pc = 0; pc < k; pc += KC32) {
      const kc = min(KC32, k - pc);
      const first = pc == 0;
      packB32(b + (<usize>(pc * brs + jc * bcs) << 2), brs, bcs, kc, nc, packedB);
      for (let ic = 0; ic < m; ic += MC32) {
        const mc = min(MC32, m - ic);
        packA32(a + (<usize>(ic * ars + pc * acs) << 2), ars, acs, mc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR32) {
          const nr = min(NR32, nc - jr);
          const pb = packedB + <usize>(jr * kc * 4);
          for (let ir = 0; ir < mc; ir += MR32) {
            const mr = min(MR32, mc - ir);
            const pa = packedA + <usize>(ir * kc * 4);
            const cij = c + (<usize>(ic + ir) * ldc) + (<usize>(jc + jr) << 2);
            if (mr == MR32 && nr == NR32) {
              kernel32(kc, pa, pb, cij, ldc, first);
            } else {
              // edge tile: compute the full tile into scratch, then store the real rows and columns
              kernel32(kc, pa, pb, tile, NR32 * 4, true);
              for (let i = 0; i < mr; i++) {
                for (let j = 0; j < nr; j++) {
                  const dst = cij + <usize>i * ldc + (<usize>j << 2);
                  const t = load<f32>(tile + (<usize>(i * NR32 + j) << 2));
                  store<f32>(dst, first ? t : load<f32>(dst) + t);
                }
              }
            }
          }
        }
      }
    }
  }
}

// ---- float64 ---------------------------------------------------------------------------------------

const MR64: i32 = 4;
const NR64: i32 = 4;
const KC64: i32 = 256;
const MC64: i32 = 64;
const NC64: i32 = 512;

/** Scratch bytes gemm_f64 needs. */
export const SCRATCH_F64: i32 = ((MC64 + MR64) * KC64 + (NC64 + NR64) * KC64 + MR64 * NR64) * 8;

function packA64(a: usize, rs: i32, cs: i32, mc: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR64) {
    const mr = min(MR64, mc - ir);
    let src = a + (<usize>(ir * rs) << 3);
    if (mr == MR64 && rs == 1) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += <usize>cs << 3;
        dst += 32;
      }
    } else if (mr == MR64 && cs == 1) {
      // row-major A: transpose 2 x 2 blocks
      const r1 = <usize>rs << 3;
      let p = 0;
      for (; p + 2 <= kc; p += 2) {
        const x0 = v128.load(src);
        const x1 = v128.load(src + r1);
        const x2 = v128.load(src + 2 * r1);
        const x3 = v128.load(src + 3 * r1);
        v128.store(dst, i64x2.shuffle(x0, x1, 0, 2));
        v128.store(dst, i64x2.shuffle(x2, x3, 0, 2), 16);
        v128.store(dst, i64x2.shuffle(x0, x1, 1, 3), 32);
        v128.store(dst, i64x2.shuffle(x2, x3, 1, 3), 48);
        src += 16;
        dst += 64;
      }
      for (; p < kc; p++) {
        store<f64>(dst, load<f64>(src));
        store<f64>(dst, load<f64>(src + r1), 8);
        store<f64>(dst, load<f64>(src + 2 * r1), 16);
        store<f64>(dst, load<f64>(src + 3 * r1), 24);
        src += 8;
        dst += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let i = 0; i < MR64; i++) {
          store<f64>(dst + (<usize>i << 3), i < mr ? load<f64>(src + (<usize>(i * rs) << 3)) : 0);
        }
        src += <usize>cs << 3;
        dst += 32;
      }
    }
  }
}

function packB64(b: usize, rs: i32, cs: i32, kc: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR64) {
    const nr = min(NR64, nc - jr);
    let src = b + (<usize>(jr * cs) << 3);
    if (nr == NR64 && cs == 1) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += <usize>rs << 3;
        dst += 32;
      }
    } else if (nr == NR64 && rs == 1) {
      const c1 = <usize>cs << 3;
      let p = 0;
      for (; p + 2 <= kc; p += 2) {
        const x0 = v128.load(src);
        const x1 = v128.load(src + c1);
        const x2 = v128.load(src + 2 * c1);
        const x3 = v128.load(src + 3 * c1);
        v128.store(dst, i64x2.shuffle(x0, x1, 0, 2));
        v128.store(dst, i64x2.shuffle(x2, x3, 0, 2), 16);
        v128.store(dst, i64x2.shuffle(x0, x1, 1, 3), 32);
        v128.store(dst, i64x2.shuffle(x2, x3, 1, 3), 48);
        src += 16;
        dst += 64;
      }
      for (; p < kc; p++) {
        for (let j = 0; j < NR64; j++) store<f64>(dst + (<usize>j << 3), load<f64>(src + <usize>j * c1));
        src += 8;
        dst += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < NR64; j++) {
          store<f64>(dst + (<usize>j << 3), j < nr ? load<f64>(src + (<usize>(j * cs) << 3)) : 0);
        }
        src += <usize>rs << 3;
        dst += 32;
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function kernel64(kc: i32, a: usize, b: usize, c: usize, ldc: usize, first: bool): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load64_splat(a);
    c00 = f64x2.add(c00, f64x2.mul(x, b0));
    c01 = f64x2.add(c01, f64x2.mul(x, b1));
    x = v128.load64_splat(a, 8);
    c10 = f64x2.add(c10, f64x2.mul(x, b0));
    c11 = f64x2.add(c11, f64x2.mul(x, b1));
    x = v128.load64_splat(a, 16);
    c20 = f64x2.add(c20, f64x2.mul(x, b0));
    c21 = f64x2.add(c21, f64x2.mul(x, b1));
    x = v128.load64_splat(a, 24);
    c30 = f64x2.add(c30, f64x2.mul(x, b0));
    c31 = f64x2.add(c31, f64x2.mul(x, b1));
    a += 32;
    b += 32;
  }
  if (!first) {
    c00 = f64x2.add(c00, v128.load(c));
    c01 = f64x2.add(c01, v128.load(c, 16));
    c10 = f64x2.add(c10, v128.load(c + ldc));
    c11 = f64x2.add(c11, v128.load(c + ldc, 16));
    c20 = f64x2.add(c20, v128.load(c + 2 * ldc));
    c21 = f64x2.add(c21, v128.load(c + 2 * ldc, 16));
    c30 = f64x2.add(c30, v128.load(c + 3 * ldc));
    c31 = f64x2.add(c31, v128.load(c + 3 * ldc, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
}

/** C[m x n] = A[m x k] · B[k x n], float64; as gemm_f32 with 8-byte elements and SCRATCH_F64 bytes of scratch. */
export function gemm_f64(
  m: i32, n: i32, k: i32,
  a: usize, ars: i32, acs: i32,
  b: usize, brs: i32, bcs: i32,
  c: usize, scratch: usize,
): void {
  const packedA = scratch;
  const packedB = scratch + <usize>((MC64 + MR64) * KC64 * 8);
  const tile = packedB + <usize>((NC64 + NR64) * KC64 * 8);
  const ldc = <usize>n << 3;
  for (let jc = 0; jc < n; jc += NC64) {
    const nc = min(NC64, n - jc);
    for (let pc = 0; pc < k; pc += KC64) {
      const kc = min(KC64, k - pc);
      const first = pc == 0;
      packB64(b + (<usize>(pc * brs + jc * bcs) << 3), brs, bcs, kc, nc, packedB);
      for (let ic = 0; ic < m; ic += MC64) {
        const mc = min(MC64, m - ic);
        packA64(a + (<usize>(ic * ars + pc * acs) << 3), ars, acs, mc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR64) {
          const nr = min(NR64, nc - jr);
          const pb = packedB + <usize>(jr * kc * 8);
          for (let ir = 0; ir < mc; ir += MR64) {
            const mr = min(MR64, mc - ir);
            const pa = packedA + <usize>(ir * kc * 8);
            const cij = c + (<usize>(ic + ir) * ldc) + (<usize>(jc + jr) << 3);
            if (mr == MR64 && nr == NR64) {
              kernel64(kc, pa, pb, cij, ldc, first);
            } else {
              kernel64(kc, pa, pb, tile, NR64 * 8, true);
              for (let i = 0; i < mr; i++) {
                for (let j = 0; j < nr; j++) {
                  const dst = cij + <usize>i * ldc + (<usize>j << 3);
                  const t = load<f64>(tile + (<usize>(i * NR64 + j) << 3));
                  store<f64>(dst, first ? t : load<f64>(dst) + t);
                }
              }
            }
          }
        }
      }
    }
  }
}
