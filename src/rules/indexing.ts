/**
 * Indexing: `takeAlongAxis` (also exported under PyTorch's name, `gather`) and its transpose
 * `scatterAlongAxis`, functional indexed updates `at(x, indices).set(v)` / `.add(v)` / `.get()`
 * (JAX's `x.at[...]`), and `oneHot`. Every update returns a new tensor; nothing is written in place.
 *
 * Indices are integer-valued numbers, arrays or tensors (tensors hold floats), negative ones counting
 * from the end; concrete indices are checked (`INDEX_OUT_OF_RANGE`), as `take` does. On repeated
 * indices `.add` accumulates and `.set` keeps the last value written (in index order), whose
 * position is the only one that receives a gradient.
 *
 * @since 0.1.0
 */
import { arange, asTensor } from '../core/creation.js';
import { ArgumentError, formatShape, IndexError, ShapeError } from '../core/errors.js';
import { checkArity, checkSize, invalidArgument, parseAxis, parseAxisArguments, parseDType, parseInteger } from '../core/args.js';
import { bind } from '../core/primitive.js';
import type { Rule } from '../core/rule.js';
import { type Shape, sizeOf } from '../core/shape.js';
import { allocate, dataOf, type DType, fromData, isConcrete, makeScalar, scalarOf, Tensor } from '../core/Tensor.js';
import { isZero, Zero } from '../core/zero.js';
import { zerosLike } from '../core/creation.js';
import { batchedFront, toFront as toFrontIndices } from '../core/batching.js';
import { argumentValues, describeLanes } from '../core/BatchTrace.js';
import { rule } from './combinators.js';
import { add, astype, equal, mul, type Operand } from './elementwise.js';
import { broadcastTo, expandDims, indexValues, parseIndices, reshape, scatterAddP, stack, take, takeP } from './structure.js';

const freeze = (s: ReadonlyArray<number>): Shape => Object.freeze([...s]);

// ---- takeAlongAxis and scatterAlongAxis ----------------------------------------------------------

export interface AlongAxisParams {
  readonly axis: number;
}

/** Outer size, the lengths along the axis, inner size: the three loops both kernels share. */
function loops(shape: Shape, axis: number): [number, number] {
  return [sizeOf(shape.slice(0, axis)), sizeOf(shape.slice(axis + 1))];
}

export const takeAlongAxisP: Rule<AlongAxisParams> = rule<AlongAxisParams>({
  name: 'takeAlongAxis',
  maskKind: 'linear',
  // lanes first on both operands (indices repeated when unbatched), the axis one further
  batch: (args, dims, p, size) => [bind(takeAlongAxisP, [batchedFront(args[0]!, dims[0], size), batchedFront(args[1]!, dims[1], size)], { axis: p.axis + 1 }), 0],
  examples: [
    { args: [{ shape: [3, 4] }, { shape: [3, 2], values: [0, 3, 1, 1, -1, 2], constant: true }], params: { axis: 1 } },
    { args: [{ shape: [3, 2] }, { shape: [4, 2], values: [0, 2, 1, 1, 2, 0, 0, 0], constant: true }], params: { axis: 0 } },
  ],
  shape: ([x, ind], p) => ({ shape: ind!.shape, dtype: x!.dtype }),
  impl: ([x, ind], p, out) => {
    const dim = x!.shape[p.axis]!;
    const idx = indexValues('takeAlongAxis', ind!, dim, p.axis, x!.shape);
    const [outer, inner] = loops(out.shape, p.axis);
    const k = out.shape[p.axis]!;
    const src = dataOf(x!);
    const data = allocate(out.dtype, sizeOf(out.shape));
    for (let a = 0; a < outer; a++) {
      for (let j = 0; j < k; j++) {
        for (let i = 0; i < inner; i++) {
          const o = (a * k + j) * inner + i;
          data[o] = src[(a * dim + idx[o]!) * inner + i]!;
        }
      }
    }
    return fromData(out.shape, out.dtype, data);
  },
  jvp: ([, ind], [xDot], _ans, p) => (isZero(xDot) ? Zero : bind(takeAlongAxisP, [xDot!, ind!], p)),
  vjp: (ct, [x, ind], _ans, p) => [bind(scatterAlongAxisP, [ct, ind!], { axis: p.axis, size: x!.shape[p.axis]! }), Zero],
});

