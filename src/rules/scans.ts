/**
 * Scans, products, order statistics and moments along axes: `cumsum`, `cumprod`, `prod`,
 * `argmax`/`argmin`, `sort`/`argsort`/`topk`, `variance`/`std`. Axis arguments follow the library's
 * convention: positional (`cumsum(x, 1)`, `variance(x, 0, true)`) or one options object
 * (`variance(x, { axis: 0, ddof: 1 })`), negative axes counting from the end.
 *
 * Rows: `cumsum` (linear; its transpose is the reversed cumsum), `cumprod`, `prod`, and the
 * integer-valued `argmax`, `argmin`, `argsort` (no derivative). `sort` and `topk` gather values with
 * `takeAlongAxis` at `argsort`'s indices, so their values get `takeAlongAxis`'s gradient and their
 * indices none; `variance` and `std` are compositions of `mean`.
 *
 * Products at zeros: `prod`'s derivative is the product of the *other* entries (exclusive
 * prefix and suffix products, no division), and `cumprod`'s is built from cumulative products with
 * one entry replaced by 1, so both are exact where entries are 0 (a quotient `ans / x` would be NaN).
 * `cumprod`'s rules cost O(n²) along the axis.
 *
 * @since 0.1.0
 */
import { asTensor, eye } from '../core/creation.js';
import { checkArity, parseAxes, parseAxis, parseAxisArguments, parseBoolean, parseInteger } from '../core/args.js';
import { ShapeError, formatShape } from '../core/errors.js';
import { bind } from '../core/primitive.js';
import type { Rule } from '../core/rule.js';
import { reducedShape, type Shape, sizeOf } from '../core/shape.js';
import { allocate, dataOf, fromData, makeScalar, type Tensor } from '../core/Tensor.js';
import { Zero } from '../core/zero.js';
import { toFront } from '../core/batching.js';
import { rule } from './combinators.js';
import { div, mul, type Operand, sqrt, square, sub, where } from './elementwise.js';
import { takeAlongAxis } from './indexing.js';
import { type Axes, type KeepdimsOrOptions, mean, type ReduceOptions, sum } from './reduction.js';
import { broadcastTo, expandDims, pad, reshape, slice, transpose } from './structure.js';

/** Axis and direction of a scan. */
export interface ScanParams {
  readonly axis: number;
  readonly reverse: boolean;
}

/** Outer, length and inner sizes of `shape` around `axis`. */
function around(shape: Shape, axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))];
}

/** A cumulative fold along `axis` (forward or reversed), into a fresh buffer. */
function scanKernel(x: Tensor, p: ScanParams, dtype: Tensor['dtype'], init: number, step: (a: number, v: number) => number): Tensor {
  const [outer, n, inner] = around(x.shape, p.axis);
  const src = dataOf(x);
  const out = allocate(dtype, src.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = init;
      for (let k = 0; k < n; k++) {
        const j = p.reverse ? n - 1 - k : k;
        const at = (o * n + j) * inner + i;
        acc = step(acc, src[at]!);
        out[at] = acc;
      }
    }
  }
  return x.ndim === 0 ? makeScalar(out[0]!, dtype) : fromData(x.shape, dtype, out);
}

const SCAN_EXAMPLES = [
  { args: [{ shape: [5] }], params: { axis: 0, reverse: false } },
  { args: [{ shape: [2, 4, 3] }], params: { axis: 1, reverse: true } },
];

/** Batching rule of the scans: lanes first, the scanned axis one further. */
function batchScan(prim: () => Rule<ScanParams>) {
  return (args: ReadonlyArray<Tensor>, dims: ReadonlyArray<number | undefined>, p: ScanParams): readonly [Tensor, number] => [
    bind(prim(), [toFront(args[0]!, dims[0])], { axis: p.axis + 1, reverse: p.reverse }),
    0,
  ];
}

