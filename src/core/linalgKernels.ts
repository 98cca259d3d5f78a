/**
 * Dense linear-algebra kernels on plain typed arrays: LU with partial pivoting (solve, inverse,
 * determinant), Cholesky, triangular solves, and the matrix-structure kernels (diagonal, its
 * embedding, trace, triangles). Each works on the last two axes of a tensor, one matrix of the batch
 * at a time, on a float64 working copy: inputs are never written, and a float32 result is rounded
 * once, on store. Decompositions with several factors (QR, eigh) are in `decompositionKernels.ts`.
 *
 * The factorizations are blocked: most of the arithmetic (all but O(n² · NB)) is done by `gemm`,
 * the packed, register-tiled matrix product behind `matmul`, and only a panel of NB columns at a
 * time is factored with scalar loops. That is what separates them from the textbook triple loop
 * (bench/linalg.ts measures both).
 *
 * Failures the kernel alone can see (an exactly zero pivot, a non-positive Cholesky pivot) are
 * thrown here as `LinAlgError`s naming the op, the matrix's shape and, in a batch, which matrix.
 *
 * @since 0.1.0
 */
import { formatShape, LinAlgError } from './errors.js';
import { gemm } from './matmul.js';
import { type Shape, sizeOf } from './shape.js';
import { allocate, dataOf, type DType, type FloatArray, fromData, makeScalar, type Tensor } from './Tensor.js';

/** Columns per panel of the blocked factorizations: the panel's row operations stay in L1, and the trailing update is one gemm call per panel. */
const NB = 24;

/** The number of matrices in a batch of `shape` (its leading axes). */
export const batchSize = (shape: Shape): number => sizeOf(shape.slice(0, -2));

/** How an error names matrix `t` of an input of `shape`. */
function describeMatrix(shape: Shape, t: number): string {
  const m = formatShape(shape.slice(-2));
  return shape.length === 2 ? `the matrix of shape ${m}` : `matrix ${t} (of shape ${m}) in the batch of shape ${formatShape(shape)}`;
}

/** `SINGULAR_MATRIX` for matrix `t` of an input of `shape`, whose pivot `k` is exactly 0. */
export function singularError(op: string, shape: Shape, t: number, what: string): LinAlgError {
  return new LinAlgError(
    'SINGULAR_MATRIX',
    op,
    `${describeMatrix(shape, t)} is singular (${what}); ${op} needs an invertible matrix: check the input for dependent rows or columns, or regularise it (add a multiple of eye(n))`,
  );
}

/**
 * Throws `NON_FINITE` when a matrix of `a` ([..., r, c]) has a NaN or ±Infinity among the entries the
 * op reads (`triangle`: only the lower or upper one, diagonal included). A factorization would turn
 * it into a misleading pivot (a NaN reported as singular) or a silent all-NaN result.
 */
export function checkFiniteMatrices(op: string, a: Tensor, triangle?: 'lower' | 'upper'): void {
  if (a.size === 0) return;
  const data = dataOf(a);
  const r = a.shape[a.ndim - 2]!;
  const c = a.shape[a.ndim - 1]!;
  for (let k = 0; k < data.length; k++) {
    const v = data[k]!;
    if (v - v === 0) continue; // finite (NaN - NaN and ∞ - ∞ are NaN)
    const i = Math.floor(k / c) % r;
    const j = k % c;
    if (triangle === 'lower' ? j > i : triangle === 'upper' ? j < i : false) continue;
    const t = Math.floor(k / (r * c));
    throw new LinAlgError(
      'NON_FINITE',
      op,
      `${describeMatrix(a.shape, t)} has entry [${i}, ${j}] = ${v}; ${op} needs finite entries (a factorization would turn it into a wrong pivot or an all-NaN result): check the input for overflow or missing values`,
    );
  }
}

/** A float64 working copy of matrix `t` (`size` elements) of a batch. */
function readMatrix(src: FloatArray, t: number, size: number): Float64Array {
  return new Float64Array(src.subarray(t * size, (t + 1) * size));
}

// ---- LU ------------------------------------------------------------------------------------------