export interface ScatterAlongAxisParams {
  readonly axis: number;
  readonly size: number;
}

// The transpose of takeAlongAxis: each value is added into the slot its index names (repeats sum).
export const scatterAlongAxisP: Rule<ScatterAlongAxisParams> = rule<ScatterAlongAxisParams>({
  name: 'scatterAlongAxis',
  maskKind: 'linear',
  batch: (args, dims, p, size) => [bind(scatterAlongAxisP, [batchedFront(args[0]!, dims[0], size), batchedFront(args[1]!, dims[1], size)], { axis: p.axis + 1, size: p.size }), 0],
  examples: [{ args: [{ shape: [3, 2] }, { shape: [3, 2], values: [0, 0, 3, 1, 2, 2], constant: true }], params: { axis: 1, size: 4 } }],
  shape: ([v, ind], p) => ({ shape: freeze(ind!.shape.map((d, i) => (i === p.axis ? p.size : d))), dtype: v!.dtype }),
  impl: ([v, ind], p, out) => {
    const dim = p.size;
    const idx = indexValues('scatterAlongAxis', ind!, dim, p.axis, out.shape);
    const [outer, inner] = loops(v!.shape, p.axis);
    const k = v!.shape[p.axis]!;
    const src = dataOf(v!);
    const data = allocate(out.dtype, sizeOf(out.shape));
    for (let a = 0; a < outer; a++) {
      for (let j = 0; j < k; j++) {
        for (let i = 0; i < inner; i++) {
          const s = (a * k + j) * inner + i;
          const o = (a * dim + idx[s]!) * inner + i;
          data[o] = data[o]! + src[s]!;
        }
      }
    }
    return fromData(out.shape, out.dtype, data);
  },
  jvp: ([, ind], [vDot], _ans, p) => (isZero(vDot) ? Zero : bind(scatterAlongAxisP, [vDot!, ind!], p)),
  vjp: (ct, [, ind], _ans, p) => [bind(takeAlongAxisP, [ct, ind!], { axis: p.axis }), Zero],
});

/**
 * `out[..., j, ...] = x[..., indices[..., j, ...], ...]` along `axis` (NumPy's `take_along_axis`,
 * PyTorch's `gather`): `indices` has the rank of `x` and its sizes on every other axis; the result
 * has the shape of `indices`. Typical use: the entries picked by `argmax` or `topk` indices.
 * Its gradient adds each cotangent into the position it was taken from.
 *
 * Errors: `SHAPE_MISMATCH` when the shapes do not fit; `INDEX_OUT_OF_RANGE` for an index outside the axis.
 * @example
 * import { takeAlongAxis, tensor, toArray } from 'adjoint'
 * const x = tensor([[10, 20, 30], [40, 50, 60]])
 * assert.deepEqual(toArray(takeAlongAxis(x, tensor([[2], [0]]), 1)), [[30], [40]])
 * assert.deepEqual(toArray(takeAlongAxis(x, tensor([[1, 0, 1]]), 0)), [[40, 20, 60]])
 * @category indexing
 * @since 0.1.0
 */
export function takeAlongAxis(x: Operand, indices: IndexArgument, axis: number | { readonly axis: number }): Tensor {
  return alongAxis('takeAlongAxis', arguments.length, x, indices, axis);
}

