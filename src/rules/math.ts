/**
 * More elementwise primitives: rounding (`floor`, `ceil`, `round`, zero derivative), `clip`, the
 * error function, and the numerically stable forms of the softplus family (`softplus`,
 * `logSigmoid`, `logaddexp`), which losses need in order to stay finite at large |x|. One row each,
 * with rules written with the library's ops, as in `elementwise.ts`.
 *
 * Conventions: the rounding functions' derivative is 0 (it is undefined at their jumps; taken as 0
 * there too). `clip(x, lo, hi)` sends the cotangent to `x` on the closed interval `lo <= x <= hi`,
 * to `lo` where `x < lo` and to `hi` where the result is `hi`; when `lo > hi` the result is `hi`.
 * `logaddexp` splits ties evenly (`x = y`, including two infinities of the same sign).
 *
 * @since 0.1.0
 */
import { checkArity, invalidArgument } from '../core/args.js';
import { argumentValues, describeLanes } from '../core/BatchTrace.js';
import { ArgumentError } from '../core/errors.js';
import { asTensor } from '../core/creation.js';
import { mapTernary, promote } from '../core/kernels.js';
import { bind } from '../core/primitive.js';
import type { Rule } from '../core/rule.js';
import { broadcastShapes } from '../core/shape.js';
import type { Tensor } from '../core/Tensor.js';
import { isZero, Zero } from '../core/zero.js';
import { addTangents, binary, rule, unary, unaryZero } from './combinators.js';
import { type BinaryOp, binaryOp, binaryOperands, equal, exp, greaterEqual, less, lessEqual, mul, neg, type Operand, sigmoid, square, sub, unaryOp, where } from './elementwise.js';

// ---- kernels on numbers -------------------------------------------------------------------------

