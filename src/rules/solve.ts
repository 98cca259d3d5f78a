/**
 * Linear systems and the LU/Cholesky family, batched over leading axes: `solve`, `triangularSolve`,
 * `inv`, `det`, `slogdet`, `cholesky`. Kernels are in core/linalgKernels.ts; the derivative rules
 * here are written with the library's ops (matmul, solves, triangles), so they differentiate again.
 *
 * Sources of the rules: Giles 2008, "An extended collection of matrix derivative results for forward
 * and reverse mode algorithmic differentiation" (solve, inverse, determinant); Murray 2016,
 * "Differentiation of the Cholesky decomposition" (Cholesky). Each was re-derived for the conventions
 * used here (which triangle is read, symmetrized inputs), as the row comments say.
 *
 * Non-finite input: a NaN or ±Infinity in a matrix these ops factor (in the triangle `triangularSolve`
 * reads) is `NON_FINITE`, naming the op, the matrix and the entry; a right-hand side `b` is not
 * checked (its NaN propagates, as through any arithmetic).
 *
 * Singular input: `solve`, `inv` and `triangularSolve` throw `SINGULAR_MATRIX` at an exactly zero
 * pivot (as LAPACK reports it); `det` and `slogdet` return the value at a singular matrix (0, and
 * sign 0 with log|det| = -Infinity, as NumPy), and their derivatives there throw `SINGULAR_MATRIX`,
 * because the rules go through A⁻¹.
 *
 * @since 0.1.0
 */
import { batchLeadingMulti } from '../core/batching.js';
import type { MultiPrimitive } from '../core/primitive.js';
import { asTensor } from '../core/creation.js';
import { checkArity, parseBoolean, parseOptions } from '../core/args.js';
import { formatShape, LinAlgError, ShapeError } from '../core/errors.js';
import { promote } from '../core/kernels.js';
import { checkFiniteMatrices, choleskyKernel, detKernel, invKernel, slogdetKernel, solveKernel, type TriangularParams, triangularSolveKernel } from '../core/linalgKernels.js';
import { type AbstractValue, bind, bindMulti } from '../core/primitive.js';
import type { MultiRule, Rule } from '../core/rule.js';
import { broadcastShapes, SCALAR_SHAPE, sameShape, type Shape } from '../core/shape.js';
import { allocate, fromData, type Tensor } from '../core/Tensor.js';
import { isZero, type Tangent, Zero } from '../core/zero.js';
import { rule } from './combinators.js';
import { mul, neg, type Operand, sub } from './elementwise.js';
import { matmulP } from './linalg.js';
import { matrixDims, matrixTranspose, squareSize, symmetrizeOp, traceP, trilP, triuP } from './matrix.js';
import { broadcastTo, reshape } from './structure.js';

export type { TriangularParams } from '../core/linalgKernels.js';

const freeze = (s: ReadonlyArray<number>): Shape => (s.length === 0 ? SCALAR_SHAPE : Object.freeze([...s]));

/** A B with optional transposes, both operands at least 2-d with equal batch axes. */
export function mm(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  return bind(matmulP, [a, b], { transposeA, transposeB });
}

/**
 * Runs a derivative rule of `op` that solves or inverts: a `SINGULAR_MATRIX` from inside it is
 * reported as `op`'s, saying that its derivative needs the inverse (the value itself may exist).
 */
export function derivativeThroughInverse<T>(op: string, rule: () => T): T {
  try {
    return rule();
  } catch (e) {
    if (!(e instanceof LinAlgError) || e.code !== 'SINGULAR_MATRIX' || e.op === op) throw e;
    throw new LinAlgError('SINGULAR_MATRIX', op, `the derivative of ${op} goes through ${e.op}, and ${e.message.slice(e.op.length + 2)}`);
  }
}

/** A value of batch shape [...] as [..., 1, 1], to scale matrices. */
const asMatrixScale = (t: Tensor): Tensor => reshape(t, [...t.shape, 1, 1]);

/** tr(A⁻¹ Ȧ): the derivative of log|det A| (Giles 2008, §2.2.2). */
const traceOfSolve = (a: Tensor, aDot: Tensor): Tensor => bind(traceP, [bind(solveP, [a, aDot], undefined)], { offset: 0 });