function alongAxis(op: string, nargs: number, x: Operand, indices: IndexArgument, axis: unknown): Tensor {
  checkArity(op, nargs, 3, `${op}(x, indices, axis) or ${op}(x, indices, { axis })`);
  const t = asTensor(op, x);
  const ind = parseIndices(op, indices);
  const given = parseAxisArguments(op, axis, undefined, []).axis;
  if (given === undefined) invalidArgument(op, 'axis', given, `pass the axis to take along, an integer in [${-t.ndim}, ${t.ndim - 1}]`);
  const a = parseAxis(op, 'axis', given, t.ndim, t.shape);
  if (ind.ndim !== t.ndim || ind.shape.some((d, i) => i !== a && d !== t.shape[i])) {
    throw new ShapeError('SHAPE_MISMATCH', op, `indices of shape ${formatShape(ind.shape)} do not fit x of shape ${formatShape(t.shape)} along axis ${a}; indices must have the rank of x and its sizes on every other axis`);
  }
  if (isConcrete(ind)) indexValues(op, ind, t.shape[a]!, a, t.shape);
  return bind(takeAlongAxisP, [t, ind], { axis: a });
}

/**
 * PyTorch's name for `takeAlongAxis` (`torch.gather(x, dim, index)` has the same semantics):
 * `gather(x, indices, axis)`.
 * @example
 * import { gather, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(gather(tensor([[1, 2], [3, 4]]), tensor([[1], [0]]), 1)), [[2], [3]])
 * @category indexing
 * @since 0.1.0
 */
export function gather(x: Operand, indices: IndexArgument, axis: number | { readonly axis: number }): Tensor {
  return alongAxis('gather', arguments.length, x, indices, axis);
}

/**
 * Integer indices as `take`, `takeAlongAxis` and `at` accept them: a number, an array (nested for more
 * dimensions) or a tensor holding integer values; negative ones count from the end.
 *
 * @category indexing
 * @since 0.1.0
 */
export type IndexArgument = Tensor | number | ReadonlyArray<number> | ReadonlyArray<ReadonlyArray<number>>;

// ---- at: functional indexed updates --------------------------------------------------------------

export interface ScatterSetParams {
  readonly axis: number;
}

/** 1 where an index is the last occurrence of its value (the write `.set` keeps), else 0. No derivative. */
export const lastOccurrenceP: Rule<void> = rule<void>({
  name: 'lastOccurrence',
  batch: 'leading', // each row of the last axis on its own
  examples: [{ args: [{ shape: [3], values: [3, 1, 2] }], params: undefined }],
  shape: ([ind]) => ({ shape: ind!.shape, dtype: 'float64' }),
  impl: ([ind], _p, out) => {
    const src = ind!.ndim === 0 ? [scalarOf(ind!)] : dataOf(ind!);
    const n = ind!.ndim === 0 ? 1 : ind!.shape[ind!.ndim - 1]!;
    const data = new Float64Array(src.length);
    for (let row = 0; row < src.length; row += n) {
      const seen = new Set<number>();
      for (let i = row + n - 1; i >= row; i--) {
        if (!seen.has(src[i]!)) data[i] = 1;
        seen.add(src[i]!);
      }
    }
    return out.shape.length === 0 ? makeScalar(data[0]!, 'float64') : fromData(out.shape, 'float64', data);
  },
  jvp: () => Zero,
  vjp: () => [Zero],
});

/**
 * `x` with the slices `indices` (along `axis`) replaced by the rows of `v` (shape of `take(x,
 * indices, axis)`); on repeated indices the last write wins.
 */