const sigmoidOf = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
/** log(1 + eˣ) = max(x, 0) + log1p(e^-|x|): never overflows, exact in the tails. */
const softplusOf = (v: number): number => (v !== v ? v : Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
const logaddexpOf = (x: number, y: number): number => {
  if (x === y) return x + Math.LN2; // also ±Infinity twice, where x - y would be NaN
  const m = Math.max(x, y);
  return m + Math.log1p(Math.exp(-Math.abs(x - y)));
};
/** Round half to even, as NumPy and `jnp.round`. */
const roundHalfEven = (v: number): number => {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * erf to about 1e-15 relative: the Maclaurin series below |x| = 2 (terms peak near e^{x²}/√π, so at
 * most two digits are lost), and above it 1 - erfc(x) with erfc from its continued fraction
 * (modified Lentz), which converges fast there. Accuracy matters: finite-difference checks of
 * derivatives amplify a kernel's error by 1/eps.
 */
export function erfOf(x: number): number {
  if (x !== x) return x;
  const a = Math.abs(x);
  if (a < 2) {
    const x2 = x * x;
    let term = x;
    let total = x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      total += t;
      if (Math.abs(t) < 1e-17 * Math.abs(total)) break;
    }
    return TWO_OVER_SQRT_PI * total;
  }
  if (a > 6) return Math.sign(x); // erfc(6) ≈ 2e-17, below float64's spacing at 1
  // erfc(a) = e^{-a²}/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
  const tiny = 1e-300;
  let f = a;
  let c = a;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const k = n / 2;
    d = a + k * d;
    d = d === 0 ? tiny : d;
    c = a + k / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

// ---- rows ---------------------------------------------------------------------------------------

export const floorP = unaryZero('floor', Math.floor); // floor' = 0 (undefined at integers, taken as 0)
export const ceilP = unaryZero('ceil', Math.ceil); // ceil' = 0 (undefined at integers, taken as 0)
export const roundP = unaryZero('round', roundHalfEven); // round' = 0 (undefined at half-integers, taken as 0)
export const erfP = unary('erf', erfOf, (x) => mul(TWO_OVER_SQRT_PI, exp(neg(square(x)))), { scalar: (x) => TWO_OVER_SQRT_PI * Math.exp(-x * x) }); // d erf = (2/√π) e^{-x²}
export const softplusP = unary('softplus', softplusOf, (x) => sigmoid(x), { scalar: (x) => sigmoidOf(x) }); // d softplus = σ(x)
export const logSigmoidP = unary('logSigmoid', (v) => -softplusOf(-v), (x) => sigmoid(neg(x)), { scalar: (x) => sigmoidOf(-x) }); // d log σ(x) = σ(-x)
// d logaddexp = σ(x - y) dx + σ(y - x) dy; ties (also equal infinities, where x - y is NaN) split evenly
export const logaddexpP = binary('logaddexp', logaddexpOf, [
  (x, y) => where(equal(x, y), 0.5, sigmoid(sub(x, y))),
  (x, y) => where(equal(x, y), 0.5, sigmoid(sub(y, x))),
], { scalar: [(x, y) => (x === y ? 0.5 : sigmoidOf(x - y)), (x, y) => (x === y ? 0.5 : sigmoidOf(y - x))] });

const clipOf = (x: number, lo: number, hi: number): number => (x !== x ? x : Math.min(Math.max(x, lo), hi));

/** The three partials of `clip`: 0/1 masks that sum to 1 (see the module comment). */
function clipPartials(x: Tensor, lo: Tensor, hi: Tensor): readonly [Tensor, Tensor, Tensor] {
  const inside = mul(greaterEqual(x, lo), lessEqual(x, hi));
  const below = mul(less(x, lo), lessEqual(lo, hi));
  const above = sub(sub(1, inside), below);
  return [inside, below, above];
}

// d clip(x, lo, hi) = [lo ≤ x ≤ hi] dx + [x < lo ≤ hi] dlo + [otherwise] dhi
export const clipP: Rule<void> = rule<void>({
  name: 'clip',
  examples: [
    { args: [{ shape: [2, 3] }, { shape: [], values: [-0.5] }, { shape: [3], values: [0.25, 0.5, 10] }], params: undefined },
    { args: [{ shape: [4] }, { shape: [4], values: [-3, 0.1, -0.2, 0.3] }, { shape: [], values: [0.4] }], params: undefined },
  ],
  maskKind: 'elementwise',
  batch: 'elementwise',
  shape: ([x, lo, hi]) => ({ shape: broadcastShapes('clip', x!.shape, lo!.shape, hi!.shape), dtype: promote(promote(x!.dtype, lo!.dtype), hi!.dtype) }),
  impl: ([x, lo, hi], _p, out) => mapTernary(x!, lo!, hi!, out.shape, out.dtype, clipOf),
  jvp: ([x, lo, hi], dots) => {
    const ps = clipPartials(x!, lo!, hi!);
    return dots.reduce((acc, d, i) => addTangents(acc, isZero(d) ? Zero : mul(d, ps[i]!)), Zero as Tensor | typeof Zero);
  },
  vjp: (ct, [x, lo, hi], _ans, _p, wants) => {
    const ps = clipPartials(x!, lo!, hi!);
    return ps.map((p, i) => (wants[i] ? mul(ct, p) : Zero));
  },
});

// ---- wrappers -----------------------------------------------------------------------------------

/**
 * Largest integer not above `x`, elementwise. Its derivative is 0 (undefined at integers, taken as 0).
 * @example
 * import { floor, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(floor(tensor([-1.5, 0.2, 2]))), [-2, 0, 2])
 * @category elementwise
 * @since 0.1.0
 */
export const floor = unaryOp(floorP);

/**
 * Smallest integer not below `x`, elementwise. Its derivative is 0 (undefined at integers, taken as 0).
 * @example
 * import { ceil, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(ceil(tensor([-1.5, 0.2, 2]))), [-1, 1, 2])
 * @category elementwise
 * @since 0.1.0
 */
export const ceil = unaryOp(ceilP);

/**
 * Nearest integer, halves to even (as NumPy and `jnp.round`: 0.5 → 0, 1.5 → 2). Its derivative is 0
 * (undefined at half-integers, taken as 0).
 * @example
 * import { round, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(round(tensor([0.5, 1.5, 2.5, -0.6]))), [0, 2, 2, -1])
 * @category elementwise
 * @since 0.1.0
 */
export const round = unaryOp(roundP);

/**
 * The error function `erf(x) = (2/√π) ∫₀ˣ e^{-t²} dt`, accurate to about 1e-15; derivative
 * `(2/√π) e^{-x²}`.
 * @example
 * import { erf, tensor, toArray } from 'adjoint'
 * const [a, b, c] = toArray(erf(tensor([0, 1, -3]))) as number[]
 * assert.equal(a, 0)
 * assert.ok(Math.abs(b - 0.8427007929497149) < 1e-15 && Math.abs(c + 0.9999779095030014) < 1e-15)
 * @category elementwise
 * @since 0.1.0
 */
export const erf = unaryOp(erfP);

/**
 * `log(1 + eˣ)`, computed as `max(x, 0) + log1p(e^{-|x|})` so it neither overflows nor loses the
 * tails; derivative `sigmoid(x)`.
 * @example
 * import { softplus, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(softplus(tensor([0, 1000, -1000]))), [Math.LN2, 1000, 0])
 * @category elementwise
 * @since 0.1.0
 */
export const softplus = unaryOp(softplusP);

/**
 * `log(sigmoid(x)) = -softplus(-x)`, finite for every finite `x`; derivative `sigmoid(-x)`.
 * @example
 * import { logSigmoid, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(logSigmoid(tensor([0, -1000]))), [-Math.LN2, -1000])
 * @category elementwise
 * @since 0.1.0
 */
export const logSigmoid = unaryOp(logSigmoidP);

/**
 * `log(eˣ + eʸ)` with broadcasting, without overflow; the gradient is `(sigmoid(x - y), sigmoid(y - x))`,
 * split evenly at ties. Like `add`, also data-last: `pipe(x, logaddexp(y))`.
 * @example
 * import { logaddexp, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(logaddexp(tensor([1000, 0]), 1000)), [1000 + Math.LN2, 1000])
 * @category elementwise
 * @since 0.1.0
 */
export const logaddexp: BinaryOp = binaryOp(logaddexpP);

const NO_NAN_BOUND = 'pass a number or a tensor without NaN, or omit it (undefined) for no bound';

/** A bound of `clip`: omitted (`undefined`) is no bound; a number must not be NaN (±Infinity is no bound). */
function clipBound(param: 'min' | 'max', v: unknown, none: number): Operand {
  if (v === undefined) return none;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) invalidArgument('clip', param, v, NO_NAN_BOUND);
    return v;
  }
  return v as Operand;
}