/** A⁻ᵀ: the gradient of log|det A|. */
const invTranspose = (a: Tensor): Tensor => matrixTranspose(bind(invP, [a], undefined));

/** Throws `SHAPE_MISMATCH` unless the two operands' leading (batch) axes are equal. */
function sameBatch(op: string, a: AbstractValue, b: AbstractValue): void {
  if (!sameShape(a.shape.slice(0, -2), b.shape.slice(0, -2))) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      op,
      `a has shape ${formatShape(a.shape)} and b ${formatShape(b.shape)}: their batch axes (all but the last two) differ; broadcast them to the same batch shape first`,
    );
  }
}

// ---- solve ---------------------------------------------------------------------------------------

export const solveP: Rule<void> = rule<void>({
  batch: 'leading',
  name: 'solve',
  examples: [
    { args: [{ shape: [3, 3], domain: 'invertible' }, { shape: [3, 2] }], params: undefined },
    { args: [{ shape: [2, 3, 3], domain: 'invertible' }, { shape: [2, 3, 1] }], params: undefined },
  ],
  shape: ([a, b]) => {
    const n = squareSize('solve', 'a', a!);
    const [rows] = matrixDims('solve', 'b', b!);
    if (rows !== n) {
      throw new ShapeError('SHAPE_MISMATCH', 'solve', `a has shape ${formatShape(a!.shape)} and b ${formatShape(b!.shape)}: b needs ${n} rows (its second-to-last axis) to match a`);
    }
    sameBatch('solve', a!, b!);
    return { shape: b!.shape, dtype: promote(a!.dtype, b!.dtype) };
  },
  impl: ([a, b], _p, out) => (checkFiniteMatrices('solve', a!), solveKernel('solve', a!, b!, out.dtype)),
  // X = A⁻¹B: dX = A⁻¹ (dB - dA X)
  jvp: ([a], [aDot, bDot], x) => {
    const rhs = isZero(aDot) ? bDot! : isZero(bDot) ? neg(mm(aDot!, x)) : sub(bDot!, mm(aDot!, x));
    return bind(solveP, [a!, rhs as Tensor], undefined);
  },
  // B̄ = A⁻ᵀ X̄, Ā = -B̄ Xᵀ
  vjp: (ct, [a], x, _p, wants) => {
    const bBar = bind(solveP, [matrixTranspose(a!), ct], undefined);
    return [wants[0] ? neg(mm(bBar, x, false, true)) : Zero, wants[1] ? bBar : Zero];
  },
});

/** `b` as a matrix (a vector is a column), both operands broadcast to a common batch shape. */
function systemOperands(op: string, a: Tensor, b: Tensor, rhsIsRow = false): { a: Tensor; b: Tensor; vector: boolean } {
  matrixDims(op, 'a', a);
  const vector = b.ndim === 1;
  const b2 = vector ? reshape(b, rhsIsRow ? [1, b.shape[0]!] : [b.shape[0]!, 1]) : b;
  matrixDims(op, 'b', b2);
  const batch = broadcastShapes(op, a.shape.slice(0, -2), b2.shape.slice(0, -2));
  return { a: broadcastTo(a, [...batch, ...a.shape.slice(-2)]), b: broadcastTo(b2, [...batch, ...b2.shape.slice(-2)]), vector };
}

/** The solution back in `b`'s layout: a vector right-hand side gives a vector. */
const unvector = (x: Tensor, vector: boolean, rhsIsRow = false): Tensor =>
  vector ? reshape(x, [...x.shape.slice(0, -2), x.shape[x.ndim - (rhsIsRow ? 1 : 2)]!]) : x;

/**
 * Solves `a x = b` by LU with partial pivoting: `a` is `[..., n, n]`, `b` is `[..., n, k]` or a
 * vector `[n]` (NumPy 2 semantics: `b` is a vector only when it is 1-d), batch axes broadcast.
 * Float32 or float64 (mixed promotes); computed in float64.
 *
 * Derivatives (Giles 2008): dx = A⁻¹(db - dA x); b̄ = A⁻ᵀ x̄, ā = -b̄ xᵀ.
 *
 * Throws `SHAPE_MISMATCH` (non-square `a`, rows of `b` differ), `BROADCAST_INCOMPATIBLE` (batch
 * axes), `SINGULAR_MATRIX` (an exactly zero pivot).
 * @example
 * import { solve, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(solve(tensor([[2, 0], [0, 4]]), tensor([2, 8]))), [1, 2])
 * @category linear algebra
 * @since 0.1.0
 */
