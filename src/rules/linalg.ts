/**
 * Linear algebra: `matmul` with NumPy semantics (1-d operands get a dimension added and removed,
 * leading batch dimensions broadcast), `dot` and `outer`. The primitive takes transpose flags so the
 * reverse rule multiplies by transposed operands through strides, without copying them: a matmul's
 * backward pass costs two matmuls and nothing else.
 *
 * @since 0.1.0
 */
import { alignFront, laneRank, moveAxis } from '../core/batching.js';
import { engineOps } from '../core/engineOps.js';
import { checkArity } from '../core/args.js';
import { asTensor } from '../core/creation.js';
import { formatShape, ShapeError } from '../core/errors.js';
import { gemm, promote } from '../core/kernels.js';
import { bind } from '../core/primitive.js';
import { broadcastShapes, type Shape, sizeOf, stridesOf } from '../core/shape.js';
import { allocate, dataOf, fromData, type Tensor } from '../core/Tensor.js';
import { isZero, Zero } from '../core/zero.js';
import { addTangents, rule } from './combinators.js';
import type { Rule } from '../core/rule.js';
import { mul, type Operand } from './elementwise.js';
import { reshape } from './structure.js';

/** `transposeA` reads A's last two axes swapped (and likewise B). */
export interface MatmulParams {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

const matrixDims = (s: Shape, transposed: boolean): [number, number] => {
  const r = s[s.length - 2]!;
  const c = s[s.length - 1]!;
  return transposed ? [c, r] : [r, c];
};

export const matmulP: Rule<MatmulParams> = rule<MatmulParams>({
  name: 'matmul',
  batch: (args, dims, p) => batchMatmul(args[0]!, dims[0], args[1]!, dims[1], p),
  examples: [
    { args: [{ shape: [2, 3] }, { shape: [3, 4] }], params: { transposeA: false, transposeB: false } },
    { args: [{ shape: [3, 2] }, { shape: [3, 4] }], params: { transposeA: true, transposeB: false } },
    { args: [{ shape: [2, 3] }, { shape: [4, 3] }], params: { transposeA: false, transposeB: true } },
    { args: [{ shape: [3, 2] }, { shape: [4, 3] }], params: { transposeA: true, transposeB: true } },
    { args: [{ shape: [2, 1, 2, 3] }, { shape: [3, 3, 2] }], params: { transposeA: false, transposeB: false } },
    // a batch of lower rank that is also size 1, on either side
    { args: [{ shape: [1, 2, 3] }, { shape: [2, 3, 3, 2] }], params: { transposeA: false, transposeB: false } },
    { args: [{ shape: [2, 3, 3, 1, 2] }, { shape: [3, 1, 2, 2] }], params: { transposeA: false, transposeB: true } },
    // matrix-vector products (a column), plain and transposed: under vmap with only the column
    // batched, the lanes become the rows of one matrix product
    { args: [{ shape: [2, 3] }, { shape: [3, 1] }], params: { transposeA: false, transposeB: false } },
    { args: [{ shape: [3, 2] }, { shape: [3, 1] }], params: { transposeA: true, transposeB: false } },
  ],
  shape: ([a, b], p) => {
    const [m, k] = matrixDims(a!.shape, p.transposeA);
    const [k2, n] = matrixDims(b!.shape, p.transposeB);
    if (k !== k2) {
      throw new ShapeError(
        'MATMUL_INNER_MISMATCH',
        'matmul',
        `inner dimensions differ: ${formatShape(a!.shape)} @ ${formatShape(b!.shape)} contracts ${k} with ${k2}; ` +
          'the last axis of the first operand must equal the second-to-last of the second (transpose one of them?)',
      );
    }
    const batch = broadcastShapes('matmul', a!.shape.slice(0, -2), b!.shape.slice(0, -2));
    return { shape: Object.freeze([...batch, m, n]), dtype: promote(a!.dtype, b!.dtype) };
  },
  impl: ([a, b], p, out) => matmulKernel(a!, b!, p, out.shape, out.dtype),
  // d (AB) = dA B + A dB
  jvp: ([a, b], [aDot, bDot], _ans, p) =>
    addTangents(isZero(aDot) ? Zero : bind(matmulP, [aDot!, b!], p), isZero(bDot) ? Zero : bind(matmulP, [a!, bDot!], p)),
  // Ā = C̄ Bᵀ, B̄ = Aᵀ C̄, with the flags folded in so no operand is copied
  vjp: (ct, [a, b], _ans, { transposeA: tA, transposeB: tB }, wants) => [
    !wants[0] ? Zero : tA ? bind(matmulP, [b!, ct], { transposeA: tB, transposeB: true }) : bind(matmulP, [ct, b!], { transposeA: false, transposeB: !tB }),
    !wants[1] ? Zero : tB ? bind(matmulP, [ct, a!], { transposeA: true, transposeB: tA }) : bind(matmulP, [a!, ct], { transposeA: !tA, transposeB: false }),
  ],
});

/**
 * matmul under vmap. When one operand is a plain matrix the same for every lane, the lanes fold
 * into the other operand's rows (A batched: `[B·m, k] @ [k, n]`) or columns (B batched:
 * `[m, k] @ [k, B·n]`), so the batch is one large product instead of `B` small ones (a Jacobian's
 * or Hessian's lanes are matrix-vector products that become one matrix product). Otherwise the
 * lanes go first and the product broadcasts over them.
 */
function batchMatmul(a: Tensor, da: number | undefined, b: Tensor, db: number | undefined, p: MatmulParams): readonly [Tensor, number] {
  const { reshape } = engineOps();
  if (db === undefined && a.ndim - 1 === 2 && b.ndim === 2 && !p.transposeA) {
    const af = moveAxis(a, da!, 0);
    const [lanes, m, k] = af.shape as [number, number, number];
    const prod = bind(matmulP, [reshape(af, [lanes * m, k]), b], p);
    return [reshape(prod, [lanes, m, prod.shape[1]!]), 0];
  }
  if (da === undefined && b.ndim - 1 === 2 && a.ndim === 2 && !p.transposeB && b.shape[db === 0 ? 2 : db === 1 ? 2 : 1] === 1) {
    // each lane is a matrix-vector product: the lanes' vectors are the rows of [B, k], and
    // [B, k] @ Aᵀ gives every lane's result as a row, with no copy (the flag transposes A)
    const bf = moveAxis(b, db!, 0);
    const [lanes, k] = bf.shape as [number, number, number];
    const prod = bind(matmulP, [reshape(bf, [lanes, k]), a], { transposeA: false, transposeB: !p.transposeA });
    return [reshape(prod, [lanes, prod.shape[1]!, 1]), 0];
  }
  if (da === undefined && b.ndim - 1 === 2 && a.ndim === 2 && !p.transposeB) {
    // lanes after the contracted axis: [k, B, n] -> [k, B·n]
    const bf = moveAxis(b, db!, 1);
    const [k, lanes, n] = bf.shape as [number, number, number];
    const prod = bind(matmulP, [a, reshape(bf, [k, lanes * n])], p);
    return [moveAxis(reshape(prod, [prod.shape[0]!, lanes, n]), 1, 0), 0];
  }
  const rank = Math.max(laneRank(a, da), laneRank(b, db));
  return [bind(matmulP, [alignFront(a, da, rank), alignFront(b, db, rank)], p), 0];
}

function matmulKernel(a: Tensor, b: Tensor, p: MatmulParams, outShape: Shape, dtype: Tensor['dtype']): Tensor {
  const [m, k] = matrixDims(a.shape, p.transposeA);
  const n = outShape[outShape.length - 1]!;
  const batchShape = outShape.slice(0, -2);
  const batches = sizeOf(batchShape);
  const out = allocate(dtype, sizeOf(outShape));
  if (out.length === 0) return fromData(outShape, dtype, out);
  const aData = dataOf(a);
  const bData = dataOf(b);
  const aRows = a.shape[a.ndim - 2]!;
  const aCols = a.shape[a.ndim - 1]!;
  const bRows = b.shape[b.ndim - 2]!;
  const bCols = b.shape[b.ndim - 1]!;
  // strides of each operand's batch axes as seen from the output batch (0 where broadcast)
  const batchStrides = (s: Shape, matrixSize: number): number[] => {
    const own = s.slice(0, -2);
    const st = stridesOf(own).map((v) => v * matrixSize);
    return batchShape.map((d, i) => {
      const j = i - (batchShape.length - own.length);
      return j < 0 || own[j] === 1 ? 0 : st[j]!;
    });
  };
  const aBatch = batchStrides(a.shape, aRows * aCols);
  const bBatch = batchStrides(b.shape, bRows * bCols);
  const outBatch = stridesOf(batchShape);
  const [aRow, aCol] = p.transposeA ? [1, aCols] : [aCols, 1];
  const [bRow, bCol] = p.transposeB ? [1, bCols] : [bCols, 1];
  for (let t = 0; t < batches; t++) {
    let aOff = 0;
    let bOff = 0;
    let rem = t;
    for (let d = 0; d < batchShape.length; d++) {
      const i = Math.floor(rem / outBatch[d]!);
      rem -= i * outBatch[d]!;
      aOff += i * aBatch[d]!;
      bOff += i * bBatch[d]!;
    }
    gemm(m, n, k, aData, aOff, aRow, aCol, bData, bOff, bRow, bCol, out, t * m * n);
  }
  return fromData(outShape, dtype, out);
}

/**
 * Matrix product with NumPy semantics: 1-d operands are treated as a row (first) or column (second)
 * vector and that dimension is removed from the result; leading batch dimensions broadcast.
 * @example
 * import { matmul, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]]))), [[17], [39]])
 * assert.equal(toArray(matmul(tensor([1, 2]), tensor([3, 4]))), 11)
 * @category linear algebra
 * @since 0.1.0
 */
export function matmul(x: Operand, y: Operand): Tensor {
  checkArity('matmul', arguments.length, 2, 'matmul(x, y)');
  return matmulOf(x, y);
}

function matmulOf(x: Operand, y: Operand): Tensor {
  const a = asTensor('matmul', x);
  const b = asTensor('matmul', y);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      'matmul',
      `operands of shape ${formatShape(a.shape)} and ${formatShape(b.shape)}: matmul needs at least 1-d operands; use mul to scale by a scalar`,
    );
  }
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  if (a.ndim === 1 && b.ndim === 1 && a.shape[0] !== b.shape[0]) {
    throw new ShapeError('MATMUL_INNER_MISMATCH', 'matmul', `vectors of shape ${formatShape(a.shape)} and ${formatShape(b.shape)} have different lengths; an inner product needs equal lengths`);
  }
  const c = bind(matmulP, [a2, b2], { transposeA: false, transposeB: false });
  if (a.ndim > 1 && b.ndim > 1) return c;
  const shape = c.shape.slice();
  // drop the row axis a 1-d left operand got, then the column axis of a 1-d right operand
  if (a.ndim === 1) shape.splice(shape.length - 2, 1);
  if (b.ndim === 1) shape.pop();
  return reshape(c, shape);
}

/**
 * Inner product of two vectors (for matrices, the same as `matmul`).
 * @example
 * import { dot, tensor, toArray } from 'adjoint'
 * assert.equal(toArray(dot(tensor([1, 2, 3]), tensor([4, 5, 6]))), 32)
 * @category linear algebra
 * @since 0.1.0
 */
export function dot(x: Operand, y: Operand): Tensor {
  checkArity('dot', arguments.length, 2, 'dot(x, y)');
  return matmulOf(x, y);
}

/**
 * Outer product of two vectors (inputs are flattened): `out[i, j] = x[i] * y[j]`.
 * @example
 * import { outer, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(outer(tensor([1, 2]), tensor([3, 4]))), [[3, 4], [6, 8]])
 * @category linear algebra
 * @since 0.1.0
 */
export function outer(x: Operand, y: Operand): Tensor {
  checkArity('outer', arguments.length, 2, 'outer(x, y)');
  return mul(reshape(asTensor('outer', x), [-1, 1]), reshape(asTensor('outer', y), [1, -1]));
}

