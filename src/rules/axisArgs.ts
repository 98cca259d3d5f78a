/**
 * The axis convention of the boundary issue (positional and options forms, negative axes, typed
 * errors for unknown option keys and for repeated or out-of-range axes), and the size check of a
 * result shape, for the ops of `scans.ts`, `rearrange.ts`, `indexing.ts` and `conv.ts`. The same
 * signatures as the shared parsers planned for `core/args.ts` (`parseAxis`, `parseAxes`,
 * `parseAxisArguments`, `checkSize`), so that when those land this file is deleted and its
 * importers import them from there instead.
 *
 * @since 0.1.0
 */
import { describeValue, invalidArgument, isPlainObject, parseOptions } from '../core/args.js';
import { ArgumentError, AxisError, formatShape, ShapeError } from '../core/errors.js';
import type { Shape } from '../core/shape.js';

function where(ndim: number, shape: Shape): string {
  return `a tensor of shape ${formatShape(shape)} (rank ${ndim})`;
}

/** One axis in `[-ndim, ndim)`, returned in `[0, ndim)`: `INVALID_ARGUMENT` for a non-integer, `AXIS_OUT_OF_RANGE` outside. */
export function parseAxis(op: string, param: string, v: unknown, ndim: number, shape: Shape): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= -ndim && v < ndim) return v < 0 ? v + ndim : v;
  const want = ndim === 0 ? 'a 0-d tensor has no axes' : `an axis is an integer in [${-ndim}, ${ndim - 1}] (negative axes count from the end)`;
  if (typeof v === 'number' && Number.isInteger(v)) throw new AxisError('AXIS_OUT_OF_RANGE', op, `axis ${v}${param === 'axis' ? '' : ` (${param})`} is out of range for ${where(ndim, shape)}; ${want}`);
  throw new ArgumentError('INVALID_ARGUMENT', op, `${param} is ${describeValue(v)}, not an integer, for ${where(ndim, shape)}; ${want}`);
}

/** An axis or an array of distinct axes, sorted; `undefined` is every axis. A repeated axis is `AXIS_OUT_OF_RANGE`. */
export function parseAxes(op: string, param: string, v: unknown, ndim: number, shape: Shape): ReadonlyArray<number> {
  if (v === undefined) return Array.from({ length: ndim }, (_, i) => i);
  if (!Array.isArray(v)) return [parseAxis(op, param, v, ndim, shape)];
  const out = v.map((a, i) => parseAxis(op, `${param}[${i}]`, a, ndim, shape)).sort((p, q) => p - q);
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1]) throw new AxisError('AXIS_OUT_OF_RANGE', op, `axis ${out[i]} is repeated in [${v.join(', ')}]; list each axis once`);
  }
  return out;
}

/**
 * The axis argument in either form: positional, `op(x, axis, rest)` (`rest` the positional value of
 * `restKey`, or an options object with `keys`), or one options object, `op(x, { axis, ...keys })`.
 * Unknown option keys are `UNKNOWN_OPTION`; anything after a leading options object is `INVALID_ARGUMENT`.
 */
export function parseAxisArguments<K extends string>(
  op: string,
  axisOrOptions: unknown,
  rest: unknown,
  keys: ReadonlyArray<K>,
  restKey?: K,
): { readonly axis?: unknown } & { readonly [P in K]?: unknown } {
  if (isPlainObject(axisOrOptions)) {
    const options = parseOptions(op, 'options', axisOrOptions, ['axis', ...keys]);
    if (rest !== undefined) invalidArgument(op, 'the argument after the options object', rest, 'put every option in the one options object');
    return options;
  }
  if (rest === undefined) return { axis: axisOrOptions } as { readonly axis?: unknown };
  if (isPlainObject(rest)) {
    if (keys.length === 0) invalidArgument(op, 'the argument after the axis', rest, 'omit it');
    return { ...parseOptions(op, 'options', rest, keys), axis: axisOrOptions };
  }
  if (restKey === undefined) invalidArgument(op, 'the argument after the axis', rest, 'omit it');
  return { axis: axisOrOptions, [restKey]: rest } as { readonly axis?: unknown } & { readonly [P in K]?: unknown };
}

/** The most elements one tensor may have: the longest typed array V8 makes. */
export const MAX_ELEMENTS = 2 ** 32;

/** Throws `ALLOCATION_TOO_LARGE` when a result of `shape` would have more elements than a buffer can hold. */
export function checkSize(op: string, shape: ReadonlyArray<number>): void {
  let n = 1;
  for (const d of shape) n *= d;
  if (n > MAX_ELEMENTS) {
    throw new ShapeError('ALLOCATION_TOO_LARGE', op, `shape ${formatShape(shape)} has ${n} elements, more than the ${MAX_ELEMENTS} a buffer can hold; use smaller dimensions`);
  }
}
