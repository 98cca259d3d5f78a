/**
 * Matrix structure on the last two axes, batched over the leading ones: `diagonal`, its transpose
 * `diagEmbed` (internal), `trace`, `triu` and `tril`. Each is linear with 0/1 coefficients, so its
 * transpose is another row of this file and structural zeros pass through it (`maskKind: 'linear'`).
 * The decomposition rules (solve.ts, decompositions.ts) build their derivatives from these.
 *
 * Axes follow `numpy.linalg.diagonal` / `numpy.linalg.trace` (the array API): the last two axes,
 * not NumPy's older `axis1=0, axis2=1` default of `numpy.diagonal`.
 *
 * @since 0.1.0
 */
import { asTensor } from '../core/creation.js';
import { checkArity, parseInteger } from '../core/args.js';
import { formatShape, ShapeError } from '../core/errors.js';
import { bandKernel, diagEmbedKernel, diagonalKernel, diagonalLength, traceKernel } from '../core/linalgKernels.js';
import { type AbstractValue, bind } from '../core/primitive.js';
import type { Rule } from '../core/rule.js';
import { SCALAR_SHAPE, type Shape } from '../core/shape.js';
import type { Tensor } from '../core/Tensor.js';
import { rule } from './combinators.js';
import { add, mul, type Operand } from './elementwise.js';
import { broadcastTo, expandDims, transpose } from './structure.js';

const freeze = (s: ReadonlyArray<number>): Shape => (s.length === 0 ? SCALAR_SHAPE : Object.freeze([...s]));

/** Throws `SHAPE_MISMATCH` unless `x` has at least two axes; returns its last two sizes. */
export function matrixDims(op: string, param: string, x: AbstractValue): [number, number] {
  if (x.shape.length < 2) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      op,
      `${param} has shape ${formatShape(x.shape)}; ${op} works on matrices in the last two axes, so it needs at least 2 axes (reshape a vector to [n, 1] or [1, n])`,
    );
  }
  return [x.shape[x.shape.length - 2]!, x.shape[x.shape.length - 1]!];
}

/** Throws `SHAPE_MISMATCH` unless the last two axes of `x` are equal; returns their size. */
export function squareSize(op: string, param: string, x: AbstractValue): number {
  const [n, m] = matrixDims(op, param, x);
  if (n !== m) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      op,
      `${param} has shape ${formatShape(x.shape)}, which is not square in its last two axes (${n} x ${m}); ${op} needs square matrices (or a batch of them)`,
    );
  }
  return n;
}

/** Swaps the last two axes: the matrix transpose of every matrix in a batch. */
export function matrixTranspose(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.ndim - 2] = x.ndim - 1;
  perm[x.ndim - 1] = x.ndim - 2;
  return transpose(x, perm);
}

/** (X + Xᵀ) / 2 on the last two axes. */
export function symmetrizeOp(x: Tensor): Tensor {
  return mul(add(x, matrixTranspose(x)), 0.5);
}

// ---- diagonal and its transpose ------------------------------------------------------------------

/** Which diagonal: 0 the main one, k > 0 above it, k < 0 below. */
export interface DiagonalParams {
  readonly offset: number;
}

export const diagonalP: Rule<DiagonalParams> = rule<DiagonalParams>({
  batch: 'leading',
  name: 'diagonal',
  maskKind: 'linear',
  examples: [
    { args: [{ shape: [3, 4] }], params: { offset: 0 } },
    { args: [{ shape: [2, 3, 3] }], params: { offset: 1 } },
    { args: [{ shape: [3, 2] }], params: { offset: -1 } },
  ],
  shape: ([x], p) => {
    const [n, m] = matrixDims('diagonal', 'x', x!);
    return { shape: freeze([...x!.shape.slice(0, -2), diagonalLength(n, m, p.offset)]), dtype: x!.dtype };
  },
  impl: ([x], p, out) => diagonalKernel(x!, p.offset, out.shape, out.dtype),
  jvp: (_primals, [xDot], _ans, p) => bind(diagonalP, [xDot as Tensor], p), // linear
  vjp: (ct, [x], _ans, p) => [bind(diagEmbedP, [ct], { offset: p.offset, rows: x!.shape[x!.ndim - 2]!, cols: x!.shape[x!.ndim - 1]! })],
});