export const cumsumP: Rule<ScanParams> = rule<ScanParams>({
  name: 'cumsum',
  maskKind: 'linear',
  batch: batchScan(() => cumsumP),
  examples: SCAN_EXAMPLES,
  shape: ([x]) => x!,
  impl: ([x], p, out) => scanKernel(x!, p, out.dtype, 0, (a, v) => a + v),
  jvp: (_primals, [xDot], _ans, p) => bind(cumsumP, [xDot as Tensor], p), // linear
  vjp: (ct, _primals, _ans, p) => [bind(cumsumP, [ct], { axis: p.axis, reverse: !p.reverse })], // the transpose runs the other way
});

/**
 * `cumprod`'s Jacobian along the last axis, as a tensor `[..., n, n]` whose entry `[j, i]` is
 * `∂y_i/∂x_j = Π_{k ≤ i, k ≠ j} x_k` for `i ≥ j` and 0 below: the cumulative product of `x` with
 * entry `j` replaced by 1. Built with ops (cumprod itself), so it differentiates again.
 */
function cumprodJacobian(xLast: Tensor): Tensor {
  const n = xLast.shape[xLast.ndim - 1]!;
  const rows = broadcastTo(expandDims(xLast, -2), [...xLast.shape.slice(0, -1), n, n]); // [..., j, k] = x_k
  const identity = eye(n, n, { dtype: xLast.dtype });
  const replaced = where(identity, 1, rows);
  const upper = sub(1, tril(n, xLast.dtype)); // i ≥ j: 1 on and above the diagonal
  return mul(bind(cumprodP, [replaced], { axis: xLast.ndim, reverse: false }), upper);
}

/** 1 strictly below the diagonal of an n × n matrix, else 0. */
function tril(n: number, dtype: Tensor['dtype']): Tensor {
  const data = allocate(dtype, n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < r; c++) data[r * n + c] = 1;
  return fromData(Object.freeze([n, n]), dtype, data);
}

/** Moves `axis` to the end (and back): the Jacobian helpers work on the last axis. */
const toLast = (t: Tensor, axis: number): Tensor => transpose(t, [...t.shape.keys()].filter((a) => a !== axis).concat(axis));
const fromLast = (t: Tensor, axis: number): Tensor => {
  const perm = [...t.shape.keys()];
  perm.splice(axis, 0, perm.pop()!);
  return transpose(t, perm);
};
/** Reverses the last axis (for reversed scans). */
const flipLast = (t: Tensor): Tensor => {
  const n = t.shape[t.ndim - 1]!;
  return takeAlongAxis(t, broadcastTo(fromData(Object.freeze([n]), 'float64', Float64Array.from({ length: n }, (_, i) => n - 1 - i)), t.shape), t.ndim - 1);
};

/** y = cumprod(x) along the last axis, and its tangent map and transpose through the Jacobian. */
function cumprodLinear(x: Tensor, p: ScanParams, v: Tensor, transposed: boolean): Tensor {
  let xl = toLast(x, p.axis);
  let vl = toLast(v, p.axis);
  if (p.reverse) [xl, vl] = [flipLast(xl), flipLast(vl)];
  const jac = cumprodJacobian(xl); // [..., j, i]
  // forward: ẏ_i = Σ_j J[j, i] ẋ_j; transpose: x̄_j = Σ_i J[j, i] ȳ_i
  const r = transposed ? sum(mul(jac, expandDims(vl, -2)), { axis: -1 }) : sum(mul(jac, expandDims(vl, -1)), { axis: -2 });
  return fromLast(p.reverse ? flipLast(r) : r, p.axis);
}

