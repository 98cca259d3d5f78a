/**
 * Structural primitives: they move, copy or select elements without arithmetic, so every one of them
 * is linear and its transpose is another structural op (reshape ↔ reshape, slice ↔ pad, take ↔
 * scatterAdd, broadcastTo ↔ sum). `reshape` shares the buffer (tensors never change, so sharing is
 * safe); the others copy through one strided loop.
 *
 * @since 0.1.0
 */
import { asTensor, fromNestedArray, zerosLike } from '../core/creation.js';
import { AxisError, formatShape, IndexError, ShapeError, ArgumentError } from '../core/errors.js';
import { broadcastData, promote, stridedCopy } from '../core/kernels.js';
import { bind } from '../core/primitive.js';
import { checkArity, checkSize, invalidArgument, isPlainObject, parseAxes, parseAxis, parseAxisArguments, parseDimension, parseNumber, parseOptions, parseShape } from '../core/args.js';
import { broadcastShapes, SCALAR_SHAPE, sameShape, type Shape, sizeOf, stridesOf } from '../core/shape.js';
import { allocate, dataOf, type DType, fromData, isTensor, makeScalar, scalarOf, type Tensor } from '../core/Tensor.js';
import { isZero, type Tangent, Zero } from '../core/zero.js';
import { alignFront, batchedFront, moveAxis, toFront } from '../core/batching.js';
import { engineOps } from '../core/engineOps.js';
import { rule } from './combinators.js';
import type { Rule } from '../core/rule.js';
import type { Operand } from './elementwise.js';

const freeze = (s: ReadonlyArray<number>): Shape => (s.length === 0 ? SCALAR_SHAPE : Object.freeze([...s]));

const materialize = (t: Tangent, like: Tensor): Tensor => (isZero(t) ? zerosLike(like) : t);

// ---- reshape ---------------------------------------------------------------------------------------

export interface ReshapeParams {
  readonly shape: Shape;
}
export const reshapeP: Rule<ReshapeParams> = rule<ReshapeParams>({
  name: 'reshape',
  maskKind: 'linear',
  // lanes first, each lane reshaped
  batch: ([x], [d], p, size) => [bind(reshapeP, [toFront(x!, d)], { shape: freeze([size, ...p.shape]) }), 0],
  examples: [
    { args: [{ shape: [2, 3] }], params: { shape: [3, 2] } },
    { args: [{ shape: [] }], params: { shape: [1, 1] } },
  ],
  shape: ([x], p) => {
    if (sizeOf(p.shape) !== sizeOf(x!.shape)) throw reshapeError(x!.shape, p.shape);
    return { shape: p.shape, dtype: x!.dtype };
  },
  impl: ([x], p, out) => (out.shape.length === 0 ? makeScalar(scalarOf(x!), out.dtype) : fromData(out.shape, out.dtype, dataOf(x!))),
  jvp: (_primals, [xDot], _ans, p) => reshape(xDot as Tensor, p.shape),
  vjp: (ct, [x]) => [reshape(ct, x!.shape)],
});

function reshapeError(from: Shape, to: ReadonlyArray<number>): ShapeError {
  return new ShapeError(
    'RESHAPE_SIZE_MISMATCH',
    'reshape',
    `cannot reshape a tensor of shape ${formatShape(from)} (${sizeOf(from)} elements) to ${formatShape(to)}; ` +
      'the new shape must have the same number of elements (one dimension may be -1 to infer it)',
  );
}

/**
 * Same elements, new shape; one dimension may be `-1` (inferred).
 * @example
 * import { reshape, arange, toArray } from 'adjoint'
 * assert.deepEqual(toArray(reshape(arange(6), [2, -1])), [[0, 1, 2], [3, 4, 5]])
 * @category structure
 * @since 0.1.0
 */
export function reshape(x: Operand, shape: ReadonlyArray<number>): Tensor {
  const op = 'reshape';
  checkArity(op, arguments.length, 2, 'reshape(x, shape)');
  const t = asTensor(op, x);
  if (!Array.isArray(shape)) invalidArgument(op, 'shape', shape, `pass an array of dimensions such as [2, -1]${typeof shape === 'number' ? ` ([${shape}] for one dimension)` : ''}`);
  const inferred = shape.indexOf(-1);
  if (inferred >= 0 && shape.indexOf(-1, inferred + 1) >= 0) {
    throw new ShapeError('INVALID_DIMENSION', op, `shape ${formatShape(shape)} has more than one -1; at most one dimension can be inferred`);
  }
  const dims = Array.from({ length: shape.length }, (_, i) => (i === inferred ? -1 : parseDimension(op, 'shape', shape, i)));
  let target: ReadonlyArray<number> = dims;
  if (inferred >= 0) {
    const known = sizeOf(dims.filter((_, i) => i !== inferred));
    if (known === 0 || t.size % known !== 0) throw reshapeError(t.shape, dims);
    target = dims.map((d) => (d === -1 ? t.size / known : d));
  } else checkSize(op, dims);
  if (sameShape(target, t.shape)) return t;
  return bind(reshapeP, [t], { shape: freeze(target) });
}

