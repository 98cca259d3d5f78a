/**
 * Reductions over an axis or axes with `keepdims` (omitting the axis reduces every axis), and the
 * softmax family built on `logsumexp`. Axes are written as NumPy, JAX and tfjs users write them:
 * `sum(x, 1)`, `sum(x, [0, 2], true)`, `sum(x, [0, 2], { keepdims: true })` or
 * `sum(x, { axis: 1, keepdims: true })`; negative axes count from the end. `mean`, `softmax` and
 * `logSoftmax` are compositions of primitives, so their derivatives come for free.
 *
 * Conventions: `max`/`min` send the cotangent to every element equal to the extremum, split evenly.
 * A reduction over an axis of size 0 gives the identity of its fold where it has one (`sum`: 0,
 * `logsumexp`: -Infinity, log 0); `max`, `min` and `mean` have none (a maximum of nothing, 0/0), so
 * they refuse it with `SHAPE_MISMATCH`, as NumPy and JAX refuse `max` of a zero-size array, rather
 * than return ±Infinity or NaN.
 * `logsumexp`'s derivative (softmax) takes its limits where the result is infinite instead of
 * ∞ - ∞: 0 for a group that is entirely -Infinity, and an even split among the +Infinity elements of
 * a group that holds one. (`softmax` and `logSoftmax` of an all -Infinity group are NaN in value, 0/0,
 * as in JAX and PyTorch.)
 *
 * @since 0.1.0
 */
import { asTensor } from '../core/creation.js';
import { broadcastData, reduce, type Reducer } from '../core/kernels.js';
import { type AbstractValue, bind } from '../core/primitive.js';
import { checkArity, parseAxes, parseAxisArguments, parseBoolean } from '../core/args.js';
import { formatShape, ShapeError } from '../core/errors.js';
import { reducedShape, type Shape, sizeOf } from '../core/shape.js';
import { allocate, dataOf, fromData, makeScalar, type Tensor } from '../core/Tensor.js';
import { rule } from './combinators.js';
import type { Rule } from '../core/rule.js';
import { add, div, equal, exp, maximum, mul, type Operand, sub, where } from './elementwise.js';
import { broadcastTo, reshape } from './structure.js';

/** Static parameters of a reduction: normalised axes (sorted, distinct) and `keepdims`. */
export interface ReduceParams {
  readonly axes: ReadonlyArray<number>;
  readonly keepdims: boolean;
}

/**
 * Options of the reductions.
 *
 * @category reductions
 * @since 0.1.0
 */
export interface ReduceOptions {
  /** Axis or axes to reduce; all of them when omitted. Negative axes count from the end. */
  readonly axis?: number | ReadonlyArray<number>;
  /** Keep reduced axes as size-1 dimensions. */
  readonly keepdims?: boolean;
}

const REDUCE_EXAMPLES = [
  { args: [{ shape: [2, 3] }], params: { axes: [1], keepdims: false } },
  { args: [{ shape: [2, 3] }], params: { axes: [0, 1], keepdims: false } },
  { args: [{ shape: [2, 3, 2] }], params: { axes: [0, 2], keepdims: true } },
  { args: [{ shape: [] }], params: { axes: [], keepdims: false } },
];

const SUM: Reducer = { init: 0, step: (a, v) => a + v, kernel: 'sum' };
const MAX: Reducer = { init: -Infinity, step: (a, v) => (v > a || v !== v ? v : a) };
const MIN: Reducer = { init: Infinity, step: (a, v) => (v < a || v !== v ? v : a) };

function reduceShapeRule(_name: string) {
  // the axes were parsed by the public wrapper (sorted, distinct, in range)
  return (args: ReadonlyArray<AbstractValue>, p: ReduceParams): AbstractValue => {
    const x = args[0]!;
    return { shape: reducedShape(x.shape, p.axes, p.keepdims), dtype: x.dtype };
  };
}