export const scatterSetP: Rule<ScatterSetParams> = rule<ScatterSetParams>({
  name: 'scatterSet',
  maskKind: 'linear',
  batch: (args, dims, p, size) => {
    const [x, v] = [batchedFront(args[0]!, dims[0], size), batchedFront(args[1]!, dims[1], size)];
    const q = { axis: p.axis + 1 };
    // the same indices in every lane: one call; indices that differ by lane: one call per lane
    if (dims[2] === undefined) return [bind(scatterSetP, [x, v, args[2]!], q), 0];
    const ind = toFrontIndices(args[2]!, dims[2]);
    const lanes = Array.from({ length: size }, (_, l) => bind(scatterSetP, [take(x, l, 0), take(v, l, 0), take(ind, l, 0)], p));
    return [stack(lanes), 0];
  },
  examples: [
    { args: [{ shape: [4, 3] }, { shape: [3, 3] }, { shape: [3], values: [2, 0, 2], constant: true }], params: { axis: 0 } },
    { args: [{ shape: [2, 3] }, { shape: [2, 1] }, { shape: [1], values: [-1], constant: true }], params: { axis: 1 } },
  ],
  shape: ([x, v]) => ({ shape: x!.shape, dtype: x!.dtype === v!.dtype ? x!.dtype : 'float64' }),
  impl: ([x, v, ind], p, out) => {
    const dim = x!.shape[p.axis]!;
    const idx = indexValues('at.set', ind!, dim, p.axis, x!.shape);
    const [outer, inner] = loops(x!.shape, p.axis);
    const data = allocate(out.dtype, sizeOf(out.shape));
    data.set(dataOf(x!));
    const src = v!.size === 0 ? new Float64Array(0) : dataOf(v!);
    let s = 0;
    for (let a = 0; a < outer; a++) {
      for (let j = 0; j < idx.length; j++) {
        const base = (a * dim + idx[j]!) * inner;
        for (let i = 0; i < inner; i++) data[base + i] = src[s++]!;
      }
    }
    return out.shape.length === 0 ? makeScalar(data[0]!, out.dtype) : fromData(out.shape, out.dtype, data);
  },
  // d set(x, v) = set(dx, dv): linear in (x, v) together
  jvp: ([x, v, ind], [xDot, vDot], _ans, p) =>
    bind(scatterSetP, [isZero(xDot) ? zerosLike(x!) : xDot!, isZero(vDot) ? zerosLike(v!) : vDot!, ind!], p),
  vjp: (ct, [, v, ind], _ans, p, wants) => [
    // overwritten positions get nothing; every other one passes ct through
    wants[0] ? bind(scatterSetP, [ct, zerosLike(v!), ind!], p) : Zero,
    // each written value gets the cotangent at its slot, if it was the write that stayed
    wants[1] ? mul(bind(takeP, [ct, ind!], { axis: p.axis }), winnerMask(ind!, v!.shape, p.axis)) : Zero,
    Zero,
  ],
});

/** `lastOccurrence(indices)` shaped to broadcast against the taken rows (shape `vShape`). */
function winnerMask(ind: Tensor, vShape: Shape, axis: number): Tensor {
  const m = bind(lastOccurrenceP, [reshape(ind, [-1])], undefined);
  return reshape(m, vShape.map((d, i) => (i === axis ? d : 1)));
}

/**
 * The functional updates `at(x, indices, axis)` offers (JAX's `x.at[...]`); each returns a new tensor.
 *
 * @category indexing
 * @since 0.1.0
 */
export interface IndexedUpdate {
  /** `take(x, indices, axis)`. */
  get(): Tensor;
  /** `x` with the indexed slices replaced by `v` (broadcast to their shape); the last write wins on repeats. */
  set(v: Operand): Tensor;
  /** `x` with `v` added to the indexed slices; repeated indices accumulate. */
  add(v: Operand): Tensor;
}

