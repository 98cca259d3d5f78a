/**
 * `norm` with NumPy's `ord` and `axis` semantics. The 2-norm (and the Frobenius norm, the same sum
 * over two axes) is one row, `norm2P`: its kernel scales by the largest entry so that squares neither
 * overflow nor underflow, and its rule fixes the derivative at 0. Every other order is a composition
 * of `abs`, `sum`, `max`/`min` and `pow`, whose rules and conventions it inherits.
 *
 * @since 0.1.0
 */
import { asTensor } from '../core/creation.js';
import { checkArity, describeValue, invalidArgument, isPlainObject, parseAxisList, parseBoolean, parseOptions } from '../core/args.js';
import { ArgumentError, formatShape } from '../core/errors.js';
import { norm2Kernel } from '../core/decompositionKernels.js';
import { bind } from '../core/primitive.js';
import type { Rule } from '../core/rule.js';
import { reducedShape, type Shape } from '../core/shape.js';
import type { Tensor } from '../core/Tensor.js';
import { rule } from './combinators.js';
import { abs, div, equal, mul, notEqual, type Operand, pow, where } from './elementwise.js';
import { checkNonEmptyGroups, max, min, type ReduceParams, sum } from './reduction.js';
import { reshape } from './structure.js';

/** A reduced value (or cotangent) with the reduced axes kept as size 1, to broadcast against `x`. */
function keep(t: Tensor, xShape: Shape, p: ReduceParams): Tensor {
  return p.keepdims ? t : reshape(t, xShape.map((d, i) => (p.axes.includes(i) ? 1 : d)));
}

// d‖x‖ = ⟨x, dx⟩ / ‖x‖ for x ≠ 0. At x = 0, where the norm has no derivative, the rule gives 0 (the
// minimum-norm subgradient) at every order: the `where`s keep the 0/0 out of the chain rule.
export const norm2P: Rule<ReduceParams> = rule<ReduceParams>({
  batch: 'reduction',
  name: 'norm2',
  examples: [
    { args: [{ shape: [3] }], params: { axes: [0], keepdims: false } },
    { args: [{ shape: [2, 3] }], params: { axes: [0, 1], keepdims: false } },
    { args: [{ shape: [2, 3, 2] }], params: { axes: [1], keepdims: true } },
    { args: [{ shape: [1, 4] }], params: { axes: [1], keepdims: false } },
  ],
  // the axes were parsed by the public wrapper (distinct, in range)
  shape: ([x], p) => ({ shape: reducedShape(x!.shape, p.axes, p.keepdims), dtype: x!.dtype }),
  impl: ([x], p, out) => norm2Kernel(x!, p.axes, out.shape, out.dtype),
  jvp: ([x], [xDot], ans, p) => {
    const zero = equal(ans, 0);
    return where(zero, 0, div(sum(mul(x!, xDot as Tensor), { axis: p.axes, keepdims: p.keepdims }), where(zero, 1, ans)));
  },
  vjp: (ct, [x], ans, p) => {
    const n = keep(ans, x!.shape, p);
    const zero = equal(n, 0);
    return [mul(keep(ct, x!.shape, p), where(zero, 0, div(x!, where(zero, 1, n))))];
  },
});

/** An order NumPy accepts: a number (±Infinity included) or `'fro'` / `'nuc'`; `null` is the default. */
export type NormOrder = number | 'fro' | 'nuc' | null;

/**
 * Options of `norm`, as an object instead of positional arguments.
 *
 * @category linear algebra
 * @since 0.1.0
 */
export interface NormOptions {
  readonly ord?: NormOrder;
  readonly axis?: number | readonly [number] | readonly [number, number] | null;
  readonly keepdims?: boolean;
}

function badOrder(ord: unknown, kind: 'vectors' | 'matrices', why: string): never {
  throw new ArgumentError('INVALID_ARGUMENT', 'norm', `ord ${typeof ord === 'string' ? JSON.stringify(ord) : describeValue(ord)} is not supported for ${kind}: ${why}`);
}

