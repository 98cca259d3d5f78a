/**
 * Decompositions with several factors, batched over leading axes: `qr` (reduced, Householder) and
 * `eigh` (symmetric eigendecomposition, cyclic Jacobi). Each is one multiple-result row
 * (`MultiRule`): the jvp gives one tangent per factor, the vjp takes one cotangent per factor (`Zero`
 * for a factor nothing flowed into). Rules are written with the library's ops, so they differentiate
 * again; kernels are in core/decompositionKernels.ts.
 *
 * @since 0.1.0
 */
import { batchLeadingMulti } from '../core/batching.js';
import type { MultiPrimitive } from '../core/primitive.js';
import { checkArity } from '../core/args.js';
import { checkFiniteMatrices } from '../core/linalgKernels.js';
import { asTensor, zerosLike } from '../core/creation.js';
import { eighKernel, qrKernel } from '../core/decompositionKernels.js';
import { bindMulti } from '../core/primitive.js';
import type { MultiRule } from '../core/rule.js';
import { SCALAR_SHAPE, type Shape } from '../core/shape.js';
import type { Tensor } from '../core/Tensor.js';
import { isZero, type Tangent, Zero } from '../core/zero.js';
import { addTangents } from './combinators.js';
import { add, div, equal, mul, type Operand, sub, where } from './elementwise.js';
import { diagEmbed, diagonalP, matrixDims, matrixTranspose, squareSize, symmetrizeOp, trilP, triuP } from './matrix.js';
import { bind } from '../core/primitive.js';
import { derivativeThroughInverse, mm, triangularSolveP } from './solve.js';
import { concat, expandDims, slice } from './structure.js';

const freeze = (s: ReadonlyArray<number>): Shape => (s.length === 0 ? SCALAR_SHAPE : Object.freeze([...s]));

/** Columns `from..to` of each matrix (the last axis). */
function columns(x: Tensor, from: number, to: number): Tensor {
  const last = x.ndim - 1;
  return slice(x, x.shape.map((_, i) => (i === last ? from : 0)), x.shape.map((d, i) => (i === last ? to : d)));
}

const tril = (x: Tensor, k: number): Tensor => bind(trilP, [x], { k });
const triu = (x: Tensor, k: number): Tensor => bind(triuP, [x], { k });

// ---- QR ------------------------------------------------------------------------------------------

/** X R⁻¹ and X R⁻ᵀ for upper-triangular R, by substitution. */
const timesRInverse = (x: Tensor, r: Tensor, transposeA: boolean): Tensor =>
  bind(triangularSolveP, [r, x], { lower: false, transposeA, leftSide: false });

/**
 * The QR jvp for m >= n (Walter & Lehmann 2018; Seeger et al. 2017): with B = dA R⁻¹ and C = Qᵀ B,
 * QᵀdQ = Ω is antisymmetric and dR R⁻¹ upper triangular, so Ω = tril(C, -1) - tril(C, -1)ᵀ,
 * dR = (C - Ω) R and dQ = Q (Ω - C) + B.
 */
function qrTallJvp(q: Tensor, r: Tensor, aDot: Tensor): [Tensor, Tensor] {
  const b = timesRInverse(aDot, r, false);
  const c = mm(q, b, true, false);
  const low = tril(c, -1);
  const omega = sub(low, matrixTranspose(low));
  return [add(mm(q, sub(omega, c)), b), mm(sub(c, omega), r)];
}

/**
 * The transpose of `qrTallJvp`: Ā = (Q̄ + Q copyᵤ(M)) R⁻ᵀ with M = R̄ Rᵀ - QᵀQ̄, where copyᵤ(M) keeps
 * M's upper triangle and mirrors its strict upper part below the diagonal.
 */
function qrTallVjp(q: Tensor, r: Tensor, qBar: Tangent, rBar: Tangent): Tensor {
  const m = addTangents(isZero(rBar) ? Zero : mm(rBar, r, false, true), isZero(qBar) ? Zero : mul(mm(q, qBar, true, false), -1)) as Tensor;
  const g = add(triu(m, 0), matrixTranspose(triu(m, 1)));
  const x = isZero(qBar) ? mm(q, g) : add(qBar, mm(q, g));
  return timesRInverse(x, r, true);
}

