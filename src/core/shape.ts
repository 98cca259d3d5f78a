/**
 * Shapes: validation, sizes, strides, NumPy broadcasting and axis normalisation. Every shape rule in
 * `src/rules` goes through these helpers, so an invalid dimension or axis is reported the same way
 * whichever op meets it first.
 *
 * @since 0.1.0
 */
import { AxisError, formatShape, ShapeError } from './errors.js';

/**
 * A tensor's shape: one non-negative integer per dimension, outermost first.
 *
 * @category model
 * @since 0.1.0
 */
export type Shape = ReadonlyArray<number>;

/** The frozen shape of every 0-d tensor, shared so scalars allocate no shape array. */
export const SCALAR_SHAPE: Shape = Object.freeze([]);

/** Throws `INVALID_DIMENSION` unless every entry (but `skip`, an inferred -1) is a non-negative integer. */
export function checkShape(op: string, shape: ReadonlyArray<unknown>, skip = -1): Shape {
  for (let i = 0; i < shape.length; i++) {
    if (i === skip) continue;
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        'INVALID_DIMENSION',
        op,
        `dimension ${i} of shape [${shape.map(String).join(', ')}] is ${String(d)}; ` +
          'every dimension must be a non-negative integer',
      );
    }
  }
  return shape as Shape;
}

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

/** Row-major strides, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** True when two shapes are equal entry by entry. */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * NumPy broadcasting of any number of shapes: align on the right; each dimension pair must be equal
 * or contain a 1. Throws `BROADCAST_INCOMPATIBLE` naming all the shapes.
 */
export function broadcastShapes(op: string, ...shapes: Shape[]): Shape {
  let ndim = 0;
  for (const s of shapes) if (s.length > ndim) ndim = s.length;
  const out = new Array<number>(ndim);
  for (let i = 0; i < ndim; i++) {
    let d = 1;
    for (const s of shapes) {
      const j = s.length - ndim + i;
      if (j < 0) continue;
      const e = s[j]!;
      if (e === 1) continue;
      if (d !== 1 && e !== d) {
        throw new ShapeError(
          'BROADCAST_INCOMPATIBLE',
          op,
          `shapes ${shapes.map(formatShape).join(' and ')} cannot be broadcast together ` +
            `(dimension ${i - ndim} is ${d} in one and ${e} in another); ` +
            'reshape or expandDims one operand so each pair of dimensions is equal or 1',
        );
      }
      d = e;
    }
    out[i] = d;
  }
  return Object.freeze(out);
}

/** Normalises one axis in `[-ndim, ndim)` to `[0, ndim)`, or throws `AXIS_OUT_OF_RANGE`. */
export function normalizeAxis(op: string, axis: number, ndim: number, shape?: Shape): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new AxisError(
      'AXIS_OUT_OF_RANGE',
      op,
      `axis ${String(axis)} is out of range for ${shape === undefined ? `a result of rank ${ndim}` : `a tensor of shape ${formatShape(shape)} (rank ${ndim})`}; ` +
        (ndim === 0 ? 'a 0-d tensor has no axes, omit the axis' : `use an integer in [${-ndim}, ${ndim - 1}]`),
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/**
 * Normalises `axis?: number | number[]` to sorted, distinct axes in `[0, ndim)`; `undefined` means
 * every axis.
 */
export function normalizeAxes(op: string, axis: number | ReadonlyArray<number> | undefined, ndim: number, shape?: Shape): number[] {
  if (axis === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  const out = list.map((a) => normalizeAxis(op, a, ndim, shape));
  out.sort((p, q) => p - q);
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1]) {
      throw new AxisError('AXIS_OUT_OF_RANGE', op, `axis ${out[i]} is repeated in [${list.join(', ')}]; list each axis once`);
    }
  }
  return out;
}

/** The shape after reducing `axes` away (or to 1 with `keepdims`). */
export function reducedShape(shape: Shape, axes: ReadonlyArray<number>, keepdims: boolean): Shape {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdims) out.push(1);
    } else out.push(shape[i]!);
  }
  return out.length === 0 ? SCALAR_SHAPE : Object.freeze(out);
}