/** What `luFactor` found: the sign of the row permutation and the first exactly zero pivot (-1: none). */
export interface LuInfo {
  readonly sign: number;
  readonly zeroPivot: number;
}

/** Swaps columns from..to of rows p and q. */
function swapRows(a: Float64Array, n: number, p: number, q: number, from: number, to: number): void {
  for (let j = from, i = p * n + from, k = q * n + from; j < to; j++, i++, k++) {
    const t = a[i]!;
    a[i] = a[k]!;
    a[k] = t;
  }
}

/**
 * In-place LU factorization with partial pivoting of the n x n row-major `a`: afterwards `a` holds U
 * on and above the diagonal and the unit lower L below it, with P A = L U where row i of P A is row
 * `perm[i]` of A. An exactly zero pivot (its whole column below is zero) is recorded and skipped, as
 * LAPACK's getrf does, so the determinant of a singular matrix comes out 0.
 *
 * Left-looking (Crout) by panels of NB columns: each panel is first brought up to date with all the
 * earlier ones by one deep matrix product, then factored in a column-major copy (long contiguous
 * loops), and the rows of U to its right get the same treatment.
 */
export function luFactor(a: Float64Array, n: number, perm: Int32Array): LuInfo {
  for (let i = 0; i < n; i++) perm[i] = i;
  let sign = 1;
  let zeroPivot = -1;
  const width = Math.min(NB, n);
  const tmp = new Float64Array(n * width);
  // the panel being factored, column-major (column c at c * n): its updates are long contiguous loops
  const panel = new Float64Array(n * width);
  for (let k0 = 0; k0 < n; k0 += NB) {
    const k1 = Math.min(k0 + NB, n);
    const kb = k1 - k0;
    // left-looking: bring the panel (columns k0..k1, rows k0..n) up to date with every earlier panel
    // in one matrix product of depth k0, A[k0:, k0:k1] -= L[k0:, :k0] U[:k0, k0:k1]
    if (k0 > 0) subtractProduct(a, n, n - k0, kb, k0, k0 * n, k0, n, 1, k0 * n + k0, tmp);
    for (let i = k0; i < n; i++) for (let c = 0; c < kb; c++) panel[c * n + i] = a[i * n + k0 + c]!;
    for (let c = 0; c < kb; c++) {
      const k = k0 + c;
      const col = c * n;
      // left-looking within the panel too: column c takes the updates of columns 0..c-1 (a unit
      // lower triangular solve above row k, the Schur update below it), four columns at a time
      let q = 0;
      for (; q + 4 <= c; q += 4) {
        const r = k0 + q;
        const q0 = q * n;
        const q1 = q0 + n;
        const q2 = q1 + n;
        const q3 = q2 + n;
        // the four multipliers depend on each other: a 4 x 4 unit triangular solve first
        const u0 = panel[col + r]!;
        const u1 = panel[col + r + 1]! - panel[q0 + r + 1]! * u0;
        const u2 = panel[col + r + 2]! - panel[q0 + r + 2]! * u0 - panel[q1 + r + 2]! * u1;
        const u3 = panel[col + r + 3]! - panel[q0 + r + 3]! * u0 - panel[q1 + r + 3]! * u1 - panel[q2 + r + 3]! * u2;
        panel[col + r + 1] = u1;
        panel[col + r + 2] = u2;
        panel[col + r + 3] = u3;
        for (let i = r + 4; i < n; i++) panel[col + i] = panel[col + i]! - (panel[q0 + i]! * u0 + panel[q1 + i]! * u1 + panel[q2 + i]! * u2 + panel[q3 + i]! * u3);
      }
      for (; q < c; q++) {
        const qc = q * n;
        const u = panel[col + k0 + q]!;
        if (u === 0) continue;
        for (let i = k0 + q + 1; i < n; i++) panel[col + i] = panel[col + i]! - panel[qc + i]! * u;
      }
      let p = k;
      let best = -1;
      // a NaN wins the pivot search, so it propagates instead of passing for a zero column
      for (let i = k; i < n; i++) {
        const v = Math.abs(panel[col + i]!);
        if (!(v <= best)) {
          best = v;
          p = i;
        }
      }
      if (p !== k) {
        // whole rows travel together: the panel here, the L part and the columns right of it in `a`
        for (let x = 0; x < kb; x++) {
          const t = panel[x * n + p]!;
          panel[x * n + p] = panel[x * n + k]!;
          panel[x * n + k] = t;
        }
        swapRows(a, n, p, k, 0, k0);
        swapRows(a, n, p, k, k1, n);
        const t = perm[p]!;
        perm[p] = perm[k]!;
        perm[k] = t;
        sign = -sign;
      }
      const pivot = panel[col + k]!;
      if (pivot === 0) {
        if (zeroPivot < 0) zeroPivot = k;
        continue;
      }
      // the multipliers: a reciprocal, unless it would overflow
      if (Math.abs(pivot) >= MIN_NORMAL) {
        const r = 1 / pivot;
        for (let i = col + k + 1, end = col + n; i < end; i++) panel[i] = panel[i]! * r;
      } else for (let i = col + k + 1, end = col + n; i < end; i++) panel[i] = panel[i]! / pivot;
    }
    for (let i = k0; i < n; i++) for (let c = 0; c < kb; c++) a[i * n + k0 + c] = panel[c * n + i]!;
    if (k1 === n) break;
    // U12: the panel's rows right of it, A[k0:k1, k1:] -= L[k0:k1, :k0] U[:k0, k1:], then L11⁻¹
    if (k0 > 0) subtractProduct(a, n, kb, n - k1, k0, k0 * n, k1, n, 1, k0 * n + k1, tmp);
    for (let k = k0; k < k1; k++) {
      for (let i = k + 1; i < k1; i++) {
        const l = a[i * n + k]!;
        if (l === 0) continue;
        for (let ij = i * n + k1, kj = k * n + k1, end = (i + 1) * n; ij < end; ij++, kj++) a[ij] = a[ij]! - l * a[kj]!;
      }
    }
  }
  return { sign, zeroPivot };
}