/** `diagEmbed`'s output matrix size and the diagonal it fills. */
export interface DiagEmbedParams extends DiagonalParams {
  readonly rows: number;
  readonly cols: number;
}

// The transpose of diagonal: [..., k] onto the offset diagonal of zero [..., rows, cols] matrices.
export const diagEmbedP: Rule<DiagEmbedParams> = rule<DiagEmbedParams>({
  batch: 'leading',
  name: 'diagEmbed',
  maskKind: 'linear',
  examples: [
    { args: [{ shape: [3] }], params: { offset: 0, rows: 3, cols: 4 } },
    { args: [{ shape: [2, 2] }], params: { offset: -1, rows: 3, cols: 3 } },
  ],
  shape: ([x], p) => {
    const k = diagonalLength(p.rows, p.cols, p.offset);
    if (x!.shape.length < 1 || x!.shape[x!.shape.length - 1] !== k) {
      throw new ShapeError('SHAPE_MISMATCH', 'diagEmbed', `x has shape ${formatShape(x!.shape)}, but diagonal ${p.offset} of a ${p.rows} x ${p.cols} matrix has ${k} entries`);
    }
    return { shape: freeze([...x!.shape.slice(0, -1), p.rows, p.cols]), dtype: x!.dtype };
  },
  impl: ([x], p, out) => diagEmbedKernel(x!, p.offset, out.shape, out.dtype),
  jvp: (_primals, [xDot], _ans, p) => bind(diagEmbedP, [xDot as Tensor], p), // linear
  vjp: (ct, _primals, _ans, p) => [bind(diagonalP, [ct], { offset: p.offset })],
});

/** Places `x` [..., k] on the main diagonal of zero [..., k, k] matrices (internal: the rules' `diag(x)`). */
export function diagEmbed(x: Tensor): Tensor {
  const k = x.shape[x.ndim - 1]!;
  return bind(diagEmbedP, [x], { offset: 0, rows: k, cols: k });
}

/**
 * The diagonal of each matrix in the last two axes: `x[..., i, i + offset]`, shape `[..., k]`
 * (`offset` > 0 above the main diagonal, < 0 below), as `numpy.linalg.diagonal`. Linear; its
 * derivative places the cotangent back on that diagonal. Any dtype (the result keeps it). Throws
 * `SHAPE_MISMATCH` for fewer than two axes and `INVALID_ARGUMENT` for a non-integer offset.
 * @example
 * import { diagonal, tensor, toArray } from 'adjoint'
 * const x = tensor([[1, 2, 3], [4, 5, 6]])
 * assert.deepEqual(toArray(diagonal(x)), [1, 5])
 * assert.deepEqual(toArray(diagonal(x, 1)), [2, 6])
 * @category linear algebra
 * @since 0.1.0
 */
export function diagonal(x: Operand, offset = 0): Tensor {
  checkArity('diagonal', arguments.length, 2, 'diagonal(x, offset?)');
  const t = asTensor('diagonal', x);
  return bind(diagonalP, [t], { offset: parseInteger('diagonal', 'offset', offset) });
}

// ---- trace ---------------------------------------------------------------------------------------

export const traceP: Rule<DiagonalParams> = rule<DiagonalParams>({
  batch: 'leading',
  name: 'trace',
  maskKind: 'linear',
  examples: [
    { args: [{ shape: [3, 3] }], params: { offset: 0 } },
    { args: [{ shape: [2, 3, 4] }], params: { offset: -1 } },
  ],
  shape: ([x], _p) => {
    matrixDims('trace', 'x', x!);
    return { shape: freeze(x!.shape.slice(0, -2)), dtype: x!.dtype };
  },
  impl: ([x], p, out) => traceKernel(x!, p.offset, out.shape, out.dtype),
  jvp: (_primals, [xDot], _ans, p) => bind(traceP, [xDot as Tensor], p), // linear
  // x̄ = c̄ I (on the offset diagonal)
  vjp: (ct, [x], _ans, p) => {
    const rows = x!.shape[x!.ndim - 2]!;
    const cols = x!.shape[x!.ndim - 1]!;
    const k = diagonalLength(rows, cols, p.offset);
    const onDiagonal = broadcastTo(expandDims(ct, -1), [...ct.shape, k]);
    return [bind(diagEmbedP, [onDiagonal], { offset: p.offset, rows, cols })];
  },
});