export function solve(a: Operand, b: Operand): Tensor {
  checkArity('solve', arguments.length, 2, 'solve(a, b)');
  const s = systemOperands('solve', asTensor('solve', a), asTensor('solve', b));
  return unvector(bind(solveP, [s.a, s.b], undefined), s.vector);
}

// ---- triangular solve ----------------------------------------------------------------------------

/** The triangle the kernel reads (diagonal included). */
const triangle = (x: Tensor, lower: boolean): Tensor => bind(lower ? trilP : triuP, [x], { k: 0 });

const TRIANGULAR_EXAMPLES = (
  [
    [true, false, true],
    [false, true, true],
    [true, true, false],
    [false, false, false],
  ] as const
).map(([lower, transposeA, leftSide]) => ({
  args: [{ shape: [3, 3], domain: 'invertible' as const }, { shape: leftSide ? [3, 2] : [2, 3] }],
  params: { lower, transposeA, leftSide },
}));

export const triangularSolveP: Rule<TriangularParams> = rule<TriangularParams>({
  batch: 'leading',
  name: 'triangularSolve',
  examples: [
    ...TRIANGULAR_EXAMPLES,
    { args: [{ shape: [2, 3, 3], domain: 'invertible' }, { shape: [2, 3, 2] }], params: { lower: true, transposeA: false, leftSide: true } },
  ],
  shape: ([a, b], p) => {
    const n = squareSize('triangularSolve', 'a', a!);
    const [rows, cols] = matrixDims('triangularSolve', 'b', b!);
    if ((p.leftSide ? rows : cols) !== n) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        'triangularSolve',
        `a has shape ${formatShape(a!.shape)} and b ${formatShape(b!.shape)}: with leftSide ${p.leftSide}, b needs ${n} ${p.leftSide ? 'rows' : 'columns'} to match a`,
      );
    }
    sameBatch('triangularSolve', a!, b!);
    return { shape: b!.shape, dtype: promote(a!.dtype, b!.dtype) };
  },
  impl: ([a, b], p, out) => (checkFiniteMatrices('triangularSolve', a!, p.lower ? 'lower' : 'upper'), triangularSolveKernel('triangularSolve', a!, b!, p, out.dtype)),
  // T = tri(A) is all the kernel reads, so dT = tri(dA). Left: op(T) X = B gives dX = op(T)⁻¹ (dB - op(dT) X);
  // right: X op(T) = B gives dX = (dB - X op(dT)) op(T)⁻¹
  jvp: ([a], [aDot, bDot], x, p) => {
    let rhs: Tangent = bDot!;
    if (!isZero(aDot)) {
      const tDot = triangle(aDot!, p.lower);
      const term = p.leftSide ? mm(tDot, x, p.transposeA, false) : mm(x, tDot, false, p.transposeA);
      rhs = isZero(bDot) ? neg(term) : sub(bDot!, term);
    }
    return bind(triangularSolveP, [a!, rhs as Tensor], p);
  },
  // B̄ = op(T)⁻ᵀ X̄ (left) or X̄ op(T)⁻ᵀ (right): the same solve with transposeA flipped.
  // T̄ = tri(-B̄ Xᵀ) (left), tri(-Xᵀ B̄) (right), transposed when op transposes.
  vjp: (ct, [a], x, p, wants) => {
    const bBar = bind(triangularSolveP, [a!, ct], { ...p, transposeA: !p.transposeA });
    if (!wants[0]) return [Zero, bBar];
    const outer = p.leftSide ? (p.transposeA ? mm(x, bBar, false, true) : mm(bBar, x, false, true)) : p.transposeA ? mm(bBar, x, true, false) : mm(x, bBar, true, false);
    return [triangle(neg(outer), p.lower), wants[1] ? bBar : Zero];
  },
});

/**
 * Options of `triangularSolve`.
 *
 * @category linear algebra
 * @since 0.1.0
 */