/**
 * Functional indexed updates, as JAX's `x.at[indices]`: `at(x, indices).set(v)`, `.add(v)` and
 * `.get()` select slices of `x` along `axis` (default 0) by integer indices (a number, an array or a
 * tensor; negative ones count from the end) and return a new tensor; `x` is unchanged. `v` is
 * broadcast to the shape of the selected slices, `take(x, indices, axis).shape`. On repeated
 * indices `.add` accumulates and `.set` keeps the last value, which alone gets a gradient.
 *
 * Errors: `INDEX_OUT_OF_RANGE`; `AXIS_OUT_OF_RANGE`; `BROADCAST_INCOMPATIBLE` (from `at.set` or
 * `at.add`) when `v` does not broadcast to the selected slices' shape.
 * @example
 * import { at, tensor, toArray } from 'adjoint'
 * const x = tensor([1, 2, 3, 4])
 * assert.deepEqual(toArray(at(x, [0, 2]).set(0)), [0, 2, 0, 4])
 * assert.deepEqual(toArray(at(x, [1, 1, -1]).add(10)), [1, 22, 3, 14])
 * assert.deepEqual(toArray(at(tensor([[1, 2], [3, 4]]), 1, 1).set(tensor([7, 8]))), [[1, 7], [3, 8]])
 * assert.deepEqual(toArray(x), [1, 2, 3, 4])
 * @category indexing
 * @since 0.1.0
 */
export function at(x: Operand, indices: IndexArgument, axis: number | { readonly axis?: number } = 0): IndexedUpdate {
  const op = 'at';
  checkArity(op, arguments.length, 3, 'at(x, indices, axis?) or at(x, indices, { axis })');
  const t = asTensor(op, x);
  const ind = parseIndices(op, indices);
  const given = parseAxisArguments(op, axis, undefined, []).axis;
  const a = parseAxis(op, 'axis', given === undefined ? 0 : given, t.ndim, t.shape);
  if (isConcrete(ind)) indexValues(op, ind, t.shape[a]!, a, t.shape);
  const selected = freeze([...t.shape.slice(0, a), ...ind.shape, ...t.shape.slice(a + 1)]);
  // the update as one row of values per index: indices flattened to 1-d
  const flat = ind.ndim === 1 ? ind : reshape(ind, [ind.size]);
  const rows = (method: string, v: Operand): Tensor => {
    const values = asTensor(method, v, t.dtype);
    if (!broadcastsTo(values.shape, selected)) {
      throw new ShapeError(
        'BROADCAST_INCOMPATIBLE',
        method,
        `values of shape ${formatShape(values.shape)} do not fit the positions selected in x, of shape ${formatShape(selected)} ` +
          `(x has shape ${formatShape(t.shape)}, and indices of shape ${formatShape(ind.shape)} select along axis ${a}); ` +
          `pass values of shape ${formatShape(selected)}, or of a shape that broadcasts to it (a number, or size-1 dimensions)`,
      );
    }
    return reshape(broadcastTo(astypeLike(values, t), selected), [...t.shape.slice(0, a), ind.size, ...t.shape.slice(a + 1)]);
  };
  // each method refuses extra arguments, as every op does (`.set(v, i)` would drop `i`)
  return Object.freeze({
    get(): Tensor {
      checkArity('at.get', arguments.length, 0, 'at(x, indices, axis?).get()');
      return take(t, ind, a);
    },
    set(v: Operand): Tensor {
      checkArity('at.set', arguments.length, 1, 'at(x, indices, axis?).set(v)');
      return bind(scatterSetP, [t, rows('at.set', v), flat], { axis: a });
    },
    add(v: Operand): Tensor {
      checkArity('at.add', arguments.length, 1, 'at(x, indices, axis?).add(v)');
      return add(t, bind(scatterAddP, [rows('at.add', v), flat], { axis: a, size: t.shape[a]! }));
    },
  });
}

/** NumPy broadcasting of `from` to exactly `to` (aligned on the right; each dimension equal, or 1 in `from`). */
function broadcastsTo(from: Shape, to: Shape): boolean {
  if (from.length > to.length) return false;
  for (let i = 1; i <= from.length; i++) {
    const d = from[from.length - i]!;
    if (d !== 1 && d !== to[to.length - i]) return false;
  }
  return true;
}

const astypeLike = (v: Tensor, like: Tensor): Tensor => (v.dtype === like.dtype ? v : astype(v, like.dtype));