/** The shape `x` has after reducing `axes` with keepdims. */
function keptShape(xShape: Shape, axes: ReadonlyArray<number>): Shape {
  return xShape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** A reduced value (or cotangent) reshaped so it broadcasts against the unreduced input. */
function keep(t: Tensor, xShape: Shape, p: ReduceParams): Tensor {
  return p.keepdims ? t : reshape(t, keptShape(xShape, p.axes));
}

/** Extremum rule: mask of the elements equal to the result, each weighted 1/count (ties split). */
function extremumWeights(x: Tensor, ans: Tensor, p: ReduceParams): Tensor {
  const mask = equal(x, keep(ans, x.shape, p));
  return div(mask, sum(mask, { axis: p.axes, keepdims: true }));
}

function extremum(name: string, reducer: Reducer): Rule<ReduceParams> {
  return rule<ReduceParams>({
    name,
    examples: REDUCE_EXAMPLES,
    batch: 'reduction',
    shape: reduceShapeRule(name),
    impl: ([x], p, out) => reduce(x!, p.axes, out.shape, out.dtype, reducer),
    jvp: ([x], [xDot], ans, p) => sum(mul(xDot as Tensor, extremumWeights(x!, ans, p)), { axis: p.axes, keepdims: p.keepdims }),
    vjp: (ct, [x], ans, p) => [mul(keep(ct, x!.shape, p), extremumWeights(x!, ans, p))],
  });
}

export const sumP: Rule<ReduceParams> = rule<ReduceParams>({
  name: 'sum',
  maskKind: 'linear',
  examples: REDUCE_EXAMPLES,
  batch: 'reduction',
  shape: reduceShapeRule('sum'),
  impl: ([x], p, out) => reduce(x!, p.axes, out.shape, out.dtype, SUM),
  jvp: (_primals, [xDot], _ans, p) => sum(xDot as Tensor, { axis: p.axes, keepdims: p.keepdims }), // linear
  vjp: (ct, [x], _ans, p) => [broadcastTo(keep(ct, x!.shape, p), x!.shape)],
});
export const maxP = extremum('max', MAX);
export const minP = extremum('min', MIN);

/**
 * The weights of logsumexp's derivative, softmax(x) = exp(x - ans), read off the output. `x - ans`
 * is ∞ - ∞ in a group whose result is infinite, so those groups take their limits instead: a group
 * that is entirely -∞ has weights 0 (logsumexp is -∞ for every finite change of it), and a group
 * holding +∞ splits its weight evenly among its +∞ elements (the limit of softmax, and `max`'s tie
 * rule). A NaN group stays NaN.
 */
function softmaxWeights(x: Tensor, ans: Tensor, p: ReduceParams): Tensor {
  const a = keep(ans, x.shape, p);
  const top = equal(a, Infinity);
  const infinite = add(top, equal(a, -Infinity));
  // shifting an infinite group by 0 instead keeps the -∞ group's weights exp(-∞) = 0
  const weights = exp(sub(x, where(infinite, 0, a)));
  const atTop = equal(x, Infinity);
  const ties = div(atTop, maximum(sum(atTop, { axis: p.axes, keepdims: true }), 1));
  return where(top, ties, weights);
}

// d logsumexp = Σ softmax(x) dx, with softmax from the output (see softmaxWeights)
export const logsumexpP: Rule<ReduceParams> = rule<ReduceParams>({
  name: 'logsumexp',
  examples: REDUCE_EXAMPLES,
  batch: 'reduction',
  shape: reduceShapeRule('logsumexp'),
  impl: ([x], p, out) => logsumexpKernel(x!, p, out.shape, out.dtype),
  jvp: ([x], [xDot], ans, p) => sum(mul(xDot as Tensor, softmaxWeights(x!, ans, p)), { axis: p.axes, keepdims: p.keepdims }),
  vjp: (ct, [x], ans, p) => [mul(keep(ct, x!.shape, p), softmaxWeights(x!, ans, p))],
});

/** Stable log-sum-exp: shift by the (finite) maximum of each group before exponentiating. */
function logsumexpKernel(x: Tensor, p: ReduceParams, outShape: Shape, dtype: Tensor['dtype']): Tensor {
  const kept = keptShape(x.shape, p.axes);
  const m = reduce(x, p.axes, kept, 'float64', MAX);
  const shift = broadcastData(m, x.shape);
  const src = dataOf(x);
  const e = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const s = shift[i]!;
    e[i] = Math.exp(src[i]! - (Number.isFinite(s) ? s : 0));
  }
  const total = dataOf(reduce(fromData(x.shape, 'float64', e), p.axes, kept, 'float64', SUM));
  const mData = dataOf(m);
  const out = allocate(dtype, sizeOf(outShape));
  for (let i = 0; i < out.length; i++) {
    const s = mData[i]!;
    out[i] = Math.log(total[i]!) + (Number.isFinite(s) ? s : 0);
  }
  return outShape.length === 0 ? makeScalar(out[0]!, dtype) : fromData(outShape, dtype, out);
}