/** The smallest positive normal double: below it, 1/x overflows. */
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * C -= A B on blocks of the n x n row-major `a`: C is rows x cols at `cOff` and A rows x depth at
 * `aOff` (row stride n), B is depth x cols at `bOff` with the given strides (a transposed block is
 * read in place). The product goes through `gemm` into `tmp` (n x NB), in strips of NB columns.
 */
function subtractProduct(
  a: Float64Array, n: number, rows: number, cols: number, depth: number,
  aOff: number, bOff: number, bRowStride: number, bColStride: number, cOff: number, tmp: Float64Array,
): void {
  for (let c0 = 0; c0 < cols; c0 += NB) {
    const w = Math.min(NB, cols - c0);
    gemm(rows, w, depth, a, aOff, n, 1, a, bOff + c0 * bColStride, bRowStride, bColStride, tmp, 0);
    for (let i = 0; i < rows; i++) {
      for (let ij = cOff + i * n + c0, t = i * w, end = t + w; t < end; ij++, t++) a[ij] = a[ij]! - tmp[t]!;
    }
  }
}

/** Solves A X = B in place given `luFactor`'s output; `b` is n x m row-major and is overwritten with X. */
export function luSolve(lu: Float64Array, n: number, perm: Int32Array, b: Float64Array, m: number): void {
  // X = P B
  const pb = new Float64Array(n * m);
  for (let i = 0; i < n; i++) pb.set(b.subarray(perm[i]! * m, (perm[i]! + 1) * m), i * m);
  // L Y = P B (unit diagonal), then U X = Y, as row operations on the right-hand sides
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const l = lu[i * n + j]!;
      if (l === 0) continue;
      for (let c = i * m, d = j * m, end = c + m; c < end; c++, d++) pb[c] = pb[c]! - l * pb[d]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let j = i + 1; j < n; j++) {
      const u = lu[i * n + j]!;
      if (u === 0) continue;
      for (let c = i * m, d = j * m, end = c + m; c < end; c++, d++) pb[c] = pb[c]! - u * pb[d]!;
    }
    const r = 1 / lu[i * n + i]!;
    for (let c = i * m, end = c + m; c < end; c++) pb[c] = pb[c]! * r;
  }
  b.set(pb);
}