// ---- oneHot --------------------------------------------------------------------------------------

/**
 * @internal Class indices (oneHot's, and the integer labels of softmaxCrossEntropy) are integers in
 * `[0, classes)`: a non-integer is `INVALID_ARGUMENT` and an integer outside is `INDEX_OUT_OF_RANGE`,
 * as `take`'s indices (but with no negative ones: a class is not a position from the end). Traced
 * indices are checked too: under grad and jvp their primal values, under vmap every lane.
 */
export function checkClassIndices(op: string, what: 'index' | 'label', ind: Tensor, classes: number): void {
  const values = argumentValues(ind);
  if (values === undefined) return;
  const d = values.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (Number.isInteger(v) && v >= 0 && v < classes) continue;
    const { position, lanes } = values.locate(i);
    const at = `${what} ${v} at position ${position}${describeLanes(lanes)}`;
    if (!Number.isInteger(v)) throw new ArgumentError('INVALID_ARGUMENT', op, `${at} is not an integer; class ${what === 'index' ? 'indices' : 'labels'} are integers in [0, ${classes - 1}]`);
    throw new IndexError('INDEX_OUT_OF_RANGE', op, `${at} is not a class in [0, ${classes - 1}]`);
  }
}

/**
 * Options of `oneHot`.
 *
 * @category indexing
 * @since 0.1.0
 */
export interface OneHotOptions {
  /** Where the new class axis goes, in the result (default -1, the end). */
  readonly axis?: number;
  /** The result's dtype (default float64). */
  readonly dtype?: DType;
}

/**
 * One-hot encoding (`jax.nn.one_hot`): a new axis of size `numClasses` (at the end by default)
 * holding 1 at each index and 0 elsewhere. The axis is positional or an option:
 * `oneHot(i, 3, 0)`, `oneHot(i, 3, { axis: 0, dtype: 'float32' })`. Indices are integers in
 * `[0, numClasses)`; ones outside are `INDEX_OUT_OF_RANGE` (JAX would give a row of zeros),
 * fractional or NaN ones `INVALID_ARGUMENT`, also under a transform (every lane under vmap).
 * No derivative.
 *
 * Shapes: indices `[...]` → `[..., numClasses]`.
 * @example
 * import { oneHot, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(oneHot(tensor([2, 0]), 3)), [[0, 0, 1], [1, 0, 0]])
 * assert.deepEqual(toArray(oneHot([2, 0], 3, 0)), [[0, 1], [0, 0], [1, 0]])
 * assert.deepEqual(toArray(oneHot(tensor([2, 0]), 3, { axis: 0 })), [[0, 1], [0, 0], [1, 0]])
 * @category indexing
 * @since 0.1.0
 */
export function oneHot(indices: IndexArgument, numClasses: number, axis?: number | OneHotOptions): Tensor {
  const op = 'oneHot';
  checkArity(op, arguments.length, 3, 'oneHot(indices, numClasses, axis?) or oneHot(indices, numClasses, { axis, dtype })');
  const ind = parseIndices(op, indices);
  const classCount = parseInteger(op, 'numClasses', numClasses, { min: 1 });
  const o = parseAxisArguments(op, axis, undefined, ['dtype']);
  const a = parseAxis(op, 'axis', o.axis === undefined ? -1 : o.axis, ind.ndim + 1, `the result of rank ${ind.ndim + 1} (one-hot of indices of shape ${formatShape(ind.shape)})`);
  const dtype = parseDType(op, 'dtype', o.dtype, 'float64');
  checkClassIndices(op, 'index', ind, classCount);
  checkSize(op, [...ind.shape, classCount]);
  const classes = reshape(arange(classCount, undefined, 1, { dtype }), Array.from({ length: ind.ndim + 1 }, (_, i) => (i === a ? classCount : 1)));
  return equal(expandDims(ind.dtype === dtype ? ind : astype(ind, dtype), a), classes);
}