function vectorNorm(x: Tensor, ord: NormOrder, axis: number, keepdims: boolean): Tensor {
  const o = { axis, keepdims };
  if (ord === null || ord === 2) return bind(norm2P, [x], { axes: [axis], keepdims });
  if (ord === Infinity || ord === -Infinity) {
    checkNonEmptyGroups('norm', x.shape, [axis], `ord ${ord} is the ${ord > 0 ? 'largest' : 'smallest'} |x|, which an empty vector does not have`);
    return ord > 0 ? max(abs(x), o) : min(abs(x), o);
  }
  if (ord === 0) return sum(notEqual(x, 0), o); // a count: derivative 0
  if (ord === 1) return sum(abs(x), o);
  if (typeof ord !== 'number' || Number.isNaN(ord)) badOrder(ord, 'vectors', "use a number (±Infinity included), null or omit it; 'fro' and 'nuc' are matrix norms");
  if (ord < 1) badOrder(ord, 'vectors', 'orders other than 0 and -Infinity below 1 are not norms and their derivative is infinite at 0; use ord >= 1');
  // (Σ|x|ᵖ)^(1/p); at x = 0 the derivative is taken as 0, as for the 2-norm
  const s = sum(pow(abs(x), ord), o);
  const zero = equal(s, 0);
  return where(zero, 0, pow(where(zero, 1, s), 1 / ord));
}

function matrixNorm(x: Tensor, ord: NormOrder, rowAxis: number, colAxis: number, keepdims: boolean): Tensor {
  const axes = [rowAxis, colAxis];
  if (ord === null || ord === 'fro') return bind(norm2P, [x], { axes: [...axes].sort((p, q) => p - q), keepdims });
  let out: Tensor;
  // NumPy: 1 / -1 are the max / min absolute column sum, ±Infinity the max / min absolute row sum
  if (ord === 1 || ord === -1 || ord === Infinity || ord === -Infinity) {
    const [axis, sums] = ord === 1 || ord === -1 ? [colAxis, 'column'] : [rowAxis, 'row'];
    checkNonEmptyGroups('norm', x.shape, [axis], `ord ${ord} is the ${ord > 0 ? 'largest' : 'smallest'} absolute ${sums} sum, and a matrix with no ${sums}s has none`);
  }
  if (ord === 1) out = max(sum(abs(x), { axis: rowAxis, keepdims: true }), { axis: colAxis, keepdims: true });
  else if (ord === -1) out = min(sum(abs(x), { axis: rowAxis, keepdims: true }), { axis: colAxis, keepdims: true });
  else if (ord === Infinity) out = max(sum(abs(x), { axis: colAxis, keepdims: true }), { axis: rowAxis, keepdims: true });
  else if (ord === -Infinity) out = min(sum(abs(x), { axis: colAxis, keepdims: true }), { axis: rowAxis, keepdims: true });
  else if (ord === 2 || ord === -2 || ord === 'nuc') {
    badOrder(ord, 'matrices', "it needs singular values, and adjoint has no svd yet; the largest singular value is sqrt of the largest eigenvalue of xᵀx (eigh), or use 'fro', 1, -1, Infinity or -Infinity");
  } else badOrder(ord, 'matrices', "use null, 'fro', 1, -1, Infinity or -Infinity");
  return keepdims ? out : reshape(out, x.shape.filter((_, i) => i !== rowAxis && i !== colAxis));
}

function parseOrder(ord: unknown): NormOrder {
  if (ord === undefined || ord === null) return null;
  if (typeof ord === 'number' || ord === 'fro' || ord === 'nuc') return ord;
  return invalidArgument('norm', 'ord', ord, "pass a number (±Infinity included), 'fro', 'nuc' or null");
}

/** `axis`: one axis or a pair [row, column] (read by the shared axis parser, so errors read as in every op), or null. */
function parseAxis(axis: unknown, ndim: number, shape: Shape): number[] | null {
  if (axis === undefined || axis === null) return null;
  const list = typeof axis === 'number' ? [axis] : Array.isArray(axis) ? (axis as unknown[]) : undefined;
  if (list === undefined || list.length < 1 || list.length > 2) {
    return invalidArgument('norm', 'axis', axis, 'pass an axis, a pair of axes [row, column], or null');
  }
  return [...parseAxisList('norm', 'axis', list, ndim, shape)];
}