export const cumprodP: Rule<ScanParams> = rule<ScanParams>({
  name: 'cumprod',
  batch: batchScan(() => cumprodP),
  examples: [
    { args: [{ shape: [4] }], params: { axis: 0, reverse: false } },
    { args: [{ shape: [2, 3] }], params: { axis: 1, reverse: true } },
    { args: [{ shape: [3, 2] }, ], params: { axis: 0, reverse: false } },
  ],
  shape: ([x]) => x!,
  impl: ([x], p, out) => scanKernel(x!, p, out.dtype, 1, (a, v) => a * v),
  jvp: ([x], [xDot], _ans, p) => cumprodLinear(x!, p, xDot as Tensor, false),
  vjp: (ct, [x], _ans, p) => [cumprodLinear(x!, p, ct, true)],
});

/** The parameters of a scan from `(axis, options)` in either form; no axis means the flattened input. */
function scanArguments(op: string, nargs: number, x: Operand, axisOrOptions: unknown, rest: unknown): { x: Tensor; p: ScanParams } {
  checkArity(op, nargs, 3, `${op}(x, axis?, { reverse }?) or ${op}(x, { axis, reverse })`);
  const t = asTensor(op, x);
  const o = parseAxisArguments(op, axisOrOptions, rest, ['reverse']);
  const reverse = parseBoolean(op, 'reverse', o.reverse, false);
  if (o.axis === undefined) return { x: reshape(t, [t.size]), p: { axis: 0, reverse } };
  return { x: t, p: { axis: parseAxis(op, 'axis', o.axis, t.ndim, t.shape), reverse } };
}

/**
 * Options of the scans.
 *
 * @category reductions
 * @since 0.1.0
 */
export interface CumulativeOptions {
  /** The axis to scan (default: none, the flattened input, as NumPy). */
  readonly axis?: number;
  /** Scan from the end of the axis (JAX's `lax.cumsum(..., reverse=True)`). */
  readonly reverse?: boolean;
}

/**
 * Cumulative sum along `axis` (`jnp.cumsum`); without an axis, of the flattened input. `reverse`
 * sums from the end. Linear: its gradient is the reversed cumulative sum of the cotangent.
 * @example
 * import { cumsum, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(cumsum(tensor([1, 2, 3, 4]))), [1, 3, 6, 10])
 * assert.deepEqual(toArray(cumsum(tensor([[1, 2], [3, 4]]), 0)), [[1, 2], [4, 6]])
 * assert.deepEqual(toArray(cumsum(tensor([1, 2, 3]), { axis: 0, reverse: true })), [6, 5, 3])
 * @category reductions
 * @since 0.1.0
 */
export function cumsum(x: Operand, axis?: number | CumulativeOptions, options?: Pick<CumulativeOptions, 'reverse'>): Tensor {
  const { x: u, p } = scanArguments('cumsum', arguments.length, x, axis, options);
  return bind(cumsumP, [u], p);
}

/**
 * Cumulative product along `axis` (`jnp.cumprod`); without an axis, of the flattened input. Its
 * derivative is exact at zeros (no division); the rules cost O(n²) along the axis.
 * @example
 * import { cumprod, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(cumprod(tensor([1, 2, 3, 4]))), [1, 2, 6, 24])
 * assert.deepEqual(toArray(cumprod(tensor([[1, 2], [3, 4]]), { axis: 1, reverse: true })), [[2, 2], [12, 4]])
 * @category reductions
 * @since 0.1.0
 */
export function cumprod(x: Operand, axis?: number | CumulativeOptions, options?: Pick<CumulativeOptions, 'reverse'>): Tensor {
  const { x: u, p } = scanArguments('cumprod', arguments.length, x, axis, options);
  return bind(cumprodP, [u], p);
}

// ---- prod ------------------------------------------------------------------------------------------

/** The reduction parameters (one axis, moved last by the wrapper). */
export interface ProdParams {
  readonly keepdims: boolean;
}