/**
 * Inserts a size-1 dimension at `axis` (an axis of the result, in `[-ndim - 1, ndim]`), or one at each
 * of several axes.
 * @example
 * import { expandDims, tensor } from 'adjoint'
 * assert.deepEqual(expandDims(tensor([1, 2]), 0).shape, [1, 2])
 * assert.deepEqual(expandDims(tensor([1, 2]), [0, -1]).shape, [1, 2, 1])
 * @category structure
 * @since 0.1.0
 */
export function expandDims(x: Operand, axis: number | ReadonlyArray<number> | { readonly axis: number | ReadonlyArray<number> }): Tensor {
  const op = 'expandDims';
  checkArity(op, arguments.length, 2, 'expandDims(x, axis) or expandDims(x, { axis })');
  const t = asTensor(op, x);
  const given = parseAxisArguments(op, axis, undefined, []).axis;
  // axes index the result, whose rank grows by the number of axes inserted
  const outNdim = t.ndim + (Array.isArray(given) ? given.length : 1);
  const axes = parseAxes(op, 'axis', given, outNdim, `the result of rank ${outNdim} (inserting into shape ${formatShape(t.shape)})`, false);
  const shape: number[] = [];
  for (let i = 0, j = 0; i < outNdim; i++) shape.push(axes.includes(i) ? 1 : t.shape[j++]!);
  return reshape(t, shape);
}

/**
 * Removes size-1 dimensions: the given `axis` (which must have size 1), or all of them.
 * @example
 * import { squeeze, zeros } from 'adjoint'
 * assert.deepEqual(squeeze(zeros([1, 3, 1])).shape, [3])
 * @category structure
 * @since 0.1.0
 */
export function squeeze(x: Operand, axis?: number | ReadonlyArray<number> | { readonly axis?: number | ReadonlyArray<number> }): Tensor {
  const op = 'squeeze';
  checkArity(op, arguments.length, 2, 'squeeze(x, axis?) or squeeze(x, { axis })');
  const t = asTensor(op, x);
  const given = parseAxisArguments(op, axis, undefined, []).axis;
  const axes = given === undefined ? t.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : parseAxes(op, 'axis', given, t.ndim, t.shape, false);
  for (const a of axes) {
    if (t.shape[a] !== 1) {
      throw new ShapeError('SHAPE_MISMATCH', op, `axis ${a} of shape ${formatShape(t.shape)} has size ${t.shape[a]}, not 1; only size-1 axes can be squeezed`);
    }
  }
  return reshape(t, t.shape.filter((_, i) => !axes.includes(i)));
}

// ---- transpose -------------------------------------------------------------------------------------

export interface TransposeParams {
  readonly perm: ReadonlyArray<number>;
}
export const transposeP: Rule<TransposeParams> = rule<TransposeParams>({
  name: 'transpose',
  maskKind: 'linear',
  batch: ([x], [d], p) => [bind(transposeP, [toFront(x!, d)], { perm: Object.freeze([0, ...p.perm.map((a) => a + 1)]) }), 0],
  examples: [
    { args: [{ shape: [2, 3] }], params: { perm: [1, 0] } },
    { args: [{ shape: [2, 3, 4] }], params: { perm: [2, 0, 1] } },
  ],
  shape: ([x], p) => ({ shape: freeze(p.perm.map((a) => x!.shape[a]!)), dtype: x!.dtype }),
  impl: ([x], p, out) => {
    const strides = stridesOf(x!.shape);
    const data = allocate(out.dtype, x!.size);
    stridedCopy(dataOf(x!), 0, p.perm.map((a) => strides[a]!), out.shape, data);
    return out.shape.length === 0 ? makeScalar(data[0]!, out.dtype) : fromData(out.shape, out.dtype, data);
  },
  jvp: (_primals, [xDot], _ans, p) => transpose(xDot as Tensor, p.perm),
  vjp: (ct, _primals, _ans, p) => [transpose(ct, inversePermutation(p.perm))],
});

function inversePermutation(perm: ReadonlyArray<number>): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((a, i) => (inv[a] = i));
  return inv;
}

/**
 * Permutes the axes: `axes[i]` is the input axis that becomes axis `i` (default: reversed).
 * @example
 * import { transpose, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(transpose(tensor([[1, 2], [3, 4]]))), [[1, 3], [2, 4]])
 * @category structure
 * @since 0.1.0
 */