/**
 * Vector or matrix norm, following `numpy.linalg.norm(x, ord, axis, keepdims)`:
 *
 * - `axis` omitted: with `ord` omitted, the 2-norm of all entries (Frobenius for a matrix); with an
 *   `ord`, `x` must be 1-d (vector norm) or 2-d (matrix norm).
 * - `axis` a number (or `[axis]`): vector norms along it. `ord`: 2 (default), 1, `Infinity` (max
 *   |x|), `-Infinity` (min |x|), 0 (count of non-zeros), any p >= 1 ((Σ|x|ᵖ)^(1/p)).
 * - `axis` a pair `[row, column]`: matrix norms. `ord`: `'fro'` (default), 1 / -1 (max / min
 *   absolute column sum), `Infinity` / `-Infinity` (max / min absolute row sum). 2, -2 and `'nuc'`
 *   need singular values and throw `INVALID_ARGUMENT` (no svd yet), as does any other order.
 *
 * The result has x's dtype. Also callable as `norm(x, { ord, axis, keepdims })`. Derivatives: the 2-norm and Frobenius norm
 * have derivative x / ‖x‖, taken as 0 at x = 0 (no NaN); p-norms likewise at 0; `max`/`min` based
 * orders split ties evenly; `abs'(0) = 0`; ord 0 has derivative 0.
 *
 * Throws `INVALID_ARGUMENT` (unsupported order, bad axis argument, `ord` on a >2-d input without
 * `axis`), `AXIS_OUT_OF_RANGE`, `UNKNOWN_OPTION`, and `SHAPE_MISMATCH` for a max/min order over an
 * axis of size 0 (the largest entry of nothing).
 * @example
 * import { norm, tensor, toArray } from 'adjoint'
 * assert.equal(toArray(norm(tensor([3, 4]))), 5)
 * assert.equal(toArray(norm(tensor([3, -4]), 1)), 7)
 * assert.deepEqual(toArray(norm(tensor([[3, 4], [6, 8]]), 2, 1)), [5, 10])
 * assert.equal(toArray(norm(tensor([[1, -2], [3, 4]]), Infinity)), 7)
 * @category linear algebra
 * @since 0.1.0
 */
export function norm(x: Operand, ord?: NormOrder | NormOptions, axis?: NormOptions['axis'], keepdims?: boolean): Tensor {
  checkArity('norm', arguments.length, 4, 'norm(x, ord?, axis?, keepdims?) or norm(x, { ord, axis, keepdims })');
  let rawOrd: unknown = ord;
  let rawAxis: unknown = axis;
  let rawKeep: unknown = keepdims;
  if (isPlainObject(ord)) {
    if (axis !== undefined || keepdims !== undefined) {
      invalidArgument('norm', 'axis', axis ?? keepdims, 'pass either an options object or positional ord, axis, keepdims, not both');
    }
    const o = parseOptions('norm', 'options', ord, ['ord', 'axis', 'keepdims']);
    [rawOrd, rawAxis, rawKeep] = [o.ord, o.axis, o.keepdims];
  }
  const t = asTensor('norm', x);
  const order = parseOrder(rawOrd);
  const keep = parseBoolean('norm', 'keepdims', rawKeep, false);
  let axes = parseAxis(rawAxis, t.ndim, t.shape);
  if (axes === null) {
    if (order === null) return bind(norm2P, [t], { axes: t.shape.map((_, i) => i), keepdims: keep });
    if (t.ndim !== 1 && t.ndim !== 2) {
      throw new ArgumentError(
        'INVALID_ARGUMENT',
        'norm',
        `x has shape ${formatShape(t.shape)}; with ord ${String(order)} and no axis, norm needs a vector or a matrix; pass axis (a number or a pair of axes)`,
      );
    }
    axes = t.ndim === 1 ? [0] : [0, 1];
  }
  return axes.length === 1 ? vectorNorm(t, order, axes[0]!, keep) : matrixNorm(t, order, axes[0]!, axes[1]!, keep);
}