/** Π over the last axis of `x`, with the product of the others as its partials. */
function exclusiveProducts(x: Tensor): Tensor {
  const n = x.shape[x.ndim - 1]!;
  const last = x.ndim - 1;
  const widths = (before: number, after: number) => x.shape.map((_, i) => (i === last ? ([before, after] as const) : ([0, 0] as const)));
  // Π_{k<j} x_k and Π_{k>j} x_k: cumulative products shifted by one, padded with the identity 1
  const before = pad(slice(bind(cumprodP, [x], { axis: last, reverse: false }), x.shape.map(() => 0), x.shape.map((d, i) => (i === last ? n - 1 : d))), widths(1, 0), 1);
  const after = pad(slice(bind(cumprodP, [x], { axis: last, reverse: true }), x.shape.map((_, i) => (i === last ? 1 : 0))), widths(0, 1), 1);
  return mul(before, after);
}

export const prodP: Rule<ProdParams> = rule<ProdParams>({
  name: 'prod',
  batch: 'leading', // reduces the last axis: leading axes are independent
  examples: [
    { args: [{ shape: [4] }], params: { keepdims: false } },
    { args: [{ shape: [2, 3] }], params: { keepdims: true } },
  ],
  shape: ([x], p) => ({ shape: Object.freeze(p.keepdims ? [...x!.shape.slice(0, -1), 1] : x!.shape.slice(0, -1)), dtype: x!.dtype }),
  impl: ([x], _p, out) => {
    const n = x!.shape[x!.ndim - 1]!;
    const src = dataOf(x!);
    const data = allocate(out.dtype, sizeOf(out.shape));
    for (let o = 0; o < data.length; o++) {
      let acc = 1;
      for (let k = 0; k < n; k++) acc *= src[o * n + k]!;
      data[o] = acc;
    }
    return out.shape.length === 0 ? makeScalar(data[0]!, out.dtype) : fromData(out.shape, out.dtype, data);
  },
  // d Π x = Σ_j (Π_{k≠j} x_k) dx_j
  jvp: ([x], [xDot], _ans, p) => sum(mul(xDot as Tensor, exclusiveProducts(x!)), { axis: -1, keepdims: p.keepdims }),
  vjp: (ct, [x], _ans, p) => [mul(p.keepdims ? ct : expandDims(ct, -1), exclusiveProducts(x!))],
});

/** Moves `axes` to the end and merges them into one, for a row that reduces its last axis. */
function mergeLast(t: Tensor, axes: ReadonlyArray<number>): Tensor {
  const keep = [...t.shape.keys()].filter((a) => !axes.includes(a));
  const moved = transpose(t, [...keep, ...axes]);
  return reshape(moved, [...keep.map((a) => t.shape[a]!), axes.reduce((n, a) => n * t.shape[a]!, 1)]);
}

/** The axes and `keepdims` of a reduction in any of the accepted forms (see `sum`), and the raw options. */
function parseAxesArg(op: string, t: Tensor, axisOrOptions: unknown, rest: unknown, keys: ReadonlyArray<'keepdims' | 'ddof'>) {
  const o = parseAxisArguments(op, axisOrOptions, rest, keys, 'keepdims');
  const axes = parseAxes(op, 'axis', o.axis, t.ndim, t.shape);
  return { axes, keepdims: parseBoolean(op, 'keepdims', o.keepdims, false), o };
}

/**
 * Product over `axis` (all axes by default), as `jnp.prod`, with the axis arguments of `sum`
 * (`prod(x, 1)`, `prod(x, [0, 1], true)`, `prod(x, { axis: -1, keepdims: true })`). The gradient of
 * each entry is the product of the others, exact where entries are 0.
 * @example
 * import { prod, grad, tensor, toArray } from 'adjoint'
 * assert.equal(toArray(prod(tensor([[1, 2], [3, 4]]))), 24)
 * assert.deepEqual(toArray(prod(tensor([[1, 2], [3, 4]]), 1)), [2, 12])
 * assert.deepEqual(toArray(prod(tensor([[1, 2], [3, 4]]), { axis: -2, keepdims: true })), [[3, 8]])
 * assert.deepEqual(toArray(grad((x) => prod(x))(tensor([2, 0, 3]))), [0, 6, 0])
 * @category reductions
 * @since 0.1.0
 */
