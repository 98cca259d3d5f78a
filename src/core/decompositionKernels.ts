/**
 * Kernels with several factors or an iteration: Householder QR, the symmetric eigendecomposition by
 * the cyclic Jacobi method, and the overflow-safe 2-norm. Like `linalgKernels.ts`, they work on
 * float64 copies of one matrix of a batch at a time and never write their inputs.
 *
 * Both factorizations return a normalized result, so the output is a smooth function of the input
 * wherever the factorization is unique (which the derivative rules and finite differences rely on):
 * QR's R has a non-negative diagonal; eigh's eigenvalues ascend, and each eigenvector's entry of
 * largest magnitude (the first of equals) is positive.
 *
 * @since 0.1.0
 */
import { stridedCopy } from './kernels.js';
import { batchSize, symmetrize } from './linalgKernels.js';
import { type Shape, sizeOf, stridesOf } from './shape.js';
import { allocate, dataOf, type DType, fromData, makeScalar, type Tensor } from './Tensor.js';

// ---- QR ------------------------------------------------------------------------------------------

/**
 * Reduced QR of the m x n row-major `a` (overwritten) by Householder reflections: Q (m x k, orthonormal
 * columns) and R (k x n, upper triangular, non-negative diagonal), k = min(m, n), A = Q R.
 */
export function householderQr(a: Float64Array, m: number, n: number): { q: Float64Array; r: Float64Array } {
  const k = Math.min(m, n);
  const vs = new Float64Array(k * m); // reflector j in vs[j * m + j .. (j + 1) * m]
  const betas = new Float64Array(k); // H_j = I - beta_j v_j v_jᵀ; 0 for the identity
  const w = new Float64Array(n);
  for (let j = 0; j < k; j++) {
    let scale = 0;
    for (let i = j; i < m; i++) scale = Math.max(scale, Math.abs(a[i * n + j]!));
    if (scale === 0 || scale !== scale) continue;
    let ss = 0;
    for (let i = j; i < m; i++) ss += (a[i * n + j]! / scale) ** 2;
    const alpha = scale * Math.sqrt(ss);
    const x0 = a[j * n + j]!;
    const s = x0 >= 0 ? 1 : -1;
    // u = x + sign(x0) |x| e1 (no cancellation), stored scaled as v = u / u0 so that v0 = 1 and
    // |v| <= 1; H = I - 2 u uᵀ / uᵀu = I - beta v vᵀ with beta = 1 + |x0| / |x| in [1, 2]
    // (no overflow or underflow, even for subnormal columns)
    const u0 = x0 + s * alpha;
    const v = vs.subarray(j * m, (j + 1) * m);
    v[j] = 1;
    for (let i = j + 1; i < m; i++) v[i] = a[i * n + j]! / u0;
    const beta = 1 + Math.abs(x0) / alpha;
    betas[j] = beta;
    // columns right of j: A -= beta v (vᵀ A), as row operations
    w.fill(0, j + 1, n);
    for (let i = j; i < m; i++) {
      const vi = v[i]!;
      if (vi === 0) continue;
      for (let c = j + 1, o = i * n + j + 1; c < n; c++, o++) w[c] = w[c]! + vi * a[o]!;
    }
    for (let i = j; i < m; i++) {
      const f = beta * v[i]!;
      if (f === 0) continue;
      for (let c = j + 1, o = i * n + j + 1; c < n; c++, o++) a[o] = a[o]! - f * w[c]!;
    }
    a[j * n + j] = -s * alpha;
    for (let i = j + 1; i < m; i++) a[i * n + j] = 0;
  }
  const r = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let c = i; c < n; c++) r[i * n + c] = a[i * n + c]!;
  // Q = H_0 ... H_{k-1} [I_k; 0], applied right to left; H_j leaves columns left of j alone
  const q = new Float64Array(m * k);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  const u = new Float64Array(k);
  for (let j = k - 1; j >= 0; j--) {
    const beta = betas[j]!;
    if (beta === 0) continue;
    const v = vs.subarray(j * m, (j + 1) * m);
    u.fill(0);
    for (let i = j; i < m; i++) {
      const vi = v[i]!;
      for (let c = j; c < k; c++) u[c] = u[c]! + vi * q[i * k + c]!;
    }
    for (let i = j; i < m; i++) {
      const f = beta * v[i]!;
      for (let c = j; c < k; c++) q[i * k + c] = q[i * k + c]! - f * u[c]!;
    }
  }
  // the unique QR of a full-rank matrix: a non-negative diagonal of R
  for (let i = 0; i < k; i++) {
    if (r[i * n + i]! >= 0) continue;
    for (let c = i; c < n; c++) r[i * n + c] = -r[i * n + c]!;
    for (let p = 0; p < m; p++) q[p * k + i] = -q[p * k + i]!;
  }
  return { q, r };
}