/**
 * X = A⁻¹ B for a batch: `a` is [..., n, n], `b` [..., n, m] with the same leading axes. An exactly
 * zero pivot is `SINGULAR_MATRIX`.
 */
export function solveKernel(op: string, a: Tensor, b: Tensor, dtype: DType): Tensor {
  const n = a.shape[a.ndim - 1]!;
  const m = b.shape[b.ndim - 1]!;
  const batches = batchSize(a.shape);
  const out = allocate(dtype, batches * n * m);
  const aData = a.size === 0 ? new Float64Array(0) : dataOf(a);
  const bData = b.size === 0 ? new Float64Array(0) : dataOf(b);
  const perm = new Int32Array(n);
  for (let t = 0; t < batches; t++) {
    const lu = readMatrix(aData, t, n * n);
    const { zeroPivot } = luFactor(lu, n, perm);
    if (zeroPivot >= 0) throw singularError(op, a.shape, t, `pivot ${zeroPivot} of its LU factorization is exactly 0`);
    const x = readMatrix(bData, t, n * m);
    luSolve(lu, n, perm, x, m);
    out.set(x, t * n * m);
  }
  return fromData(b.shape, dtype, out);
}

/** A⁻¹ for a batch [..., n, n]; `SINGULAR_MATRIX` at an exactly zero pivot. */
export function invKernel(op: string, a: Tensor, dtype: DType): Tensor {
  const n = a.shape[a.ndim - 1]!;
  const batches = batchSize(a.shape);
  const out = allocate(dtype, batches * n * n);
  const aData = a.size === 0 ? new Float64Array(0) : dataOf(a);
  const perm = new Int32Array(n);
  for (let t = 0; t < batches; t++) {
    const lu = readMatrix(aData, t, n * n);
    const { zeroPivot } = luFactor(lu, n, perm);
    if (zeroPivot >= 0) throw singularError(op, a.shape, t, `pivot ${zeroPivot} of its LU factorization is exactly 0`);
    const x = new Float64Array(n * n);
    for (let i = 0; i < n; i++) x[i * n + i] = 1;
    luSolve(lu, n, perm, x, n);
    out.set(x, t * n * n);
  }
  return fromData(a.shape, dtype, out);
}

/**
 * Determinants from LU, per matrix of a batch [..., n, n], as `[sign, log|det|]` pairs or as the
 * determinant itself. A singular matrix has sign 0 and log|det| = -Infinity (det 0), as in NumPy;
 * the determinant of a 0 x 0 matrix is 1.
 */
function luDeterminants(a: Tensor): { sign: Float64Array; logAbs: Float64Array; det: Float64Array } {
  const n = a.shape[a.ndim - 1]!;
  const batches = batchSize(a.shape);
  const aData = a.size === 0 ? new Float64Array(0) : dataOf(a);
  const perm = new Int32Array(n);
  const sign = new Float64Array(batches);
  const logAbs = new Float64Array(batches);
  const det = new Float64Array(batches);
  for (let t = 0; t < batches; t++) {
    const lu = readMatrix(aData, t, n * n);
    const info = luFactor(lu, n, perm);
    let s = info.sign;
    let l = 0;
    let d = info.sign;
    for (let i = 0; i < n; i++) {
      const u = lu[i * n + i]!;
      if (u < 0) s = -s;
      else if (u !== u) s = NaN;
      l += Math.log(Math.abs(u));
      d *= u;
    }
    sign[t] = info.zeroPivot >= 0 ? 0 : s;
    logAbs[t] = info.zeroPivot >= 0 ? -Infinity : l;
    det[t] = info.zeroPivot >= 0 ? 0 : d;
  }
  return { sign, logAbs, det };
}

const batchTensor = (shape: Shape, dtype: DType, data: Float64Array): Tensor =>
  shape.length === 0 ? makeScalar(data[0]!, dtype) : fromData(shape, dtype, dtype === 'float64' ? data : Float32Array.from(data));