export function prod(x: Operand, axis?: Axes | ReduceOptions, keepdims?: KeepdimsOrOptions): Tensor {
  checkArity('prod', arguments.length, 3, 'prod(x, axis?, keepdims?) or prod(x, { axis, keepdims })');
  const t = asTensor('prod', x);
  const { axes, keepdims: keep } = parseAxesArg('prod', t, axis, keepdims, ['keepdims']);
  const r = bind(prodP, [mergeLast(t, axes)], { keepdims: false });
  return reshape(r, reducedShape(t.shape, axes, keep));
}

// ---- variance and std ----------------------------------------------------------------------------

/**
 * Options of `variance` and `std`.
 *
 * @category reductions
 * @since 0.1.0
 */
export interface MomentOptions extends ReduceOptions {
  /** Delta degrees of freedom: the divisor is `n - ddof` (default 0; 1 gives the unbiased sample variance). */
  readonly ddof?: number;
}

function moments(op: string, nargs: number, x: Operand, axisOrOptions: unknown, rest: unknown): Tensor {
  checkArity(op, nargs, 3, `${op}(x, axis?, keepdims?) or ${op}(x, axis?, { keepdims, ddof }) or ${op}(x, { axis, keepdims, ddof })`);
  const t = asTensor(op, x);
  const { axes, keepdims, o } = parseAxesArg(op, t, axisOrOptions, rest, ['keepdims', 'ddof']);
  const n = axes.reduce((k, a) => k * t.shape[a]!, 1);
  // the divisor n - ddof must be positive: no silent NaN or Infinity (or negative variance)
  if (n === 0) throw new ShapeError('SHAPE_MISMATCH', op, `the axes [${axes.join(', ')}] of a tensor of shape ${formatShape(t.shape)} hold no elements; there is no ${op} of nothing`);
  const ddof = o.ddof === undefined ? 0 : parseInteger(op, 'ddof', o.ddof, { min: 0, max: n - 1 });
  const centred = sub(t, mean(t, { axis: axes, keepdims: true }));
  return div(sum(square(centred), { axis: axes, keepdims }), n - ddof);
}

/**
 * Variance over `axis` (all axes by default): `Σ (x - mean)² / (n - ddof)`, as `jnp.var` (`var` is
 * a reserved word, hence the name). `ddof: 1` gives the unbiased sample variance.
 *
 * The axis arguments are `sum`'s, with `ddof` as one more option:
 * `variance(x, [0, 1], { ddof: 1, keepdims: true })`.
 *
 * Errors: `INVALID_ARGUMENT` unless `ddof` is an integer in `[0, n)` (`n` the number of elements
 * reduced), so the divisor `n - ddof` is positive; `SHAPE_MISMATCH` when the axes hold no elements.
 * @example
 * import { variance, tensor, toArray } from 'adjoint'
 * assert.equal(toArray(variance(tensor([1, 2, 3, 4]))), 1.25)
 * assert.equal(toArray(variance(tensor([1, 2, 3, 4]), { ddof: 1 })), 5 / 3)
 * assert.deepEqual(toArray(variance(tensor([[1, 3], [2, 2]]), 1, true)), [[1], [0]])
 * assert.deepEqual(toArray(variance(tensor([[1, 3], [2, 2]]), [0, 1], { ddof: 1, keepdims: true })), [[2 / 3]])
 * @category reductions
 * @since 0.1.0
 */
export function variance(x: Operand, axis?: Axes | MomentOptions, keepdims?: boolean | Omit<MomentOptions, 'axis'>): Tensor {
  return moments('variance', arguments.length, x, axis, keepdims);
}