export function transpose(x: Operand, axes?: ReadonlyArray<number> | { readonly axes?: ReadonlyArray<number> }): Tensor {
  const op = 'transpose';
  checkArity(op, arguments.length, 2, 'transpose(x, axes?) with axes a permutation such as [1, 0], or transpose(x, { axes })');
  const t = asTensor(op, x);
  const perm = isPlainObject(axes) ? parseOptions(op, 'options', axes, ['axes']).axes : axes;
  if (perm !== undefined && !Array.isArray(perm)) invalidArgument(op, 'axes', perm, `pass a permutation of the axes of shape ${formatShape(t.shape)} as an array, such as [${t.shape.map((_, i) => t.ndim - 1 - i).join(', ')}]`);
  const p = perm === undefined ? t.shape.map((_, i) => t.ndim - 1 - i) : Array.from({ length: perm.length }, (_, i) => parseAxis(op, `axes[${i}]`, perm[i], t.ndim, t.shape));
  if (p.length !== t.ndim || new Set(p).size !== p.length) {
    throw new AxisError(
      'AXIS_OUT_OF_RANGE',
      op,
      `axes [${(perm ?? []).join(', ')}] is not a permutation of the ${t.ndim} axes of shape ${formatShape(t.shape)}; list each axis exactly once`,
    );
  }
  if (p.every((a, i) => a === i)) return t;
  return bind(transposeP, [t], { perm: Object.freeze(p) });
}

// ---- broadcastTo -----------------------------------------------------------------------------------

export const broadcastToP: Rule<ReshapeParams> = rule<ReshapeParams>({
  name: 'broadcastTo',
  maskKind: 'linear',
  // a lane's shape is aligned on the right of the target, after the lane axis
  batch: ([x], [d], p, size) => [bind(broadcastToP, [alignFront(x!, d, p.shape.length)], { shape: freeze([size, ...p.shape]) }), 0],
  examples: [
    { args: [{ shape: [3] }], params: { shape: [2, 3] } },
    { args: [{ shape: [2, 1] }], params: { shape: [2, 3] } },
    { args: [{ shape: [] }], params: { shape: [2] } },
  ],
  shape: ([x], p) => {
    const s = broadcastShapes('broadcastTo', x!.shape, p.shape);
    if (!sameShape(s, p.shape)) {
      throw new ShapeError('BROADCAST_INCOMPATIBLE', 'broadcastTo', `shape ${formatShape(x!.shape)} cannot be broadcast to ${formatShape(p.shape)}; the target must contain the input's shape on the right`);
    }
    return { shape: p.shape, dtype: x!.dtype };
  },
  impl: ([x], _p, out) => (out.shape.length === 0 ? x! : fromData(out.shape, out.dtype, broadcastData(x!, out.shape).slice(0))),
  jvp: (_primals, [xDot], _ans, p) => broadcastTo(xDot as Tensor, p.shape),
  vjp: (ct, [x]) => [engineOps().unbroadcast(ct, x!.shape)],
});

/**
 * Repeats `x` along broadcast dimensions to reach `shape` (NumPy rules).
 * @example
 * import { broadcastTo, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(broadcastTo(tensor([1, 2]), [2, 2])), [[1, 2], [1, 2]])
 * @category structure
 * @since 0.1.0
 */
export function broadcastTo(x: Operand, shape: ReadonlyArray<number>): Tensor {
  checkArity('broadcastTo', arguments.length, 2, 'broadcastTo(x, shape)');
  const t = asTensor('broadcastTo', x);
  const target = parseShape('broadcastTo', 'shape', shape);
  if (sameShape(t.shape, target)) return t;
  return bind(broadcastToP, [t], { shape: target });
}

// ---- slice and pad ---------------------------------------------------------------------------------

export interface SliceParams {
  readonly start: ReadonlyArray<number>;
  readonly end: ReadonlyArray<number>;
}
export const sliceP: Rule<SliceParams> = rule<SliceParams>({
  name: 'slice',
  maskKind: 'linear',
  batch: ([x], [d], p, size) => [bind(sliceP, [toFront(x!, d)], { start: [0, ...p.start], end: [size, ...p.end] }), 0],
  examples: [{ args: [{ shape: [4, 5] }], params: { start: [1, 0], end: [3, 4] } }],
  shape: ([x], p) => ({ shape: freeze(p.start.map((s, i) => p.end[i]! - s)), dtype: x!.dtype }),
  impl: ([x], p, out) => {
    const strides = stridesOf(x!.shape);
    let offset = 0;
    p.start.forEach((s, i) => (offset += s * strides[i]!));
    const data = allocate(out.dtype, sizeOf(out.shape));
    stridedCopy(dataOf(x!), offset, strides, out.shape, data);
    return fromData(out.shape, out.dtype, data);
  },
  jvp: (_primals, [xDot], _ans, p) => bind(sliceP, [xDot as Tensor], p),
  vjp: (ct, [x], _ans, p) => [bind(padP, [ct], { widths: p.start.map((s, i) => [s, x!.shape[i]! - p.end[i]!] as const), value: 0 })],
});