export const qrP: MultiRule<void> = {
  batch: (args, dims, params, size) => batchLeadingMulti(qrP as MultiPrimitive<unknown>, args, dims, params, size),
  name: 'qr',
  multipleResults: true,
  examples: [
    { args: [{ shape: [3, 3], domain: 'invertible' }], params: undefined },
    { args: [{ shape: [4, 3], domain: 'invertible' }], params: undefined },
    { args: [{ shape: [2, 4], domain: 'invertible' }], params: undefined },
    { args: [{ shape: [2, 3, 2], domain: 'invertible' }], params: undefined },
  ],
  shape: ([a]) => {
    const [m, n] = matrixDims('qr', 'a', a!);
    const k = Math.min(m, n);
    const batch = a!.shape.slice(0, -2);
    return [
      { shape: freeze([...batch, m, k]), dtype: a!.dtype },
      { shape: freeze([...batch, k, n]), dtype: a!.dtype },
    ];
  },
  impl: ([a], _p, outs) => (checkFiniteMatrices('qr', a!), qrKernel(a!, outs[0]!.shape, outs[1]!.shape, outs[0]!.dtype)),
  // the derivatives solve with R: at a rank-deficient input, SINGULAR_MATRIX (named as qr's)
  jvp: ([a], [aDot], [q, r]) => derivativeThroughInverse('qr', () => qrJvp(a!, aDot as Tensor, q!, r!)),
  vjp: ([qBar, rBar], [a], [q, r]) => derivativeThroughInverse('qr', () => [qrVjp(a!, qBar!, rBar!, q!, r!)]),
};

/** m < n: A = Q [R₁ R₂] with A₁ = Q R₁ square and R₂ = Qᵀ A₂, so dR₂ = dQᵀ A₂ + Qᵀ dA₂. */
function qrJvp(a: Tensor, aDot: Tensor, q: Tensor, r: Tensor): [Tensor, Tensor] {
  const m = a.shape[a.ndim - 2]!;
  const n = a.shape[a.ndim - 1]!;
  if (m >= n) return qrTallJvp(q, r, aDot);
  const [qDot, r1Dot] = qrTallJvp(q, columns(r, 0, m), columns(aDot, 0, m));
  const r2Dot = add(mm(qDot, columns(a, m, n), true, false), mm(q, columns(aDot, m, n), true, false));
  return [qDot, concat([r1Dot, r2Dot], -1)];
}

/** m < n: the R₂ term adds A₂ R̄₂ᵀ to Q̄, and Ā₂ = Q R̄₂. */
function qrVjp(a: Tensor, qBar: Tangent, rBar: Tangent, q: Tensor, r: Tensor): Tensor {
  const m = a.shape[a.ndim - 2]!;
  const n = a.shape[a.ndim - 1]!;
  if (m >= n) return qrTallVjp(q, r, qBar, rBar);
  const r2Bar = isZero(rBar) ? Zero : columns(rBar, m, n);
  const q1Bar = addTangents(qBar, isZero(r2Bar) ? Zero : mm(columns(a, m, n), r2Bar, false, true));
  const r1Bar = isZero(rBar) ? Zero : columns(rBar, 0, m);
  const a1Bar = isZero(q1Bar) && isZero(r1Bar) ? zerosLike(columns(a, 0, m)) : qrTallVjp(q, columns(r, 0, m), q1Bar, r1Bar);
  const a2Bar = isZero(r2Bar) ? zerosLike(columns(a, m, n)) : mm(q, r2Bar);
  return concat([a1Bar, a2Bar], -1);
}

/**
 * Reduced QR decomposition of each matrix in the last two axes: for `a` of shape `[..., m, n]` and
 * k = min(m, n), `q` is `[..., m, k]` with orthonormal columns and `r` is `[..., k, n]` upper
 * triangular, `a = q r`, both in the input's dtype. R's diagonal is made non-negative, which makes the factorization unique
 * for full-rank input (NumPy and JAX leave the signs to LAPACK).
 *
 * Derivatives (Walter & Lehmann 2018, "Algorithmic differentiation of linear algebra functions with
 * application in optimum experimental design"; Seeger et al. 2017): defined where the leading
 * min(m, n) columns have full rank; the rules solve with R, so a zero on R's diagonal throws
 * `SINGULAR_MATRIX` in the derivative (the factorization itself works for any input).
 *
 * Throws `SHAPE_MISMATCH` for fewer than two axes.
 * @example
 * import { qr, matmul, tensor, toArray } from 'adjoint'
 * const a = tensor([[3, 1], [4, 2]])
 * const [q, r] = qr(a)
 * assert.deepEqual(toArray(r).map((row) => row.map((v) => Math.round(v * 1e12) / 1e12)), [[5, 2.2], [0, 0.4]])
 * assert.ok(toArray(matmul(q, r)).flat().every((v, i) => Math.abs(v - [3, 1, 4, 2][i]) < 1e-12))
 * @category linear algebra
 * @since 0.1.0
 */
export function qr(a: Operand): readonly [q: Tensor, r: Tensor] {
  checkArity('qr', arguments.length, 1, 'qr(a)');
  const [q, r] = bindMulti(qrP, [asTensor('qr', a)], undefined);
  return Object.freeze([q!, r!] as const);
}

// ---- eigh ----------------------------------------------------------------------------------------