/**
 * Standard deviation over `axis`: `sqrt(variance(x, ...))`, with the same options (`ddof`). Its
 * gradient is infinite or NaN where the variance is 0 (a constant slice), as `sqrt`'s.
 * @example
 * import { std, tensor, toArray } from 'adjoint'
 * assert.equal(toArray(std(tensor([2, 4, 4, 4, 5, 5, 7, 9]))), 2)
 * @category reductions
 * @since 0.1.0
 */
export function std(x: Operand, axis?: Axes | MomentOptions, keepdims?: boolean | Omit<MomentOptions, 'axis'>): Tensor {
  return sqrt(moments('std', arguments.length, x, axis, keepdims));
}

// ---- argmax, argmin, argsort ---------------------------------------------------------------------

/** The axis (moved last by the wrapper) and, for argsort, the order. */
export interface ArgParams {
  readonly descending: boolean;
}

function argExtremum(name: string, better: (v: number, best: number) => boolean): Rule<ArgParams> {
  return rule<ArgParams>({
    name,
    batch: 'leading', // searches the last axis: leading axes are independent
    examples: [{ args: [{ shape: [2, 4] }], params: { descending: false } }],
    shape: ([x]) => ({ shape: Object.freeze(x!.shape.slice(0, -1)), dtype: 'float64' }),
    impl: ([x], _p, out) => {
      const n = x!.shape[x!.ndim - 1]!;
      const src = dataOf(x!);
      const data = new Float64Array(sizeOf(out.shape));
      for (let o = 0; o < data.length; o++) {
        let best = 0;
        for (let k = 1; k < n; k++) {
          const v = src[o * n + k]!;
          const b = src[o * n + best]!;
          // NaN wins (as max), and the first index wins ties
          if (b === b && (v !== v || better(v, b))) best = k;
        }
        data[o] = best;
      }
      return out.shape.length === 0 ? makeScalar(data[0]!, 'float64') : fromData(out.shape, 'float64', data);
    },
    jvp: () => Zero, // integer-valued: no derivative
    vjp: () => [Zero],
  });
}

export const argmaxP = argExtremum('argmax', (v, b) => v > b);
export const argminP = argExtremum('argmin', (v, b) => v < b);

export const argsortP: Rule<ArgParams> = rule<ArgParams>({
  name: 'argsort',
  batch: 'leading', // sorts the last axis: leading axes are independent
  examples: [
    { args: [{ shape: [5] }], params: { descending: false } },
    { args: [{ shape: [2, 3] }], params: { descending: true } },
  ],
  shape: ([x]) => ({ shape: x!.shape, dtype: 'float64' }),
  impl: ([x], p, out) => {
    const n = x!.shape[x!.ndim - 1]!;
    const src = dataOf(x!);
    const data = new Float64Array(src.length);
    const order = Array.from({ length: n }, (_, i) => i);
    // NaN is the largest value (as argmax, jnp.sort and lax.top_k): last ascending, first
    // descending; ties, NaNs among them, keep their order (a stable sort)
    const key = (v: number): number => (p.descending ? -v : v);
    for (let o = 0; o < src.length / Math.max(n, 1); o++) {
      const base = o * n;
      const idx = order.slice().sort((a, b) => {
        const ka = key(src[base + a]!);
        const kb = key(src[base + b]!);
        const nanA = src[base + a]! !== src[base + a]!;
        const nanB = src[base + b]! !== src[base + b]!;
        if (nanA !== nanB) return nanA !== p.descending ? 1 : -1;
        if (nanA) return a - b;
        return ka < kb ? -1 : ka > kb ? 1 : a - b;
      });
      for (let k = 0; k < n; k++) data[base + k] = idx[k]!;
    }
    return x!.ndim === 0 ? makeScalar(0, 'float64') : fromData(out.shape, 'float64', data);
  },
  jvp: () => Zero,
  vjp: () => [Zero],
});

/**
 * Options of `argmax` and `argmin`.
 *
 * @category reductions
 * @since 0.1.0
 */