/**
 * `x[start[0]:end[0], start[1]:end[1], ...]`: omitted axes are taken whole; negative indices count
 * from the end and bounds are clamped, as in NumPy.
 * @example
 * import { slice, arange, toArray } from 'adjoint'
 * assert.deepEqual(toArray(slice(arange(5), [1], [-1])), [1, 2, 3])
 * @category structure
 * @since 0.1.0
 */
export function slice(x: Operand, start: ReadonlyArray<number>, end?: ReadonlyArray<number>): Tensor {
  const op = 'slice';
  checkArity(op, arguments.length, 3, 'slice(x, start, end?) with start and end arrays of indices, one per leading axis');
  const t = asTensor(op, x);
  const bounds = (param: string, v: unknown): ReadonlyArray<unknown> => {
    if (!Array.isArray(v)) invalidArgument(op, param, v, `pass an array of indices, one per leading axis of shape ${formatShape(t.shape)}${typeof v === 'number' ? ` (such as [${v}])` : ''}`);
    if (v.length > t.ndim) {
      throw new AxisError('AXIS_OUT_OF_RANGE', op, `${param} has ${v.length} indices but shape ${formatShape(t.shape)} has ${t.ndim} axes; give at most one index per axis`);
    }
    return v;
  };
  const from = bounds('start', start);
  const to = end === undefined ? [] : bounds('end', end);
  const clamp = (param: string, list: ReadonlyArray<unknown>, i: number, d: number): number => {
    const v = list[i];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) invalidArgument(op, `${param}[${i}]`, v, 'pass an integer index (negative ones count from the end)');
    return Math.min(Math.max(v < 0 ? v + d : v, 0), d);
  };
  const s = t.shape.map((d, i) => (i < from.length ? clamp('start', from, i, d) : 0));
  const e = t.shape.map((d, i) => Math.max(i < to.length ? clamp('end', to, i, d) : d, s[i]!));
  if (s.every((v) => v === 0) && e.every((v, i) => v === t.shape[i])) return t;
  return bind(sliceP, [t], { start: Object.freeze(s), end: Object.freeze(e) });
}

export interface PadParams {
  readonly widths: ReadonlyArray<readonly [number, number]>;
  readonly value: number;
}
export const padP: Rule<PadParams> = rule<PadParams>({
  name: 'pad',
  maskKind: 'linear',
  batch: ([x], [d], p) => [bind(padP, [toFront(x!, d)], { widths: [[0, 0] as const, ...p.widths], value: p.value }), 0],
  examples: [
    { args: [{ shape: [2, 3] }], params: { widths: [[1, 0], [2, 1]], value: 0 } },
    { args: [{ shape: [3] }], params: { widths: [[0, 2]], value: 1.5 } },
  ],
  shape: ([x], p) => ({ shape: freeze(x!.shape.map((d, i) => d + p.widths[i]![0] + p.widths[i]![1])), dtype: x!.dtype }),
  impl: ([x], p, out) => {
    const data = allocate(out.dtype, sizeOf(out.shape));
    if (p.value !== 0) data.fill(p.value);
    if (x!.size > 0) {
      const outStrides = stridesOf(out.shape);
      let offset = 0;
      p.widths.forEach(([before], i) => (offset += before * outStrides[i]!));
      // scatter x into the interior: walk x row-major, write through the output's strides
      const src = x!.ndim === 0 ? [scalarOf(x!)] : dataOf(x!);
      const shape = x!.shape;
      const idx = new Array<number>(shape.length).fill(0);
      for (let i = 0; i < src.length; i++) {
        let o = offset;
        for (let d = 0; d < shape.length; d++) o += idx[d]! * outStrides[d]!;
        data[o] = src[i]!;
        for (let d = shape.length - 1; d >= 0; d--) {
          if (++idx[d]! < shape[d]!) break;
          idx[d] = 0;
        }
      }
    }
    return out.shape.length === 0 ? makeScalar(data[0]!, out.dtype) : fromData(out.shape, out.dtype, data);
  },
  jvp: (_primals, [xDot], _ans, p) => bind(padP, [xDot as Tensor], { widths: p.widths, value: 0 }),
  vjp: (ct, [x], _ans, p) =>
    [bind(sliceP, [ct], { start: p.widths.map(([b]) => b), end: p.widths.map(([b], i) => b + x!.shape[i]!) })],
});