/** Reduced QR of a batch [..., m, n]: Q [..., m, k] and R [..., k, n]. */
export function qrKernel(a: Tensor, qShape: Shape, rShape: Shape, dtype: DType): [Tensor, Tensor] {
  const m = a.shape[a.ndim - 2]!;
  const n = a.shape[a.ndim - 1]!;
  const k = Math.min(m, n);
  const batches = batchSize(a.shape);
  const qOut = allocate(dtype, batches * m * k);
  const rOut = allocate(dtype, batches * k * n);
  const src = a.size === 0 ? new Float64Array(0) : dataOf(a);
  for (let t = 0; t < batches; t++) {
    const w = new Float64Array(src.subarray(t * m * n, (t + 1) * m * n));
    const { q, r } = householderQr(w, m, n);
    qOut.set(q, t * m * k);
    rOut.set(r, t * k * n);
  }
  return [fromData(qShape, dtype, qOut), fromData(rShape, dtype, rOut)];
}

// ---- symmetric eigendecomposition ----------------------------------------------------------------

/** Sweeps of the Jacobi method before giving up; it converges quadratically, in well under 20. */
const MAX_SWEEPS = 60;

/**
 * Eigenvalues and eigenvectors of the symmetric n x n row-major `a` (overwritten) by the cyclic
 * Jacobi method: rotations annihilate each off-diagonal entry in turn until the off-diagonal part is
 * negligible. Slower than tridiagonalization plus QL for large n, but simple and accurate to
 * working precision in every eigenvector, which the derivative rules rely on.
 */
export function jacobiEigh(a: Float64Array, n: number): { w: Float64Array; v: Float64Array } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i]! * a[i]!;
  if (!Number.isFinite(total)) {
    let big = 0;
    for (let i = 0; i < n * n; i++) big = Math.max(big, Math.abs(a[i]!));
    // NaN or infinite input (eigh refuses it before the kernel runs): NaN, as the arithmetic would make it
    if (!Number.isFinite(big)) return { w: new Float64Array(n).fill(NaN), v: v.fill(NaN) };
    // finite entries whose squares overflow: the eigenvalues of a / big, scaled back (the eigenvectors are the same)
    for (let i = 0; i < n * n; i++) a[i] = a[i]! / big;
    const scaled = jacobiEigh(a, n);
    for (let i = 0; i < n; i++) scaled.w[i] = scaled.w[i]! * big;
    return scaled;
  }
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off <= 1e-34 * total) break;
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        // negligible against both diagonal entries: dropping it changes no eigenvalue beyond rounding
        if (Math.abs(apq) <= 1e-18 * Math.abs(app) && Math.abs(apq) <= 1e-18 * Math.abs(aqq)) {
          a[p * n + q] = 0;
          a[q * n + p] = 0;
          continue;
        }
        rotated = true;
        // the rotation angle φ with tan φ = t, the smaller root of t² + 2θt - 1 = 0 (Rutishauser)
        const theta = (aqq - app) / (2 * apq);
        const t = Math.abs(theta) > 1e150 ? 1 / (2 * theta) : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < n; r++) {
          const arp = a[r * n + p]!;
          const arq = a[r * n + q]!;
          a[r * n + p] = c * arp - s * arq;
          a[r * n + q] = s * arp + c * arq;
        }
        for (let r = 0; r < n; r++) {
          const apr = a[p * n + r]!;
          const aqr = a[q * n + r]!;
          a[p * n + r] = c * apr - s * aqr;
          a[q * n + r] = s * apr + c * aqr;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let r = 0; r < n; r++) {
          const vrp = v[r * n + p]!;
          const vrq = v[r * n + q]!;
          v[r * n + p] = c * vrp - s * vrq;
          v[r * n + q] = s * vrp + c * vrq;
        }
      }
    }
    if (!rotated) break;
  }
  // ascending eigenvalues (ties keep their order), eigenvectors as columns in the same order
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i]! - a[j * n + j]! || i - j);
  const w = new Float64Array(n);
  const vSorted = new Float64Array(n * n);
  order.forEach((src, dst) => {
    w[dst] = a[src * n + src]!;
    let big = 0;
    for (let r = 1; r < n; r++) if (Math.abs(v[r * n + src]!) > Math.abs(v[big * n + src]!)) big = r;
    const flip = v[big * n + src]! < 0 ? -1 : 1;
    for (let r = 0; r < n; r++) vSorted[r * n + dst] = flip * v[r * n + src]!;
  });
  return { w, v: vSorted };
}