/**
 * A tensor bound holds no NaN (a NaN bound would make the result NaN there): read wherever it comes
 * from, the primal under grad and jvp, every lane under vmap.
 */
function checkTensorBound(param: 'min' | 'max', bound: Tensor): void {
  const values = argumentValues(bound);
  if (values === undefined) return;
  const d = values.data;
  for (let i = 0; i < d.length; i++) {
    if (d[i] === d[i]) continue;
    const { position, lanes } = values.locate(i);
    throw new ArgumentError('INVALID_ARGUMENT', 'clip', `${param} holds NaN at position ${position}${describeLanes(lanes)}; ${NO_NAN_BOUND}`);
  }
}

/**
 * Limits `x` to `[min, max]` elementwise (`jnp.clip`), with broadcasting; either bound may be omitted
 * (`undefined`). Where `min > max` the result is `max`. The cotangent goes to `x` on the closed
 * interval and to the bound that was taken elsewhere.
 *
 * Errors: `INVALID_ARGUMENT` for a bound that is or holds NaN (in any lane under vmap), or is not a
 * number or tensor; `BROADCAST_INCOMPATIBLE`.
 * @example
 * import { clip, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(clip(tensor([-2, 0.5, 3]), 0, 1)), [0, 0.5, 1])
 * assert.deepEqual(toArray(clip(tensor([-2, 3]), undefined, 1)), [-2, 1])
 * @category elementwise
 * @since 0.1.0
 */
export function clip(x: Operand, min?: Operand, max?: Operand): Tensor {
  checkArity('clip', arguments.length, 3, 'clip(x, min?, max?) with undefined for an omitted bound');
  const [a, lo] = binaryOperands('clip', asTensor('clip', x), clipBound('min', min, -Infinity));
  const [, hi] = binaryOperands('clip', a, clipBound('max', max, Infinity));
  if (typeof min === 'object') checkTensorBound('min', lo);
  if (typeof max === 'object') checkTensorBound('max', hi);
  return bind(clipP, [a, lo, hi], undefined);
}