/**
 * Pads each axis with `widths[i] = [before, after]` copies of `value` (default 0).
 * @example
 * import { pad, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(pad(tensor([1, 2]), [[1, 2]])), [0, 1, 2, 0, 0])
 * @category structure
 * @since 0.1.0
 */
export function pad(x: Operand, widths: ReadonlyArray<readonly [number, number]>, value = 0): Tensor {
  const op = 'pad';
  checkArity(op, arguments.length, 3, 'pad(x, widths, value?) with widths one [before, after] pair per axis');
  const t = asTensor(op, x);
  const want = `pass one [before, after] pair of non-negative integers per axis of shape ${formatShape(t.shape)}, such as [${t.shape.map(() => '[1, 1]').join(', ')}]`;
  if (!Array.isArray(widths)) invalidArgument(op, 'widths', widths, want);
  if (widths.length !== t.ndim) {
    throw new AxisError('AXIS_OUT_OF_RANGE', op, `got ${widths.length} [before, after] pairs for shape ${formatShape(t.shape)} of rank ${t.ndim}; give one pair per axis`);
  }
  const pairs = Array.from({ length: widths.length }, (_, i): readonly [number, number] => {
    const w: unknown = widths[i];
    if (!Array.isArray(w) || w.length !== 2) invalidArgument(op, `widths[${i}]`, w, want);
    return Object.freeze([parseDimension(op, `widths[${i}]`, w, 0), parseDimension(op, `widths[${i}]`, w, 1)] as const);
  });
  checkSize(op, t.shape.map((d, i) => d + pairs[i]![0] + pairs[i]![1]));
  const fill = parseNumber(op, 'value', value, false);
  return bind(padP, [t], { widths: Object.freeze(pairs), value: fill });
}

// ---- concat and stack ------------------------------------------------------------------------------

export interface AxisParams {
  readonly axis: number;
}
export const concatP: Rule<AxisParams> = rule<AxisParams>({
  name: 'concat',
  maskKind: 'linear',
  batch: (xs, dims, p, size) => [bind(concatP, xs.map((x, i) => batchedFront(x, dims[i], size)), { axis: p.axis + 1 }), 0],
  examples: [{ args: [{ shape: [2, 1] }, { shape: [2, 3] }, { shape: [2, 2] }], params: { axis: 1 } }],
  shape: (xs, p) => {
    const first = xs[0]!;
    let total = 0;
    let dtype: DType = first.dtype;
    for (const x of xs) {
      const ok = x.shape.length === first.shape.length && x.shape.every((d, i) => i === p.axis || d === first.shape[i]);
      if (!ok) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          'concat',
          `shapes ${xs.map((t) => formatShape(t.shape)).join(', ')} differ outside axis ${p.axis}; all inputs must have the same rank and sizes except along the concatenation axis`,
        );
      }
      total += x.shape[p.axis]!;
      dtype = promote(dtype, x.dtype);
    }
    return { shape: freeze(first.shape.map((d, i) => (i === p.axis ? total : d))), dtype };
  },
  impl: (xs, p, out) => {
    const data = allocate(out.dtype, sizeOf(out.shape));
    const outer = sizeOf(out.shape.slice(0, p.axis));
    const rowOut = sizeOf(out.shape.slice(p.axis));
    let col = 0;
    for (const x of xs) {
      const row = sizeOf(x.shape.slice(p.axis));
      const src = x.size === 0 ? new Float64Array(0) : dataOf(x);
      for (let o = 0; o < outer; o++) for (let i = 0; i < row; i++) data[o * rowOut + col + i] = src[o * row + i]!;
      col += row;
    }
    return fromData(out.shape, out.dtype, data);
  },
  jvp: (primals, tangents, _ans, p) => bind(concatP, tangents.map((t, i) => materialize(t, primals[i]!)), p),
  vjp: (ct, primals, _ans, p, wants) => {
    let at = 0;
    return primals.map((x, i) => {
      const from = at;
      at += x.shape[p.axis]!;
      if (!wants[i]) return Zero;
      return bind(sliceP, [ct], { start: ct.shape.map((_, a) => (a === p.axis ? from : 0)), end: ct.shape.map((d, a) => (a === p.axis ? at : d)) });
    });
  },
});

/**
 * Joins tensors along an existing `axis` (default 0).
 * @example
 * import { concat, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(concat([tensor([1]), tensor([2, 3])])), [1, 2, 3])
 * @category structure
 * @since 0.1.0
 */