export interface TriangularSolveOptions {
  /** Read the lower triangle of `a` (true) or the upper one (false); the other is ignored. Required. */
  readonly lower: boolean;
  /** Solve with `aᵀ` instead of `a` (default false). */
  readonly transposeA?: boolean;
  /** Solve `a x = b` (true, the default) or `x a = b` (false). */
  readonly leftSide?: boolean;
}

/**
 * Solves a triangular system by substitution: `op(a) x = b` (`leftSide`, the default) or
 * `x op(a) = b`, where `op(a)` is `a` or `aᵀ` (`transposeA`) and only the `lower` (or upper)
 * triangle of `a`, diagonal included, is read, as `lax.linalg.triangular_solve`. `a` is
 * `[..., n, n]`; `b` is `[..., n, k]` (left) or `[..., k, n]` (right) or a vector `[n]`; batch axes
 * broadcast; float32 or float64 (mixed promotes). Derivatives treat the unread triangle as absent
 * (its gradient is 0), and come from differentiating op(T) X = B (as Giles 2008 does for solve).
 *
 * Throws `INVALID_ARGUMENT` (missing `lower`), `UNKNOWN_OPTION`, `SHAPE_MISMATCH`,
 * `BROADCAST_INCOMPATIBLE`, `SINGULAR_MATRIX` (a zero on the diagonal).
 * @example
 * import { triangularSolve, tensor, toArray } from 'adjoint'
 * const l = tensor([[2, 0], [1, 1]])
 * assert.deepEqual(toArray(triangularSolve(l, tensor([2, 3]), { lower: true })), [1, 2])
 * assert.deepEqual(toArray(triangularSolve(l, tensor([4, 1]), { lower: true, transposeA: true })), [1.5, 1])
 * @category linear algebra
 * @since 0.1.0
 */
export function triangularSolve(a: Operand, b: Operand, options: TriangularSolveOptions): Tensor {
  checkArity('triangularSolve', arguments.length, 3, 'triangularSolve(a, b, { lower, transposeA?, leftSide? })');
  const o = parseOptions('triangularSolve', 'options', options, ['lower', 'transposeA', 'leftSide']);
  const p: TriangularParams = {
    lower: parseBoolean('triangularSolve', 'options.lower', o.lower),
    transposeA: parseBoolean('triangularSolve', 'options.transposeA', o.transposeA, false),
    leftSide: parseBoolean('triangularSolve', 'options.leftSide', o.leftSide, true),
  };
  const s = systemOperands('triangularSolve', asTensor('triangularSolve', a), asTensor('triangularSolve', b), !p.leftSide);
  return unvector(bind(triangularSolveP, [s.a, s.b], p), s.vector, !p.leftSide);
}

// ---- inverse and determinants --------------------------------------------------------------------

const SQUARE_EXAMPLES = [
  { args: [{ shape: [3, 3], domain: 'invertible' as const }], params: undefined },
  { args: [{ shape: [2, 2, 2], domain: 'invertible' as const }], params: undefined },
];

export const invP: Rule<void> = rule<void>({
  batch: 'leading',
  name: 'inv',
  examples: SQUARE_EXAMPLES,
  shape: ([a]) => {
    squareSize('inv', 'a', a!);
    return a!;
  },
  impl: ([a], _p, out) => (checkFiniteMatrices('inv', a!), invKernel('inv', a!, out.dtype)),
  // d A⁻¹ = -A⁻¹ dA A⁻¹; Ā = -A⁻ᵀ C̄ A⁻ᵀ (Giles 2008, §2.2.3); both reuse the output
  jvp: (_primals, [aDot], ans) => neg(mm(mm(ans, aDot as Tensor), ans)),
  vjp: (ct, _primals, ans) => [neg(mm(mm(ans, ct, true, false), ans, false, true))],
});

/**
 * The inverse of each matrix in the last two axes, by LU with partial pivoting; float32 or float64
 * (the input's dtype, computed in float64).
 * Derivative (Giles 2008): d(A⁻¹) = -A⁻¹ dA A⁻¹.
 *
 * Throws `SHAPE_MISMATCH` (not square) and `SINGULAR_MATRIX` (an exactly zero pivot). Prefer
 * `solve(a, b)` to `matmul(inv(a), b)`: it is cheaper and more accurate.
 * @example
 * import { inv, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(inv(tensor([[2, 0], [0, 4]]))), [[0.5, 0], [0, 0.25]])
 * @category linear algebra
 * @since 0.1.0
 */