/**
 * The axis argument of a reduction: one axis or several (negative ones count from the end); omitted,
 * every axis.
 *
 * @category reductions
 * @since 0.1.0
 */
export type Axes = number | ReadonlyArray<number>;

/**
 * What may follow a reduction's positional axis: `keepdims` itself, or `{ keepdims }`.
 *
 * @category reductions
 * @since 0.1.0
 */
export type KeepdimsOrOptions = boolean | Pick<ReduceOptions, 'keepdims'>;

/** The static parameters of a reduction from its arguments, in any of the accepted forms. */
function reduceParams(op: string, t: Tensor, axisOrOptions: unknown, rest: unknown): ReduceParams {
  const o = parseAxisArguments(op, axisOrOptions, rest, ['keepdims'], 'keepdims');
  return { axes: parseAxes(op, 'axis', o.axis, t.ndim, t.shape), keepdims: parseBoolean(op, 'keepdims', o.keepdims, false) };
}

/**
 * @internal Throws `SHAPE_MISMATCH` when `axes` of `shape` include one of size 0, for a reduction with
 * no identity (`max`, `min`, `mean`, and the orders of `norm` built on them): every group it reduces
 * would be empty, and its value would be a made-up ±Infinity or NaN. Checked on the whole axis, as
 * JAX does, also when the result has no elements.
 */
export function checkNonEmptyGroups(op: string, shape: Shape, axes: ReadonlyArray<number>, why: string): void {
  for (const a of axes) {
    if (shape[a] === 0) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        op,
        `x has shape ${formatShape(shape)} and axis ${a}, which it reduces, has size 0: ${why}; reduce only non-empty axes (or use where to give an empty case its own value)`,
      );
    }
  }
}

/** `empty`: why an empty group is refused, for a reduction with no identity (else it gives the identity). */
function reduction(prim: Rule<ReduceParams>, nargs: number, x: Operand, axisOrOptions: unknown, rest: unknown, empty?: string): Tensor {
  checkArity(prim.name, nargs, 3, `${prim.name}(x, axis?, keepdims?) or ${prim.name}(x, { axis, keepdims })`);
  const t = asTensor(prim.name, x);
  const p = reduceParams(prim.name, t, axisOrOptions, rest);
  if (empty !== undefined) checkNonEmptyGroups(prim.name, t.shape, p.axes, empty);
  return bind(prim, [t], p);
}

/**
 * Sum over `axis` (all axes by default). The axis is positional or an option; `keepdims` keeps the
 * reduced axes as size 1. An empty group sums to 0.
 * @example
 * import { sum, tensor, toArray } from 'adjoint'
 * const x = tensor([[1, 2], [3, 4]])
 * assert.equal(toArray(sum(x)), 10)
 * assert.deepEqual(toArray(sum(x, 0)), [4, 6])
 * assert.deepEqual(toArray(sum(x, -1, true)), [[3], [7]])
 * assert.deepEqual(toArray(sum(x, { axis: 1, keepdims: true })), [[3], [7]])
 * @category reductions
 * @since 0.1.0
 */
export function sum(x: Operand, axis?: Axes | ReduceOptions, keepdims?: KeepdimsOrOptions): Tensor {
  return reduction(sumP, arguments.length, x, axis, keepdims);
}

/**
 * Maximum over `axis`; NaN propagates. An axis of size 0 is refused (`SHAPE_MISMATCH`): an empty
 * group has no maximum.
 * @example
 * import { max, tensor, toArray, zeros, AdjointError } from 'adjoint'
 * assert.deepEqual(toArray(max(tensor([[1, 5], [3, 4]]), 1)), [5, 4])
 * assert.throws(() => max(zeros([2, 0]), 1), (e) => e instanceof AdjointError && e.code === 'SHAPE_MISMATCH')
 * @category reductions
 * @since 0.1.0
 */
export function max(x: Operand, axis?: Axes | ReduceOptions, keepdims?: KeepdimsOrOptions): Tensor {
  return reduction(maxP, arguments.length, x, axis, keepdims, 'an empty group has no maximum (max has no identity)');
}