export function concat(xs: ReadonlyArray<Operand>, axis: number | { readonly axis?: number } = 0): Tensor {
  const op = 'concat';
  checkArity(op, arguments.length, 2, 'concat(xs, axis?) or concat(xs, { axis })');
  const ts = operandList(op, xs);
  const a = parseAxis(op, 'axis', withDefault(parseAxisArguments(op, axis, undefined, []).axis, 0), ts[0]!.ndim, ts[0]!.shape);
  if (ts.length === 1) return ts[0]!;
  return bind(concatP, ts, { axis: a });
}

/** `v`, or `fallback` when it is undefined (null stays null, for the parser to refuse). */
const withDefault = (v: unknown, fallback: number): unknown => (v === undefined ? fallback : v);

/** The tensors of concat and stack: a non-empty array of operands. */
function operandList(op: string, xs: unknown): Tensor[] {
  if (!Array.isArray(xs) || xs.length === 0) invalidArgument(op, 'xs', xs, `pass a non-empty array of tensors: ${op}([a, b])`);
  const ts = new Array<Tensor>(xs.length);
  for (let i = 0; i < xs.length; i++) ts[i] = asTensor(op, xs[i] as Operand);
  return ts;
}

/**
 * Joins same-shaped tensors along a new `axis` (default 0).
 * @example
 * import { stack, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(stack([tensor([1, 2]), tensor([3, 4])])), [[1, 2], [3, 4]])
 * @category structure
 * @since 0.1.0
 */
export function stack(xs: ReadonlyArray<Operand>, axis: number | { readonly axis?: number } = 0): Tensor {
  const op = 'stack';
  checkArity(op, arguments.length, 2, 'stack(xs, axis?) or stack(xs, { axis })');
  const ts = operandList(op, xs);
  const first = ts[0]!;
  for (const t of ts) {
    if (!sameShape(t.shape, first.shape)) {
      throw new ShapeError('SHAPE_MISMATCH', op, `shapes ${ts.map((u) => formatShape(u.shape)).join(', ')} differ; stack needs equal shapes (use concat to join along an existing axis)`);
    }
  }
  const given = withDefault(parseAxisArguments(op, axis, undefined, []).axis, 0);
  const a = parseAxis(op, 'axis', given, first.ndim + 1, `the result of rank ${first.ndim + 1} (stacking shape ${formatShape(first.shape)})`);
  const expanded = ts.map((t) => expandDims(t, a));
  return expanded.length === 1 ? expanded[0]! : bind(concatP, expanded, { axis: a });
}

// ---- batching of take and scatterAdd ---------------------------------------------------------------

/**
 * take under vmap. Lanes of `x` only: one more leading axis. Lanes of the indices only: the result
 * has the index lanes where the index axes go. Both: every lane gathers from its own slice, done as
 * one gather from `x` with the lanes and the gathered axis flattened together, the indices offset
 * by lane.
 */
function batchTake(x: Tensor, dx: number | undefined, ind: Tensor, di: number | undefined, axis: number, size: number): readonly [Tensor, number] {
  if (di === undefined) return [bind(takeP, [toFront(x, dx), ind], { axis: axis + 1 }), 0];
  const indices = toFront(ind, di);
  if (dx === undefined) return [bind(takeP, [x, indices], { axis }), axis];
  // lanes first and the gathered axis second: [B, N, ...rest], flattened to [B·N, ...rest]
  const xs = moveAxis(toFront(x, dx), axis + 1, 1);
  const n = xs.shape[1]!;
  const flat = bind(reshapeP, [xs], { shape: freeze([size * n, ...xs.shape.slice(2)]) });
  const offsets = fromData(freeze([size, ...new Array<number>(indices.ndim - 1).fill(1)]), indices.dtype, allocate(indices.dtype, size).map((_, b) => b * n));
  const nonNegative = normalizeIndices(indices, n);
  const gathered = bind(takeP, [flat, engineOps().add(nonNegative, offsets)], { axis: 0 });
  // [B, ...idx, ...rest] -> [B, ...rest[:axis], ...idx, ...rest[axis:]]
  const k = indices.ndim - 1;
  const perm = [0, ...Array.from({ length: axis }, (_, j) => 1 + k + j), ...Array.from({ length: k }, (_, j) => 1 + j), ...Array.from({ length: gathered.ndim - 1 - k - axis }, (_, j) => 1 + k + axis + j)];
  return [bind(transposeP, [gathered], { perm: Object.freeze(perm) }), 0];
}

/** Indices with negative ones wrapped (`i < 0 ? i + n : i`). */
function normalizeIndices(indices: Tensor, n: number): Tensor {
  const { add, mul, notEqual, maximum } = engineOps();
  // i < 0 exactly where max(i, 0) differs from i
  return add(indices, mul(notEqual(maximum(indices, 0), indices), n));
}