/**
 * Sum of the diagonal of each matrix in the last two axes (`offset` as in `diagonal`), as
 * `numpy.linalg.trace`: shape `[...]`, x's dtype. Linear: d tr(X) = tr(dX), and its gradient is the
 * identity. Throws `SHAPE_MISMATCH` (fewer than two axes), `INVALID_ARGUMENT` (non-integer offset).
 * @example
 * import { trace, grad, tensor, toArray } from 'adjoint'
 * const x = tensor([[1, 2], [3, 4]])
 * assert.equal(toArray(trace(x)), 5)
 * assert.deepEqual(toArray(grad(trace)(x)), [[1, 0], [0, 1]])
 * @category linear algebra
 * @since 0.1.0
 */
export function trace(x: Operand, offset = 0): Tensor {
  checkArity('trace', arguments.length, 2, 'trace(x, offset?)');
  const t = asTensor('trace', x);
  return bind(traceP, [t], { offset: parseInteger('trace', 'offset', offset) });
}

// ---- triangles -----------------------------------------------------------------------------------

/** The diagonal bounding the kept triangle (as `offset`). */
export interface BandParams {
  readonly k: number;
}

const BAND_EXAMPLES = [
  { args: [{ shape: [3, 4] }], params: { k: 0 } },
  { args: [{ shape: [2, 3, 3] }], params: { k: 1 } },
  { args: [{ shape: [4, 3] }], params: { k: -1 } },
];

function band(name: string, upper: boolean, self: () => Rule<BandParams>): Rule<BandParams> {
  return rule<BandParams>({
    batch: 'leading',
    name,
    maskKind: 'linear',
    examples: BAND_EXAMPLES,
    shape: ([x]) => {
      matrixDims(name, 'x', x!);
      return x!;
    },
    impl: ([x], p, out) => bandKernel(x!, p.k, upper, out.dtype),
    // a 0/1 mask: the op is its own transpose
    jvp: (_primals, [xDot], _ans, p) => bind(self(), [xDot as Tensor], p),
    vjp: (ct, _primals, _ans, p) => [bind(self(), [ct], p)],
  });
}

export const triuP: Rule<BandParams> = band('triu', true, () => triuP);
export const trilP: Rule<BandParams> = band('tril', false, () => trilP);

/**
 * The upper triangle of each matrix in the last two axes: entries with `j - i >= k` kept, the rest
 * zero (NumPy's `triu`), x's dtype. Linear; its gradient is the same mask. Throws `SHAPE_MISMATCH`
 * (fewer than two axes), `INVALID_ARGUMENT` (non-integer k).
 * @example
 * import { triu, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(triu(tensor([[1, 2], [3, 4]]))), [[1, 2], [0, 4]])
 * assert.deepEqual(toArray(triu(tensor([[1, 2], [3, 4]]), 1)), [[0, 2], [0, 0]])
 * @category linear algebra
 * @since 0.1.0
 */
export function triu(x: Operand, k = 0): Tensor {
  checkArity('triu', arguments.length, 2, 'triu(x, k?)');
  return bind(triuP, [asTensor('triu', x)], { k: parseInteger('triu', 'k', k) });
}

/**
 * The lower triangle of each matrix in the last two axes: entries with `j - i <= k` kept, the rest
 * zero (NumPy's `tril`), x's dtype. Linear; its gradient is the same mask. Throws `SHAPE_MISMATCH`
 * (fewer than two axes), `INVALID_ARGUMENT` (non-integer k).
 * @example
 * import { tril, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(tril(tensor([[1, 2], [3, 4]]))), [[1, 0], [3, 4]])
 * assert.deepEqual(toArray(tril(tensor([[1, 2], [3, 4]]), -1)), [[0, 0], [3, 0]])
 * @category linear algebra
 * @since 0.1.0
 */
export function tril(x: Operand, k = 0): Tensor {
  checkArity('tril', arguments.length, 2, 'tril(x, k?)');
  return bind(trilP, [asTensor('tril', x)], { k: parseInteger('tril', 'k', k) });
}