/** det(A) for a batch [..., n, n]: the product of the LU pivots times the permutation's sign. */
export function detKernel(a: Tensor, dtype: DType): Tensor {
  return batchTensor(a.shape.slice(0, -2), dtype, luDeterminants(a).det);
}

/** `[sign(det A), log|det A|]` for a batch [..., n, n], from the LU pivots (no overflow). */
export function slogdetKernel(a: Tensor, dtype: DType): [Tensor, Tensor] {
  const { sign, logAbs } = luDeterminants(a);
  const shape = a.shape.slice(0, -2);
  return [batchTensor(shape, dtype, sign), batchTensor(shape, dtype, logAbs)];
}

// ---- Cholesky ------------------------------------------------------------------------------------

/**
 * In-place Cholesky factorization of the symmetric n x n row-major `a` (only its lower triangle is
 * read): afterwards `a` holds L (zero above the diagonal) with A = L Lᵀ. Returns -1, or the first
 * pivot that is not positive (the leading minor of that size is not positive definite).
 */
export function choleskyFactor(a: Float64Array, n: number): { failedAt: number; pivot: number } {
  const width = Math.min(NB, n);
  const tmp = new Float64Array(n * width);
  const panel = new Float64Array(n * width);
  for (let k0 = 0; k0 < n; k0 += NB) {
    const k1 = Math.min(k0 + NB, n);
    const kb = k1 - k0;
    // left-looking: A[k0:, k0:k1] -= L[k0:, :k0] L[k0:k1, :k0]ᵀ, one matrix product of depth k0
    if (k0 > 0) subtractProduct(a, n, n - k0, kb, k0, k0 * n, k0 * n, 1, n, k0 * n + k0, tmp);
    // then the panel, column by column in a column-major copy (long contiguous loops)
    for (let i = k0; i < n; i++) for (let c = 0; c < kb; c++) panel[c * n + i] = a[i * n + k0 + c]!;
    for (let c = 0; c < kb; c++) {
      const j = k0 + c;
      const col = c * n;
      // column j -= Σ_q L[:, q] L[j, q] over the panel's earlier columns, four at a time (one load
      // and store of column j per four multiply-adds)
      let q = 0;
      for (; q + 4 <= c; q += 4) {
        const q0 = q * n;
        const q1 = q0 + n;
        const q2 = q1 + n;
        const q3 = q2 + n;
        const u0 = panel[q0 + j]!;
        const u1 = panel[q1 + j]!;
        const u2 = panel[q2 + j]!;
        const u3 = panel[q3 + j]!;
        for (let i = j; i < n; i++) panel[col + i] = panel[col + i]! - (panel[q0 + i]! * u0 + panel[q1 + i]! * u1 + panel[q2 + i]! * u2 + panel[q3 + i]! * u3);
      }
      for (; q < c; q++) {
        const qc = q * n;
        const u = panel[qc + j]!;
        for (let i = j; i < n; i++) panel[col + i] = panel[col + i]! - panel[qc + i]! * u;
      }
      const s = panel[col + j]!;
      if (!(s > 0)) return { failedAt: j, pivot: s };
      const ljj = Math.sqrt(s);
      panel[col + j] = ljj;
      const r = 1 / ljj;
      for (let x = col + j + 1, end = col + n; x < end; x++) panel[x] = panel[x]! * r;
    }
    for (let i = k0; i < n; i++) for (let c = 0; c < kb; c++) a[i * n + k0 + c] = panel[c * n + i]!;
  }
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
  return { failedAt: -1, pivot: 0 };
}

/**
 * L with (A + Aᵀ)/2 = L Lᵀ for a batch [..., n, n]; `NOT_POSITIVE_DEFINITE` when a pivot is not
 * positive. The input is symmetrized first (as JAX does), so the result is a function of every
 * entry and its derivative is defined for any direction.
 */