/**
 * scatterAdd under vmap: lanes of the updates only: one more leading axis; lanes of the indices:
 * every lane scatters into its own slice (as take), the indices offset by lane.
 */
function batchScatterAdd(x: Tensor, dx: number | undefined, ind: Tensor, di: number | undefined, p: ScatterParams, size: number): readonly [Tensor, number] {
  if (di === undefined) return [bind(scatterAddP, [toFront(x, dx), ind], { axis: p.axis + 1, size: p.size }), 0];
  const indices = toFront(ind, di);
  const k = indices.ndim - 1;
  // updates [B, ...pre(axis), ...idx(k), ...rest] -> [B, ...idx, ...pre, ...rest] -> [B·|idx|, ...pre, ...rest]
  const xs = batchedFront(x, dx, size);
  const perm = [0, ...Array.from({ length: k }, (_, j) => 1 + p.axis + j), ...Array.from({ length: p.axis }, (_, j) => 1 + j), ...Array.from({ length: xs.ndim - 1 - k - p.axis }, (_, j) => 1 + p.axis + k + j)];
  const moved = bind(transposeP, [xs], { perm: Object.freeze(perm) });
  const count = indices.size / size;
  const rest = moved.shape.slice(1 + k);
  const flat = bind(reshapeP, [moved], { shape: freeze([size * count, ...rest]) });
  const offsets = fromData(freeze([size, ...new Array<number>(k).fill(1)]), indices.dtype, allocate(indices.dtype, size).map((_, b) => b * p.size));
  const flatIndices = bind(reshapeP, [engineOps().add(normalizeIndices(indices, p.size), offsets)], { shape: freeze([size * count]) });
  const scattered = bind(scatterAddP, [flat, flatIndices], { axis: 0, size: size * p.size });
  // [B·size, ...pre, ...rest] -> [B, size, ...pre, ...rest] -> [B, ...pre, size, ...rest]
  const split = bind(reshapeP, [scattered], { shape: freeze([size, p.size, ...rest]) });
  return [moveAxis(split, 1, 1 + p.axis), 0];
}

// ---- take and its transpose ------------------------------------------------------------------------

/**
 * @internal An index argument as a tensor, for take and the indexing ops in indexing.ts: a number, an
 * array (nested for more dimensions) or a tensor. Its values are checked by `indexValues`.
 */
export function parseIndices(op: string, indices: unknown): Tensor {
  if (isTensor(indices) || typeof indices === 'number') return asTensor(op, indices);
  // built under op's name: a bad element is take's (or gather's) indices, not tensor's argument
  if (Array.isArray(indices)) return fromNestedArray(op, 'indices', indices);
  return invalidArgument(op, 'indices', indices, 'pass integer indices: a number, an array (nested for more dimensions) or a tensor');
}

/**
 * @internal Validated integer indices, negatives wrapped, as a plain Int32Array (take's, and the
 * indexing ops' in indexing.ts): a non-integer is `INVALID_ARGUMENT`, an integer outside
 * `[-dim, dim)` is `INDEX_OUT_OF_RANGE`.
 */
export function indexValues(op: string, indices: Tensor, dim: number, axis: number, xShape: Shape): Int32Array {
  const src = indices.ndim === 0 ? [scalarOf(indices)] : dataOf(indices);
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (!Number.isInteger(v)) throw new ArgumentError('INVALID_ARGUMENT', op, `index ${v} at position ${i} is not an integer`);
    if (v < -dim || v >= dim) {
      throw new IndexError(
        'INDEX_OUT_OF_RANGE',
        op,
        `index ${v} at position ${i} is out of range for axis ${axis} of size ${dim} (shape ${formatShape(xShape)}); valid indices are ${-dim}..${dim - 1}`,
      );
    }
    out[i] = v < 0 ? v + dim : v;
  }
  return out;
}

