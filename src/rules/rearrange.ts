/**
 * Rearranging entries: `flip`, `tile`, `repeat`, `split`. They move or copy entries without
 * arithmetic, so each is a composition of the structural rows (`take`, `reshape`, `broadcastTo`,
 * `slice`), which are linear: their gradients sum the copies back, at any order, with no rule of
 * their own. Axis arguments follow the library's convention (positional or `{ axis }`, negative
 * axes from the end).
 *
 * @since 0.1.0
 */
import { asTensor } from '../core/creation.js';
import { checkArity, checkSize, invalidArgument, parseAxes, parseAxis, parseAxisArguments, parseInteger } from '../core/args.js';
import { formatShape, ShapeError } from '../core/errors.js';
import { fromData, type Tensor } from '../core/Tensor.js';
import type { Operand } from './elementwise.js';
import type { Axes, ReduceOptions } from './reduction.js';
import { broadcastTo, expandDims, reshape, slice, take } from './structure.js';

/** A count, or an array of counts (non-negative integers); the array is copied. */
function counts(op: string, param: string, v: unknown, length?: number): number[] {
  if (typeof v === 'number') return [parseInteger(op, param, v, { min: 0 })];
  if (!Array.isArray(v) || (length !== undefined && v.length !== length)) {
    invalidArgument(op, param, v, `pass a non-negative integer or an array of them${length === undefined ? '' : ` (${length}, one per entry of the axis)`}`);
  }
  return Array.from(v, (r: unknown, i) => parseInteger(op, `${param}[${i}]`, r, { min: 0 }));
}

const indexVector = (values: ReadonlyArray<number>): Tensor => fromData(Object.freeze([values.length]), 'float64', Float64Array.from(values));

/**
 * Reverses the order of entries along `axis` (an axis or several; all of them by default), as
 * `jnp.flip`.
 * @example
 * import { flip, tensor, toArray } from 'adjoint'
 * const x = tensor([[1, 2, 3], [4, 5, 6]])
 * assert.deepEqual(toArray(flip(x, 1)), [[3, 2, 1], [6, 5, 4]])
 * assert.deepEqual(toArray(flip(x)), [[6, 5, 4], [3, 2, 1]])
 * assert.deepEqual(toArray(flip(x, { axis: [0] })), [[4, 5, 6], [1, 2, 3]])
 * @category structure
 * @since 0.1.0
 */
export function flip(x: Operand, axis?: Axes | Pick<ReduceOptions, 'axis'>): Tensor {
  const op = 'flip';
  checkArity(op, arguments.length, 2, 'flip(x, axis?) or flip(x, { axis })');
  const t = asTensor(op, x);
  const o = parseAxisArguments(op, axis, undefined, []);
  const axes = parseAxes(op, 'axis', o.axis, t.ndim, t.shape);
  return axes.reduce((acc, a) => {
    const n = acc.shape[a]!;
    return n <= 1 ? acc : take(acc, indexVector(Array.from({ length: n }, (_, i) => n - 1 - i)), a);
  }, t);
}

/**
 * Repeats the whole of `x` `reps` times along each axis, as `jnp.tile`: `reps` is a count or one
 * count per axis (fewer than the rank apply to the last axes; more add leading axes).
 * @example
 * import { tile, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(tile(tensor([1, 2]), 3)), [1, 2, 1, 2, 1, 2])
 * assert.deepEqual(toArray(tile(tensor([[1, 2]]), [2, 2])), [[1, 2, 1, 2], [1, 2, 1, 2]])
 * @category structure
 * @since 0.1.0
 */
export function tile(x: Operand, reps: number | ReadonlyArray<number>): Tensor {
  const op = 'tile';
  checkArity(op, arguments.length, 2, 'tile(x, reps) with reps a count or one count per axis');
  const t = asTensor(op, x);
  const list = counts(op, 'reps', reps);
  const rank = Math.max(t.ndim, list.length);
  const shape = [...new Array<number>(rank - t.ndim).fill(1), ...t.shape];
  const r = [...new Array<number>(rank - list.length).fill(1), ...list];
  // [d0, d1] → [1, d0, 1, d1] → broadcast to [r0, d0, r1, d1] → [r0·d0, r1·d1]
  checkSize(op, shape.map((d, i) => d * r[i]!));
  const interleaved = shape.flatMap((d) => [1, d]);
  const target = shape.flatMap((d, i) => [r[i]!, d]);
  return reshape(broadcastTo(reshape(t, interleaved), target), shape.map((d, i) => d * r[i]!));
}

/**
 * Options of `repeat`.
 *
 * @category structure
 * @since 0.1.0
 */
export interface RepeatOptions {
  /** The axis whose entries are repeated (default: none, the flattened input, as NumPy). */
  readonly axis?: number;
}