export function inv(a: Operand): Tensor {
  checkArity('inv', arguments.length, 1, 'inv(a)');
  return bind(invP, [asTensor('inv', a)], undefined);
}

const determinantShape = (op: string) => (args: ReadonlyArray<AbstractValue>): AbstractValue => {
  squareSize(op, 'a', args[0]!);
  return { shape: freeze(args[0]!.shape.slice(0, -2)), dtype: args[0]!.dtype };
};

export const detP: Rule<void> = rule<void>({
  batch: 'leading',
  name: 'det',
  examples: SQUARE_EXAMPLES,
  shape: determinantShape('det'),
  impl: ([a], _p, out) => (checkFiniteMatrices('det', a!), detKernel(a!, out.dtype)),
  // d det A = det A · tr(A⁻¹ dA); Ā = c̄ det A · A⁻ᵀ (Giles 2008, §2.2.2). Through A⁻¹, so at a
  // singular A (where det is 0 but its derivative, the cofactor matrix, need not be) the rule
  // throws SINGULAR_MATRIX rather than return a NaN.
  jvp: ([a], [aDot], ans) => derivativeThroughInverse('det', () => mul(ans, traceOfSolve(a!, aDot as Tensor))),
  vjp: (ct, [a], ans) => derivativeThroughInverse('det', () => [mul(asMatrixScale(mul(ct, ans)), invTranspose(a!))]),
});

/**
 * The determinant of each matrix in the last two axes (shape `[...]`, the input's dtype), from an LU
 * factorization: 0 for a singular matrix, 1 for a 0 x 0 one; it can overflow for large matrices,
 * where `slogdet` does not. Derivative (Giles 2008): d det A = det A · tr(A⁻¹ dA); at a singular
 * matrix the derivative throws `SINGULAR_MATRIX`.
 *
 * Throws `SHAPE_MISMATCH` (not square).
 * @example
 * import { det, grad, tensor, toArray } from 'adjoint'
 * const a = tensor([[2, 1], [1, 3]])
 * assert.ok(Math.abs(toArray(det(a)) - 5) < 1e-12)
 * assert.deepEqual(toArray(grad(det)(a)).flat().map(Math.round), [3, -1, -1, 2])
 * @category linear algebra
 * @since 0.1.0
 */
export function det(a: Operand): Tensor {
  checkArity('det', arguments.length, 1, 'det(a)');
  return bind(detP, [asTensor('det', a)], undefined);
}

export const slogdetP: MultiRule<void> = {
  batch: (args, dims, params, size) => batchLeadingMulti(slogdetP as MultiPrimitive<unknown>, args, dims, params, size),
  name: 'slogdet',
  multipleResults: true,
  examples: SQUARE_EXAMPLES,
  shape: (args) => {
    const out = determinantShape('slogdet')(args);
    return [out, out];
  },
  impl: ([a], _p, outs) => (checkFiniteMatrices('slogdet', a!), slogdetKernel(a!, outs[0]!.dtype)),
  // sign is piecewise constant: its derivative is 0 (undefined where det crosses 0).
  // d log|det A| = tr(A⁻¹ dA); Ā = c̄ A⁻ᵀ (Giles 2008, §2.2.2); SINGULAR_MATRIX at a singular A.
  jvp: ([a], [aDot]) => derivativeThroughInverse('slogdet', () => [Zero, traceOfSolve(a!, aDot as Tensor)]),
  vjp: ([, ct], [a]) => derivativeThroughInverse('slogdet', () => [isZero(ct) ? Zero : mul(asMatrixScale(ct!), invTranspose(a!))]),
};

/**
 * `[sign, logAbsDet]` of each matrix in the last two axes (each of shape `[...]`, the input's
 * dtype), with det = sign · exp(logAbsDet), without the overflow of `det`. A singular matrix gives `[0, -Infinity]`, as NumPy.
 *
 * Derivatives (Giles 2008): d logAbsDet = tr(A⁻¹ dA), so the gradient of `logAbsDet` is `inv(a)ᵀ`;
 * `sign` has derivative 0. At a singular matrix the derivative throws `SINGULAR_MATRIX`.
 *
 * Throws `SHAPE_MISMATCH` (not square).
 * @example
 * import { slogdet, tensor, toArray } from 'adjoint'
 * const [sign, logAbsDet] = slogdet(tensor([[0, 2], [3, 0]]))
 * assert.equal(toArray(sign), -1)
 * assert.ok(Math.abs(toArray(logAbsDet) - Math.log(6)) < 1e-12)
 * @category linear algebra
 * @since 0.1.0
 */