export function choleskyKernel(op: string, a: Tensor, dtype: DType): Tensor {
  const n = a.shape[a.ndim - 1]!;
  const batches = batchSize(a.shape);
  const out = allocate(dtype, batches * n * n);
  const aData = a.size === 0 ? new Float64Array(0) : dataOf(a);
  for (let t = 0; t < batches; t++) {
    const w = readMatrix(aData, t, n * n);
    symmetrize(w, n);
    const { failedAt, pivot } = choleskyFactor(w, n);
    if (failedAt >= 0) {
      throw new LinAlgError(
        'NOT_POSITIVE_DEFINITE',
        op,
        `${describeMatrix(a.shape, t)} is not positive definite (pivot ${failedAt} of the factorization is ${pivot}, not positive); ` +
          'cholesky needs a symmetric positive-definite matrix: check the input, or add a multiple of eye(n) to regularise it',
      );
    }
    out.set(w, t * n * n);
  }
  return fromData(a.shape, dtype, out);
}

/** (A + Aᵀ)/2 in place. */
export function symmetrize(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (a[i * n + j]! + a[j * n + i]!);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
}

// ---- triangular solve ----------------------------------------------------------------------------

/** Static parameters of a triangular solve (see `triangularSolve`). */
export interface TriangularParams {
  readonly lower: boolean;
  readonly transposeA: boolean;
  readonly leftSide: boolean;
}

/**
 * Solves op(T) X = B in place (`x`: n x m row-major), T the `lower` (or upper) triangle of the
 * n x n `a` including its diagonal, op(T) = Tᵀ when `transposeA`.
 */
function triangularSolveLeft(a: Float64Array, n: number, lower: boolean, transposeA: boolean, x: Float64Array, m: number): void {
  // element (i, j) of op(T): a[i][j], or a[j][i] when transposed; forward substitution when op(T) is lower
  const rs = transposeA ? 1 : n;
  const cs = transposeA ? n : 1;
  const forward = lower !== transposeA;
  for (let s = 0; s < n; s++) {
    const i = forward ? s : n - 1 - s;
    const from = forward ? 0 : i + 1;
    const to = forward ? i : n;
    for (let j = from; j < to; j++) {
      const t = a[i * rs + j * cs]!;
      if (t === 0) continue;
      for (let c = i * m, d = j * m, end = c + m; c < end; c++, d++) x[c] = x[c]! - t * x[d]!;
    }
    const r = 1 / a[i * (rs + cs)]!;
    for (let c = i * m, end = c + m; c < end; c++) x[c] = x[c]! * r;
  }
}

/**
 * X with op(T) X = B (`leftSide`) or X op(T) = B, for a batch: `a` [..., n, n] (only its `lower` or
 * upper triangle is read), `b` [..., n, m] or [..., m, n]. A zero on T's diagonal is `SINGULAR_MATRIX`.
 */
export function triangularSolveKernel(op: string, a: Tensor, b: Tensor, p: TriangularParams, dtype: DType): Tensor {
  const n = a.shape[a.ndim - 1]!;
  const rows = b.shape[b.ndim - 2]!;
  const cols = b.shape[b.ndim - 1]!;
  const m = p.leftSide ? cols : rows;
  const batches = batchSize(a.shape);
  const out = allocate(dtype, batches * rows * cols);
  const aData = a.size === 0 ? new Float64Array(0) : dataOf(a);
  const bData = b.size === 0 ? new Float64Array(0) : dataOf(b);
  for (let t = 0; t < batches; t++) {
    const w = readMatrix(aData, t, n * n);
    for (let i = 0; i < n; i++) {
      if (w[i * n + i] === 0) throw singularError(op, a.shape, t, `diagonal entry ${i} of its triangle is 0`);
    }
    let x = readMatrix(bData, t, rows * cols);
    if (p.leftSide) triangularSolveLeft(w, n, p.lower, p.transposeA, x, m);
    else {
      // X op(T) = B  <=>  op(T)ᵀ Xᵀ = Bᵀ
      const xt = transposeMatrix(x, rows, cols);
      triangularSolveLeft(w, n, p.lower, !p.transposeA, xt, m);
      x = transposeMatrix(xt, cols, rows);
    }
    out.set(x, t * rows * cols);
  }
  return fromData(b.shape, dtype, out);
}