export const takeP: Rule<AxisParams> = rule<AxisParams>({
  name: 'take',
  maskKind: 'linear',
  batch: ([x, ind], [dx, di], p, size) => batchTake(x!, dx, ind!, di, p.axis, size),
  examples: [
    { args: [{ shape: [4, 3] }, { shape: [3], values: [2, 0, 2], constant: true }], params: { axis: 0 } },
    { args: [{ shape: [2, 3] }, { shape: [2, 2], values: [0, -1, 1, 1], constant: true }], params: { axis: 1 } },
  ],
  shape: ([x, ind], p) => ({ shape: freeze([...x!.shape.slice(0, p.axis), ...ind!.shape, ...x!.shape.slice(p.axis + 1)]), dtype: x!.dtype }),
  impl: ([x, ind], p, out) => {
    const dim = x!.shape[p.axis]!;
    const idx = indexValues('take', ind!, dim, p.axis, x!.shape);
    const outer = sizeOf(x!.shape.slice(0, p.axis));
    const inner = sizeOf(x!.shape.slice(p.axis + 1));
    const src = x!.size === 0 ? new Float64Array(0) : dataOf(x!);
    const data = allocate(out.dtype, sizeOf(out.shape));
    let o = 0;
    for (let a = 0; a < outer; a++) {
      for (let j = 0; j < idx.length; j++) {
        const base = (a * dim + idx[j]!) * inner;
        for (let i = 0; i < inner; i++) data[o++] = src[base + i]!;
      }
    }
    return out.shape.length === 0 ? makeScalar(data[0]!, out.dtype) : fromData(out.shape, out.dtype, data);
  },
  // the indices are not differentiable: a tangent on them alone gives Zero
  jvp: ([, ind], [xDot], _ans, p) => (isZero(xDot) ? Zero : bind(takeP, [xDot!, ind!], p)),
  vjp: (ct, [x, ind], _ans, p, wants) => [wants[0] ? bind(scatterAddP, [ct, ind!], { axis: p.axis, size: x!.shape[p.axis]! }) : Zero, Zero],
});

export interface ScatterParams {
  readonly axis: number;
  readonly size: number;
}
// The transpose of take: sums rows of `x` into the slots named by `indices` (repeats accumulate).
export const scatterAddP: Rule<ScatterParams> = rule<ScatterParams>({
  name: 'scatterAdd',
  maskKind: 'linear',
  batch: ([x, ind], [dx, di], p, size) => batchScatterAdd(x!, dx, ind!, di, p, size),
  examples: [
    { args: [{ shape: [2, 3] }, { shape: [2], values: [1, 1], constant: true }], params: { axis: 0, size: 3 } },
    // distinct and negative indices, and a 2-d index array scattered along axis 1 (under vmap,
    // lanes of the indices each scatter into their own slice)
    { args: [{ shape: [3, 2] }, { shape: [3], values: [2, 0, 2], constant: true }], params: { axis: 0, size: 3 } },
    { args: [{ shape: [2, 2, 2] }, { shape: [2, 2], values: [0, -1, 1, 1], constant: true }], params: { axis: 1, size: 3 } },
  ],
  shape: ([x, ind], p) => ({
    shape: freeze([...x!.shape.slice(0, p.axis), p.size, ...x!.shape.slice(p.axis + ind!.shape.length)]),
    dtype: x!.dtype,
  }),
  impl: ([x, ind], p, out) => {
    const idx = indexValues('scatterAdd', ind!, p.size, p.axis, out.shape);
    const outer = sizeOf(out.shape.slice(0, p.axis));
    const inner = sizeOf(out.shape.slice(p.axis + 1));
    const src = x!.size === 0 ? new Float64Array(0) : dataOf(x!);
    const data = allocate(out.dtype, sizeOf(out.shape));
    let s = 0;
    for (let a = 0; a < outer; a++) {
      for (let j = 0; j < idx.length; j++) {
        const base = (a * p.size + idx[j]!) * inner;
        for (let i = 0; i < inner; i++) data[base + i] = data[base + i]! + src[s++]!;
      }
    }
    return out.shape.length === 0 ? makeScalar(data[0]!, out.dtype) : fromData(out.shape, out.dtype, data);
  },
  jvp: ([, ind], [xDot], _ans, p) => (isZero(xDot) ? Zero : bind(scatterAddP, [xDot!, ind!], p)),
  vjp: (ct, [, ind], _ans, p, wants) => [wants[0] ? bind(takeP, [ct, ind!], { axis: p.axis }) : Zero, Zero],
});

/**
 * Selects entries along `axis` (default 0) by integer `indices` (negative ones count from the end).
 * The result's shape is `x.shape[:axis] + indices.shape + x.shape[axis+1:]`.
 * @example
 * import { take, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(take(tensor([10, 20, 30]), [2, 0])), [30, 10])
 * @category structure
 * @since 0.1.0
 */
export function take(x: Operand, indices: Tensor | number | ReadonlyArray<number> | ReadonlyArray<ReadonlyArray<number>>, axis: number | { readonly axis?: number } = 0): Tensor {
  const op = 'take';
  checkArity(op, arguments.length, 3, 'take(x, indices, axis?) or take(x, indices, { axis })');
  const t = asTensor(op, x);
  const a = parseAxis(op, 'axis', withDefault(parseAxisArguments(op, axis, undefined, []).axis, 0), t.ndim, t.shape);
  const ind = parseIndices(op, indices);
  return bind(takeP, [t, ind], { axis: a });
}