export function slogdet(a: Operand): readonly [sign: Tensor, logAbsDet: Tensor] {
  checkArity('slogdet', arguments.length, 1, 'slogdet(a)');
  const [sign, logAbsDet] = bindMulti(slogdetP, [asTensor('slogdet', a)], undefined);
  return Object.freeze([sign!, logAbsDet!] as const);
}

// ---- Cholesky ------------------------------------------------------------------------------------

/** Φ's weights: 1 below the diagonal, 1/2 on it, 0 above (Φ(X) = the lower triangle with half its diagonal). */
function phiWeights(n: number, dtype: Tensor['dtype']): Tensor {
  const w = allocate(dtype, n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) w[i * n + j] = 1;
    w[i * n + i] = 0.5;
  }
  return fromData(freeze([n, n]), dtype, w);
}

const lowerLeft = (transposeA: boolean): TriangularParams => ({ lower: true, transposeA, leftSide: true });
const lowerRight = (transposeA: boolean): TriangularParams => ({ lower: true, transposeA, leftSide: false });

export const choleskyP: Rule<void> = rule<void>({
  batch: 'leading',
  name: 'cholesky',
  examples: [
    { args: [{ shape: [3, 3], domain: 'spd' }], params: undefined },
    { args: [{ shape: [2, 3, 3], domain: 'spd' }], params: undefined },
  ],
  shape: ([a]) => {
    squareSize('cholesky', 'a', a!);
    return a!;
  },
  impl: ([a], _p, out) => (checkFiniteMatrices('cholesky', a!), choleskyKernel('cholesky', a!, out.dtype)),
  // Murray 2016, with S = sym(dA) since the kernel factors sym(A): dL = L Φ(L⁻¹ S L⁻ᵀ)
  jvp: (_primals, [aDot], l) => {
    const x = bind(triangularSolveP, [l, symmetrizeOp(aDot as Tensor)], lowerLeft(false)); // L⁻¹ S
    const y = bind(triangularSolveP, [l, x], lowerRight(true)); // L⁻¹ S L⁻ᵀ
    return mm(l, mul(y, phiWeights(l.shape[l.ndim - 1]!, y.dtype)));
  },
  // the transpose of the jvp: Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹) (Φ is a mask, so its own transpose)
  vjp: (ct, _primals, l) => {
    const p = mul(mm(l, ct, true, false), phiWeights(l.shape[l.ndim - 1]!, ct.dtype));
    const x = bind(triangularSolveP, [l, p], lowerLeft(true)); // L⁻ᵀ P
    return [symmetrizeOp(bind(triangularSolveP, [l, x], lowerRight(false)))]; // L⁻ᵀ P L⁻¹
  },
});

/**
 * The Cholesky factor of each matrix in the last two axes: lower-triangular `L` with positive
 * diagonal and `a = L Lᵀ`, in the input's dtype (float32 or float64, computed in float64). The
 * input is symmetrized first, `(a + aᵀ) / 2` (as JAX does), so the
 * result and its derivative are defined for every direction, and the gradient is symmetric.
 *
 * Derivative (Murray 2016): dL = L Φ(L⁻¹ sym(dA) L⁻ᵀ), Φ taking the lower triangle and half the diagonal.
 *
 * Throws `SHAPE_MISMATCH` (not square) and `NOT_POSITIVE_DEFINITE` (a pivot that is not positive).
 * @example
 * import { cholesky, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(cholesky(tensor([[4, 2], [2, 2]]))), [[2, 0], [1, 1]])
 * @category linear algebra
 * @since 0.1.0
 */
export function cholesky(a: Operand): Tensor {
  checkArity('cholesky', arguments.length, 1, 'cholesky(a)');
  return bind(choleskyP, [asTensor('cholesky', a)], undefined);
}