export interface ArgOptions {
  /** The axis to search (default: none, the flattened input, as NumPy). */
  readonly axis?: number;
  /** Keep the reduced axis as a size-1 dimension. */
  readonly keepdims?: boolean;
}

function argReduce(prim: Rule<ArgParams>, nargs: number, x: Operand, axisOrOptions: unknown, rest: unknown): Tensor {
  const op = prim.name;
  checkArity(op, nargs, 3, `${op}(x, axis?, keepdims?) or ${op}(x, { axis, keepdims })`);
  const t = asTensor(op, x);
  const o = parseAxisArguments(op, axisOrOptions, rest, ['keepdims'], 'keepdims');
  const keepdims = parseBoolean(op, 'keepdims', o.keepdims, false);
  const empty = (what: string): never => {
    throw new ShapeError('SHAPE_MISMATCH', op, `${what} of a tensor of shape ${formatShape(t.shape)} is empty, and has no ${op === 'argmax' ? 'maximum' : 'minimum'}`);
  };
  if (o.axis === undefined) {
    if (t.size === 0) empty('the flattened input');
    const r = bind(prim, [reshape(t, [t.size])], { descending: false });
    return keepdims ? reshape(r, t.shape.map(() => 1)) : r;
  }
  const axis = parseAxis(op, 'axis', o.axis, t.ndim, t.shape);
  if (t.shape[axis] === 0) empty(`axis ${axis}`);
  const r = bind(prim, [toLast(t, axis)], { descending: false });
  return keepdims ? expandDims(r, axis) : r;
}

/**
 * Index of the maximum along `axis` (default: of the flattened input), as `jnp.argmax`: the first
 * one on ties, NaN counting as the maximum. Integer-valued (in a float64 tensor), with no derivative.
 * @example
 * import { argmax, tensor, toArray } from 'adjoint'
 * assert.equal(toArray(argmax(tensor([[1, 9], [7, 3]]))), 1)
 * assert.deepEqual(toArray(argmax(tensor([[1, 9], [7, 3]]), 1)), [1, 0])
 * assert.deepEqual(toArray(argmax(tensor([[1, 9], [7, 3]]), { axis: 0, keepdims: true })), [[1, 0]])
 * @category reductions
 * @since 0.1.0
 */
export function argmax(x: Operand, axis?: number | ArgOptions, keepdims?: boolean | Pick<ArgOptions, 'keepdims'>): Tensor {
  return argReduce(argmaxP, arguments.length, x, axis, keepdims);
}

/**
 * Index of the minimum along `axis` (default: of the flattened input), as `jnp.argmin`: the first
 * one on ties, NaN counting as the minimum. Integer-valued, with no derivative.
 * @example
 * import { argmin, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(argmin(tensor([[1, 9], [7, 3]]), -1)), [0, 1])
 * @category reductions
 * @since 0.1.0
 */
export function argmin(x: Operand, axis?: number | ArgOptions, keepdims?: boolean | Pick<ArgOptions, 'keepdims'>): Tensor {
  return argReduce(argminP, arguments.length, x, axis, keepdims);
}

/**
 * Options of `sort` and `argsort`.
 *
 * @category reductions
 * @since 0.1.0
 */
export interface SortOptions {
  /** The axis to sort along (default -1, the last). */
  readonly axis?: number;
  /** Largest first (default false). NaN counts as the largest value: last ascending, first descending. */
  readonly descending?: boolean;
}

function sortArguments(op: string, nargs: number, x: Operand, axisOrOptions: unknown, rest: unknown): { t: Tensor; axis: number; descending: boolean } {
  checkArity(op, nargs, 3, `${op}(x, axis?, { descending }?) or ${op}(x, { axis, descending })`);
  const t = asTensor(op, x);
  const o = parseAxisArguments(op, axisOrOptions, rest, ['descending']);
  // (a 0-d tensor has no axis -1: AXIS_OUT_OF_RANGE, as softmax's)
  const axis = parseAxis(op, 'axis', o.axis === undefined ? -1 : o.axis, t.ndim, t.shape);
  return { t, axis, descending: parseBoolean(op, 'descending', o.descending, false) };
}