/**
 * F with F[i][j] = 1 / (λⱼ - λᵢ) off the diagonal and 0 where λᵢ = λⱼ (the diagonal, and repeated
 * eigenvalues). The `where`s keep the dropped entries exactly 0 at every order, never 1/0.
 */
function eigenGaps(w: Tensor): Tensor {
  const d = sub(expandDims(w, -2), expandDims(w, -1));
  const same = equal(d, 0);
  return where(same, 0, div(1, where(same, 1, d)));
}

export const eighP: MultiRule<void> = {
  batch: (args, dims, params, size) => batchLeadingMulti(eighP as MultiPrimitive<unknown>, args, dims, params, size),
  name: 'eigh',
  multipleResults: true,
  // fixed symmetric matrices with well-separated eigenvalues (the derivative needs distinct ones);
  // the directions the registry suite differentiates along are random, and not symmetric
  examples: [
    { args: [{ shape: [3, 3], values: [2, 0.5, -0.3, 0.5, -1, 0.4, -0.3, 0.4, 0.5] }], params: undefined },
    { args: [{ shape: [2, 2, 2], values: [1, 0.3, 0.3, -1, 3, -0.8, -0.8, 0.5] }], params: undefined },
  ],
  shape: ([a]) => {
    const n = squareSize('eigh', 'a', a!);
    return [{ shape: freeze([...a!.shape.slice(0, -2), n]), dtype: a!.dtype }, a!];
  },
  impl: ([a], _p, outs) => (checkFiniteMatrices('eigh', a!), eighKernel(a!, outs[0]!.shape, outs[0]!.dtype)),
  // the standard rule (Giles 2008, §3.1), with S = sym(dA) since the kernel decomposes sym(A) and
  // K = Vᵀ S V: dλ = diag(K), dV = V (F ∘ K). Exact only for distinct eigenvalues; between equal
  // ones F = 0 (no NaN), which is exact for symmetric functions of the eigenvalues only (see eigh).
  jvp: (_primals, [aDot], [w, v]) => {
    const k = mm(mm(v!, symmetrizeOp(aDot as Tensor), true, false), v!);
    return [bind(diagonalP, [k], { offset: 0 }), mm(v!, mul(eigenGaps(w!), k))];
  },
  // Ā = sym(V (diag(λ̄) + F ∘ (Vᵀ V̄)) Vᵀ)
  vjp: ([wBar, vBar], _primals, [w, v]) => {
    const inner = addTangents(isZero(wBar) ? Zero : diagEmbed(wBar!), isZero(vBar) ? Zero : mul(eigenGaps(w!), mm(v!, vBar!, true, false))) as Tensor;
    return [symmetrizeOp(mm(mm(v!, inner), v!, false, true))];
  },
};

/**
 * Eigenvalues and eigenvectors of each symmetric matrix in the last two axes: `[w, v]` with `w`
 * `[..., n]` in ascending order (as NumPy and JAX) and the eigenvectors as the columns of `v`
 * `[..., n, n]`, `a v = v diag(w)`, in the input's dtype. The input is symmetrized first, `(a + aᵀ) / 2` (as JAX does).
 * Each eigenvector is normalized so that its entry of largest magnitude is positive.
 *
 * Derivatives (Giles 2008, §3.1): dλᵢ = vᵢᵀ dA vᵢ and dV = V (F ∘ Vᵀ dA V) with F[i][j] =
 * 1 / (λⱼ - λᵢ). They are exact for distinct eigenvalues. At a repeated eigenvalue neither the
 * sorted eigenvalues nor the eigenvectors (not even unique there) are differentiable; instead of a
 * NaN from 1/0, the rule sets F = 0 between equal eigenvalues, dropping the terms that couple their
 * eigenvectors. The result is then exact for functions of the eigenvalues that are symmetric in the
 * repeated ones (`sum(f(w))`, such as log-determinants and traces of matrix functions), and a
 * convention otherwise: in particular eigenvector-dependent results (`v diag(f(w)) vᵀ` included)
 * miss the coupling term there. Close but unequal eigenvalues give the true, large derivative.
 *
 * Throws `SHAPE_MISMATCH` (not square).
 * @example
 * import { eigh, tensor, toArray } from 'adjoint'
 * const [w, v] = eigh(tensor([[2, 1], [1, 2]]))
 * assert.deepEqual(toArray(w).map((x) => Math.round(x * 1e12) / 1e12), [1, 3])
 * assert.ok(Math.abs(Math.abs(toArray(v)[0][0]) - Math.SQRT1_2) < 1e-12)
 * @category linear algebra
 * @since 0.1.0
 */
export function eigh(a: Operand): readonly [eigenvalues: Tensor, eigenvectors: Tensor] {
  checkArity('eigh', arguments.length, 1, 'eigh(a)');
  const [w, v] = bindMulti(eighP, [asTensor('eigh', a)], undefined);
  return Object.freeze([w!, v!] as const);
}