/**
 * Minimum over `axis`; NaN propagates. An axis of size 0 is refused (`SHAPE_MISMATCH`), as for `max`.
 * @example
 * import { min, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(min(tensor([[1, 5], [3, 4]]), { axis: 1 })), [1, 3])
 * @category reductions
 * @since 0.1.0
 */
export function min(x: Operand, axis?: Axes | ReduceOptions, keepdims?: KeepdimsOrOptions): Tensor {
  return reduction(minP, arguments.length, x, axis, keepdims, 'an empty group has no minimum (min has no identity)');
}

/**
 * `log(sum(exp(x)))` over `axis`, computed without overflow. An empty group gives -Infinity (log 0).
 * @example
 * import { logsumexp, tensor, toArray } from 'adjoint'
 * assert.equal(toArray(logsumexp(tensor([1000, 1000]))), 1000 + Math.log(2))
 * @category reductions
 * @since 0.1.0
 */
export function logsumexp(x: Operand, axis?: Axes | ReduceOptions, keepdims?: KeepdimsOrOptions): Tensor {
  return reduction(logsumexpP, arguments.length, x, axis, keepdims);
}

/**
 * Arithmetic mean over `axis`. An axis of size 0 is refused (`SHAPE_MISMATCH`): the mean of an empty
 * group would be 0/0, a NaN.
 * @example
 * import { mean, tensor, toArray, zeros, AdjointError } from 'adjoint'
 * assert.equal(toArray(mean(tensor([1, 2, 3, 4]))), 2.5)
 * assert.throws(() => mean(zeros([0])), (e) => e instanceof AdjointError && e.code === 'SHAPE_MISMATCH')
 * assert.deepEqual(toArray(mean(tensor([[1, 2], [3, 4]]), [0], { keepdims: true })), [[2, 3]])
 * @category reductions
 * @since 0.1.0
 */
export function mean(x: Operand, axis?: Axes | ReduceOptions, keepdims?: KeepdimsOrOptions): Tensor {
  checkArity('mean', arguments.length, 3, 'mean(x, axis?, keepdims?) or mean(x, { axis, keepdims })');
  const t = asTensor('mean', x);
  const p = reduceParams('mean', t, axis, keepdims);
  checkNonEmptyGroups('mean', t.shape, p.axes, 'the mean of an empty group is 0/0');
  let count = 1;
  for (const a of p.axes) count *= t.shape[a]!;
  return div(bind(sumP, [t], p), count);
}

/** The axis of softmax and logSoftmax: positional (default: the last) or `{ axis }`. */
function softmaxAxes(op: string, nargs: number, t: Tensor, axis: unknown): ReduceParams {
  checkArity(op, nargs, 2, `${op}(x, axis?) or ${op}(x, { axis })`);
  const o = parseAxisArguments(op, axis, undefined, []);
  return { axes: parseAxes(op, 'axis', o.axis === undefined ? -1 : o.axis, t.ndim, t.shape), keepdims: true };
}

/**
 * `exp(x) / sum(exp(x))` along `axis` (default: the last; an array of axes normalises over all of
 * them), stable for large inputs.
 * @example
 * import { softmax, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(softmax(tensor([0, 0]))), [0.5, 0.5])
 * assert.deepEqual(toArray(softmax(tensor([[0, 0], [0, 0]]), { axis: 0 })), [[0.5, 0.5], [0.5, 0.5]])
 * @category reductions
 * @since 0.1.0
 */
export function softmax(x: Operand, axis?: Axes | Pick<ReduceOptions, 'axis'>): Tensor {
  const t = asTensor('softmax', x);
  const p = softmaxAxes('softmax', arguments.length, t, axis);
  return exp(sub(t, bind(logsumexpP, [t], p)));
}

/**
 * `x - logsumexp(x)` along `axis` (default: the last).
 * @example
 * import { logSoftmax, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(logSoftmax(tensor([0, 0]))), [-Math.log(2), -Math.log(2)])
 * @category reductions
 * @since 0.1.0
 */
export function logSoftmax(x: Operand, axis?: Axes | Pick<ReduceOptions, 'axis'>): Tensor {
  const t = asTensor('logSoftmax', x);
  const p = softmaxAxes('logSoftmax', arguments.length, t, axis);
  return sub(t, bind(logsumexpP, [t], p));
}