/** The transpose of the r x c row-major `x`, as a new c x r array. */
export function transposeMatrix(x: Float64Array, r: number, c: number): Float64Array {
  const y = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) y[j * r + i] = x[i * c + j]!;
  return y;
}

// ---- matrix structure ----------------------------------------------------------------------------

/** The length of the diagonal at `offset` of an n x m matrix (0 when it lies outside). */
export function diagonalLength(n: number, m: number, offset: number): number {
  return Math.max(0, offset >= 0 ? Math.min(n, m - offset) : Math.min(n + offset, m));
}

/** `x[..., i, i + offset]` for a batch [..., n, m]: shape [..., k]. */
export function diagonalKernel(x: Tensor, offset: number, outShape: Shape, dtype: DType): Tensor {
  const n = x.shape[x.ndim - 2]!;
  const m = x.shape[x.ndim - 1]!;
  const k = outShape[outShape.length - 1]!;
  const batches = batchSize(x.shape);
  const out = allocate(dtype, batches * k);
  if (out.length === 0) return fromData(outShape, dtype, out);
  const src = dataOf(x);
  const start = offset >= 0 ? offset : -offset * m;
  for (let t = 0; t < batches; t++) for (let i = 0; i < k; i++) out[t * k + i] = src[t * n * m + start + i * (m + 1)]!;
  return fromData(outShape, dtype, out);
}

/** The transpose of `diagonalKernel`: [..., k] placed on the `offset` diagonal of zero [..., n, m] matrices. */
export function diagEmbedKernel(x: Tensor, offset: number, outShape: Shape, dtype: DType): Tensor {
  const n = outShape[outShape.length - 2]!;
  const m = outShape[outShape.length - 1]!;
  const k = x.shape[x.ndim - 1]!;
  const batches = batchSize(outShape);
  const out = allocate(dtype, batches * n * m);
  if (x.size === 0) return fromData(outShape, dtype, out);
  const src = dataOf(x);
  const start = offset >= 0 ? offset : -offset * m;
  for (let t = 0; t < batches; t++) for (let i = 0; i < k; i++) out[t * n * m + start + i * (m + 1)] = src[t * k + i]!;
  return fromData(outShape, dtype, out);
}

/** Σ x[..., i, i + offset] for a batch [..., n, m]. */
export function traceKernel(x: Tensor, offset: number, outShape: Shape, dtype: DType): Tensor {
  const n = x.shape[x.ndim - 2]!;
  const m = x.shape[x.ndim - 1]!;
  const k = diagonalLength(n, m, offset);
  const batches = batchSize(x.shape);
  const sums = new Float64Array(batches);
  if (x.size > 0) {
    const src = dataOf(x);
    const start = offset >= 0 ? offset : -offset * m;
    for (let t = 0; t < batches; t++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += src[t * n * m + start + i * (m + 1)]!;
      sums[t] = s;
    }
  }
  return batchTensor(outShape, dtype, sums);
}

/** Keeps x[..., i, j] where j - i >= k (`upper`) or j - i <= k (lower), zeroes the rest. */
export function bandKernel(x: Tensor, k: number, upper: boolean, dtype: DType): Tensor {
  const n = x.shape[x.ndim - 2]!;
  const m = x.shape[x.ndim - 1]!;
  const out = allocate(dtype, x.size);
  if (x.size === 0) return fromData(x.shape, dtype, out);
  const src = dataOf(x);
  const batches = batchSize(x.shape);
  for (let t = 0; t < batches; t++) {
    for (let i = 0; i < n; i++) {
      const row = t * n * m + i * m;
      // the kept columns of row i: [i + k, m) for the upper triangle, [0, i + k] for the lower
      const from = upper ? Math.max(0, Math.min(m, i + k)) : 0;
      const to = upper ? m : Math.max(0, Math.min(m, i + k + 1));
      for (let j = from; j < to; j++) out[row + j] = src[row + j]!;
    }
  }
  return fromData(x.shape, dtype, out);
}