/** Eigenvalues [..., n] (ascending) and eigenvectors [..., n, n] (columns) of (A + Aᵀ)/2, for a batch. */
export function eighKernel(a: Tensor, wShape: Shape, dtype: DType): [Tensor, Tensor] {
  const n = a.shape[a.ndim - 1]!;
  const batches = batchSize(a.shape);
  const wOut = allocate(dtype, batches * n);
  const vOut = allocate(dtype, batches * n * n);
  const src = a.size === 0 ? new Float64Array(0) : dataOf(a);
  for (let t = 0; t < batches; t++) {
    const work = new Float64Array(src.subarray(t * n * n, (t + 1) * n * n));
    symmetrize(work, n);
    const { w, v } = jacobiEigh(work, n);
    wOut.set(w, t * n);
    vOut.set(v, t * n * n);
  }
  return [fromData(wShape, dtype, wOut), fromData(a.shape, dtype, vOut)];
}

// ---- 2-norm --------------------------------------------------------------------------------------

/**
 * sqrt(Σ x²) over `axes` (sorted), computed as m · sqrt(Σ (x/m)²) with m = max |x| so that neither
 * squares of large entries overflow nor squares of tiny ones underflow to a zero norm.
 */
export function norm2Kernel(x: Tensor, axes: ReadonlyArray<number>, outShape: Shape, dtype: DType): Tensor {
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const group = sizeOf(axes.map((a) => x.shape[a]!));
  const groups = sizeOf(kept.map((a) => x.shape[a]!));
  const out = new Float64Array(groups);
  if (x.size > 0) {
    // reduced axes last and contiguous: one group per output element
    const strides = stridesOf(x.shape);
    const grouped = new Float64Array(x.size);
    stridedCopy(dataOf(x), 0, perm.map((a) => strides[a]!), perm.map((a) => x.shape[a]!), grouped);
    for (let g = 0; g < groups; g++) {
      let m = 0;
      for (let i = g * group, end = i + group; i < end; i++) {
        const v = Math.abs(grouped[i]!);
        if (!(v <= m)) m = v;
      }
      if (m === 0 || !Number.isFinite(m)) {
        out[g] = m;
        continue;
      }
      let s = 0;
      for (let i = g * group, end = i + group; i < end; i++) s += (grouped[i]! / m) ** 2;
      out[g] = m * Math.sqrt(s);
    }
  }
  if (outShape.length === 0) return makeScalar(out[0]!, dtype);
  return fromData(outShape, dtype, dtype === 'float64' ? out : Float32Array.from(out));
}