/**
 * The indices that sort `x` along `axis` (default -1), as `jnp.argsort`: stable (ties keep their
 * order), NaN counting as the largest value (last ascending, first descending). Integer-valued,
 * with no derivative.
 * @example
 * import { argsort, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(argsort(tensor([3, 1, 2]))), [1, 2, 0])
 * assert.deepEqual(toArray(argsort(tensor([3, 1, 2]), { descending: true })), [0, 2, 1])
 * @category reductions
 * @since 0.1.0
 */
export function argsort(x: Operand, axis?: number | SortOptions, options?: Pick<SortOptions, 'descending'>): Tensor {
  const { t, axis: a, descending } = sortArguments('argsort', arguments.length, x, axis, options);
  return fromLast(bind(argsortP, [toLast(t, a)], { descending }), a);
}

/**
 * `x` sorted along `axis` (default -1), ascending unless `descending`; NaN counts as the largest value
 * (last ascending, first descending, as `jnp.sort`). The values are
 * differentiable: each entry's cotangent goes back to the entry it came from.
 * @example
 * import { sort, grad, sum, mul, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(sort(tensor([[3, 1, 2], [0, 5, 4]]))), [[1, 2, 3], [0, 4, 5]])
 * assert.deepEqual(toArray(sort(tensor([3, 1, 2]), { descending: true })), [3, 2, 1])
 * // weights 1, 2, 3 by rank: the smallest entry gets 1
 * assert.deepEqual(toArray(grad((x) => sum(mul(sort(x), tensor([1, 2, 3]))))(tensor([3, 1, 2]))), [3, 1, 2])
 * @category reductions
 * @since 0.1.0
 */
export function sort(x: Operand, axis?: number | SortOptions, options?: Pick<SortOptions, 'descending'>): Tensor {
  const { t, axis: a, descending } = sortArguments('sort', arguments.length, x, axis, options);
  return takeAlongAxis(t, fromLast(bind(argsortP, [toLast(t, a)], { descending }), a), a);
}

/**
 * The `k` largest entries along the last axis and their indices, largest first (`jax.lax.top_k`):
 * `[values, indices]`, each of shape `[..., k]`. Ties keep their order. NaN counts as the largest
 * value, so NaN entries come first (as `lax.top_k` and `torch.topk`). The values are
 * differentiable (as `sort`); the indices are integer-valued and have no derivative.
 *
 * Errors: `INVALID_ARGUMENT` unless `1 ≤ k ≤` the last axis's size.
 * @example
 * import { topk, tensor, toArray } from 'adjoint'
 * const [values, indices] = topk(tensor([[1, 5, 3, 4]]), 2)
 * assert.deepEqual(toArray(values), [[5, 4]])
 * assert.deepEqual(toArray(indices), [[1, 3]])
 * assert.deepEqual(toArray(topk(tensor([1, NaN, 3]), 2)[1]), [1, 2])
 * @category reductions
 * @since 0.1.0
 */
export function topk(x: Operand, k: number): readonly [Tensor, Tensor] {
  const op = 'topk';
  checkArity(op, arguments.length, 2, 'topk(x, k)');
  const t = asTensor(op, x);
  if (t.ndim === 0) throw new ShapeError('SHAPE_MISMATCH', op, 'topk needs at least one axis; got a 0-d tensor');
  const n = t.shape[t.ndim - 1]!;
  const kk = parseInteger(op, 'k', k, { min: 1, max: n });
  const order = bind(argsortP, [t], { descending: true });
  const indices = slice(order, t.shape.map(() => 0), [...t.shape.slice(0, -1), kk]);
  return Object.freeze([takeAlongAxis(t, indices, t.ndim - 1), indices] as const);
}