/**
 * Repeats each entry along `axis` (default: of the flattened input), as `jnp.repeat`: `repeats` is
 * one count for every entry or one count per entry of the axis.
 * @example
 * import { repeat, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(repeat(tensor([1, 2]), 2)), [1, 1, 2, 2])
 * assert.deepEqual(toArray(repeat(tensor([[1, 2], [3, 4]]), [1, 2], 1)), [[1, 2, 2], [3, 4, 4]])
 * @category structure
 * @since 0.1.0
 */
export function repeat(x: Operand, repeats: number | ReadonlyArray<number>, axis?: number | RepeatOptions): Tensor {
  const op = 'repeat';
  checkArity(op, arguments.length, 3, 'repeat(x, repeats, axis?) or repeat(x, repeats, { axis })');
  let t = asTensor(op, x);
  const o = parseAxisArguments(op, axis, undefined, []);
  let a: number;
  if (o.axis === undefined) {
    t = reshape(t, [t.size]);
    a = 0;
  } else a = parseAxis(op, 'axis', o.axis, t.ndim, t.shape);
  const n = t.shape[a]!;
  if (typeof repeats === 'number') {
    parseInteger(op, 'repeats', repeats, { min: 0 });
    checkSize(op, t.shape.map((d, i) => (i === a ? d * repeats : d)));
    // [..., n, ...] → [..., n, 1, ...] → broadcast [..., n, r, ...] → [..., n·r, ...]
    const e = expandDims(t, a + 1);
    const target = e.shape.map((d, i) => (i === a + 1 ? repeats : d));
    return reshape(broadcastTo(e, target), t.shape.map((d, i) => (i === a ? d * repeats : d)));
  }
  const list = counts(op, 'repeats', repeats, n);
  checkSize(op, t.shape.map((d, i) => (i === a ? list.reduce((s, r) => s + r, 0) : d)));
  const indices = list.flatMap((r, i) => new Array<number>(r).fill(i));
  return take(t, indexVector(indices), a);
}

/**
 * Splits `x` along `axis` (default 0), as `jnp.split`: into `sections` equal parts (the axis must
 * divide evenly), or at the given increasing `indices` (`[2, 5]` gives `[:2]`, `[2:5]`, `[5:]`).
 * Returns a frozen array of tensors.
 *
 * Errors: `SHAPE_MISMATCH` when the axis does not divide evenly; `INVALID_ARGUMENT` for bad indices.
 * @example
 * import { split, arange, toArray } from 'adjoint'
 * assert.deepEqual(split(arange(6), 3).map((t) => toArray(t)), [[0, 1], [2, 3], [4, 5]])
 * assert.deepEqual(split(arange(6), [1, 4]).map((t) => toArray(t)), [[0], [1, 2, 3], [4, 5]])
 * @category structure
 * @since 0.1.0
 */
export function split(x: Operand, sectionsOrIndices: number | ReadonlyArray<number>, axis?: number | { readonly axis?: number }): ReadonlyArray<Tensor> {
  const op = 'split';
  checkArity(op, arguments.length, 3, 'split(x, sections or indices, axis?) or split(x, sections or indices, { axis })');
  const t = asTensor(op, x);
  const o = parseAxisArguments(op, axis, undefined, []);
  const a = parseAxis(op, 'axis', o.axis === undefined ? 0 : o.axis, t.ndim, t.shape);
  const n = t.shape[a]!;
  let cuts: number[];
  if (typeof sectionsOrIndices === 'number') {
    const k = parseInteger(op, 'sections', sectionsOrIndices, { min: 1 });
    if (n % k !== 0) throw new ShapeError('SHAPE_MISMATCH', op, `axis ${a} of shape ${formatShape(t.shape)} has ${n} entries, which do not split into ${k} equal sections; pass split indices instead`);
    cuts = Array.from({ length: k - 1 }, (_, i) => ((i + 1) * n) / k);
  } else {
    if (!Array.isArray(sectionsOrIndices)) invalidArgument(op, 'sections', sectionsOrIndices, 'pass a number of equal sections, or an array of split indices');
    // each index at least the one before, and within the axis: [2, 5] cuts [:2], [2:5], [5:]
    cuts = [];
    for (let i = 0; i < sectionsOrIndices.length; i++) {
      const lo = i === 0 ? 0 : cuts[i - 1]!;
      cuts.push(parseInteger(op, `indices[${i}]`, sectionsOrIndices[i], { min: lo, max: n }));
    }
  }
  const bounds = [0, ...cuts, n];
  const parts: Tensor[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    parts.push(slice(t, t.shape.map((_, d) => (d === a ? bounds[i]! : 0)), t.shape.map((s, d) => (d === a ? bounds[i + 1]! : s))));
  }
  return Object.freeze(parts);
}
