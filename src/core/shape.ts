/**
 * Shapes: sizes, strides and NumPy broadcasting, on shapes that are already valid. Shapes and axes
 * from callers are parsed at the boundary (`args.ts`: `parseShape`, `parseAxis`, `parseAxes`), so an
 * invalid dimension or axis is reported the same way whichever op meets it first.
 *
 * @since 0.1.0
 */
import { formatShape, ShapeError } from './errors.js';

/**
 * A tensor's shape: one non-negative integer per dimension, outermost first.
 *
 * @category model
 * @since 0.1.0
 */
export type Shape = ReadonlyArray<number>;

/** The frozen shape of every 0-d tensor, shared so scalars allocate no shape array. */
export const SCALAR_SHAPE: Shape = Object.freeze([]);

/**
 * The most elements one tensor may have: the longest typed array V8 makes. A shape with more is
 * `ALLOCATION_TOO_LARGE` (`args.ts`), and so is an allocation that fails below it for lack of memory.
 */
export const MAX_ELEMENTS = 2 ** 32;

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
