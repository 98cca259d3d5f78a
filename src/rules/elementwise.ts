/**
 * Elementwise primitives: one row each (kernel, derivative), then the public wrappers. Binary ops
 * broadcast like NumPy. A plain number operand is weakly typed, as in JAX: next to a float32 tensor
 * it is a float32 constant, so `mul(x32, 0.5)` stays float32; two tensors of different dtypes promote
 * to float64.
 *
 * Conventions at kinks (the one place they are decided; the README's "Conventions at kinks" shows
 * them): where two inputs tie for a maximum or minimum, the cotangent is split evenly between them.
 * That one rule gives `maximum`/`minimum` and the `max`/`min` reductions their ties, and `relu`, which
 * is `maximum(x, 0)`, its kink: `relu'(0) = 1/2`, so `relu(x)` and `maximum(x, 0)` have one derivative
 * everywhere. JAX splits `maximum` ties evenly too but gives `relu'(0) = 0` (as PyTorch and TF do, after
 * Bertoin et al. 2021, who saw exact-zero pre-activations destabilise low-precision training); we keep
 * one convention instead, because with it identities that are smooth at 0 differentiate exactly there:
 * `relu(x) - relu(-x) = x` has derivative 1 at 0 (0 with `relu'(0) = 0`), and `relu(x) + relu(-x) = |x|`
 * has `abs'(0) = 0`. Write `where(greater(x, 0), x, 0)` for JAX's value at 0. Further: `abs'(0) = 0`
 * (an even split of ±1), `sign' = 0`, `sqrt'(0) = +Infinity`, and a derivative at NaN is NaN except
 * where a comparison decides it (`relu`, `maximum`, `minimum` send their cotangent by a mask there).
 *
 * A derivative rule must not be singular where its function is smooth: `pow`'s `y · xʸ⁻¹` is exactly
 * 0 where `y = 0` (even at `x = 0`, where `xʸ⁻¹` is infinite), at every order of differentiation.
 *
 * @since 0.1.0
 */
import { checkArity, parseDType } from '../core/args.js';
import { asTensor, zerosLike } from '../core/creation.js';
import { broadcastShapes } from '../core/shape.js';
import { bind, evaluationsWatched, scalarEntry } from '../core/primitive.js';
import { type DType, isScalarF64, isTensor, makeScalar, scalarOf, type Tensor } from '../core/Tensor.js';
import { binary, binaryExamples, binaryShape, comparison, installOps, Partial, rule, ScalarImpl, unary, unaryLinear, unaryZero } from './combinators.js';
import type { Rule } from '../core/rule.js';
import { mapBinary, mapTernary, mapUnary, promote } from '../core/kernels.js';
import { isZero, type Tangent, Zero } from '../core/zero.js';

/**
 * What ops accept: a tensor, or a number (a 0-d constant).
 *
 * @category model
 * @since 0.1.0
 */
export type Operand = Tensor | number;

/**
 * A binary op that can be called directly, `mul(x, y)`, or data-last in a pipe, `pipe(x, mul(y))`.
 *
 * @category model
 * @since 0.1.0
 */
export interface BinaryOp {
  (x: Operand, y: Operand): Tensor;
  (y: Operand): (x: Operand) => Tensor;
}

const sigmoidKernel = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

// ---- rows --------------------------------------------------------------------------------------

export const negP = unaryLinear('neg', (v) => -v, (x) => neg(x), -1);
export const squareP = unary('square', (v) => v * v, (x) => mul(2, x), { scalar: (x) => 2 * x }); // d x² = 2x
export const sqrtP = unary('sqrt', Math.sqrt, (_x, ans) => div(0.5, ans), { domain: 'positive', scalar: (_x, _y, ans) => 0.5 / ans }); // d √x = 1 / (2√x); +Infinity at 0
export const expP = unary('exp', Math.exp, (_x, ans) => ans, { scalar: (_x, _y, ans) => ans }); // d eˣ = eˣ
export const logP = unary('log', Math.log, (x) => div(1, x), { domain: 'positive', scalar: (x) => 1 / x }); // d log x = 1 / x
export const log1pP = unary('log1p', Math.log1p, (x) => div(1, add(1, x)), { domain: 'positive', scalar: (x) => 1 / (1 + x) }); // d log(1 + x) = 1 / (1 + x)
export const expm1P = unary('expm1', Math.expm1, (_x, ans) => add(ans, 1), { scalar: (_x, _y, ans) => ans + 1 }); // d (eˣ - 1) = eˣ
export const sinP = unary('sin', Math.sin, (x) => cos(x), { scalar: Math.cos }); // d sin = cos
export const cosP = unary('cos', Math.cos, (x) => neg(sin(x)), { scalar: (x) => -Math.sin(x) }); // d cos = -sin
export const tanP = unary('tan', Math.tan, (_x, ans) => add(1, square(ans)), { domain: 'unit', scalar: (_x, _y, ans) => 1 + ans * ans }); // d tan = 1 + tan²
export const tanhP = unary('tanh', Math.tanh, (_x, ans) => sub(1, square(ans)), { scalar: (_x, _y, ans) => 1 - ans * ans }); // d tanh = 1 - tanh²
export const sigmoidP = unary('sigmoid', sigmoidKernel, (_x, ans) => mul(ans, sub(1, ans)), { scalar: (_x, _y, ans) => ans * (1 - ans) }); // d σ = σ(1 - σ)
// relu = maximum(x, 0), so its kink splits like a tie: relu'(0) = 1/2 (see the module comment)
export const reluP = unary('relu', (v) => (v < 0 ? 0 : v), (x) => tieWeight(x, 0), { domain: 'awayFromZero', scalar: (x) => tieSplit(x, 0) });
export const absP = unary('abs', Math.abs, (x) => sign(x), { domain: 'awayFromZero', scalar: Math.sign }); // abs' = sign: 0 at 0, NaN at NaN
export const signP = unaryZero('sign', Math.sign); // sign' = 0 (undefined at 0, taken as 0)

export const addP: Rule<void> = rule<void>({
  name: 'add',
  examples: binaryExamples(['real', 'real']),
  scalarPartials: [Partial.one, Partial.one],
  scalarImpl: ScalarImpl.add,
  maskKind: 'elementwise',
  batch: 'elementwise',
  shape: binaryShape('add'),
  impl: (args, _p, out) => mapBinary(args[0]!, args[1]!, out.shape, out.dtype, (x, y) => x + y, 'add'),
  jvp: (_primals, [xDot, yDot]) => (isZero(xDot) ? yDot! : isZero(yDot) ? xDot! : add(xDot!, yDot!)),
  vjp: (ct) => [ct, ct], // d (x + y) = dx + dy
});
export const subP: Rule<void> = rule<void>({
  name: 'sub',
  examples: binaryExamples(['real', 'real']),
  scalarPartials: [Partial.one, Partial.minusOne],
  scalarImpl: ScalarImpl.sub,
  maskKind: 'elementwise',
  batch: 'elementwise',
  shape: binaryShape('sub'),
  impl: (args, _p, out) => mapBinary(args[0]!, args[1]!, out.shape, out.dtype, (x, y) => x - y, 'sub'),
  jvp: (_primals, [xDot, yDot]) => (isZero(yDot) ? xDot! : isZero(xDot) ? neg(yDot!) : sub(xDot!, yDot!)),
  vjp: (ct, _primals, _ans, _p, wants) => [ct, wants[1] ? neg(ct) : Zero], // d (x - y) = dx - dy
});
export const mulP = binary('mul', ScalarImpl.mul, [(_x, y) => y, (x) => x], { scalar: [Partial.y, Partial.x] }); // d (xy) = y dx + x dy
export const divP = binary('div', (x, y) => x / y, [(_x, y) => div(1, y), (_x, y, ans) => neg(div(ans, y))], {
  domains: ['real', 'awayFromZero'],
  scalar: [(_x, y) => 1 / y, (_x, y, ans) => -ans / y],
}); // d (x/y) = dx/y - (x/y²) dy
/**
 * ∂xʸ/∂x = y·xʸ⁻¹, written to be exactly 0 where y = 0 at every order in x. There xʸ = 1 does not
 * depend on x, but y·xʸ⁻¹ is 0·∞ = NaN wherever xʸ⁻¹ overflows (x = 0, or x subnormal), and so is
 * each further x-derivative (0·(y-1)xʸ⁻², ...). Where y = 0 the same function is computed as
 * (y/x)·xʸ: its value and its x-derivatives are quotients of 0 by x (never ∞), and its y-derivatives
 * are the true ones (1/x, 2 log x / x, ...), so Hessians in (x, y) stay right at y = 0. Elsewhere
 * y·xʸ⁻¹, with y replaced by 1 where y = 0, so no branch forms an ∞ that `where` would have to mask.
 * At x = y = 0, where y·xʸ⁻¹ is singular in y, it is 0 with zero derivatives.
 */
function powPartialX(x: Tensor, y: Tensor): Tensor {
  const y0 = equal(y, 0);
  const y1 = where(y0, 1, y);
  const general = mul(y1, pow(x, sub(y1, 1)));
  const x0 = equal(x, 0);
  const xNonZero = where(x0, 1, x);
  const yAtZero = where(y0, y, 0); // 0 in value; y's derivatives where y = 0
  const atZero = where(x0, 0, mul(div(yAtZero, xNonZero), pow(xNonZero, yAtZero)));
  return where(y0, atZero, general);
}
// ∂xʸ/∂y = xʸ log x, taken as 0 where x = 0 (its limit for y > 0), with log evaluated at 1 there
function powPartialY(x: Tensor, ans: Tensor): Tensor {
  const x0 = equal(x, 0);
  return where(x0, 0, mul(ans, log(where(x0, 1, x))));
}
// d xʸ = y xʸ⁻¹ dx + xʸ log x dy (see powPartialX for y = 0)
export const powP = binary('pow', Math.pow, [(x, y) => powPartialX(x, y), (x, _y, ans) => powPartialY(x, ans)], {
  domains: ['positive', 'real'],
  examples: [
    // exponent 0 and small integers: derivatives in y at y = 0, and in x at x = 0 (y held fixed)
    { args: [{ shape: [4], domain: 'positive' }, { shape: [4], values: [0, 1, 2, 3] }], params: undefined },
    { args: [{ shape: [4], values: [0, -1.5, 0, 0.5] }, { shape: [4], values: [0, 1, 2, 3], constant: true }], params: undefined },
  ],
  scalar: [
    (x, y) => (y !== 0 ? y * Math.pow(x, y - 1) : x === 0 ? 0 : (y / x) * Math.pow(x, y)),
    (x, _y, ans) => (x === 0 ? 0 : ans * Math.log(x)),
  ],
});
// ties split evenly: at x = y each side gets half (NaN compares false: no share)
function tieSplit(x: number, y: number): number {
  return x > y ? 1 : x === y ? 0.5 : 0;
}
function tieWeight(x: Tensor | number, y: Tensor | number): Tensor {
  return add(greater(x, y), mul(0.5, equal(x, y)));
}
export const maximumP = binary('maximum', (x, y) => (x > y || x !== x ? x : y), [(x, y) => tieWeight(x, y), (x, y) => tieWeight(y, x)], {
  scalar: [tieSplit, (x, y) => tieSplit(y, x)],
});
export const minimumP = binary('minimum', (x, y) => (x < y || x !== x ? x : y), [(x, y) => tieWeight(y, x), (x, y) => tieWeight(x, y)], {
  scalar: [(x, y) => tieSplit(y, x), tieSplit],
});
// 0 · anything = 0: the product used by chain-rule applications (see combinators.ts)
export const mulStrongZeroP = binary('mulStrongZero', (x, y) => (x === 0 || y === 0 ? 0 : x * y), [(_x, y) => y, (x) => x], {
  scalar: [Partial.y, Partial.x],
});

export const greaterP = comparison('greater', (x, y) => x > y);
export const greaterEqualP = comparison('greaterEqual', (x, y) => x >= y);
export const lessP = comparison('less', (x, y) => x < y);
export const lessEqualP = comparison('lessEqual', (x, y) => x <= y);
export const equalP = comparison('equal', (x, y) => x === y);
export const notEqualP = comparison('notEqual', (x, y) => x !== y);

// ---- wrappers ----------------------------------------------------------------------------------

/** @internal Converts two operands; a bare number takes the other operand's dtype (weak typing). */
export function binaryOperands(op: string, x: Operand, y: Operand): [Tensor, Tensor] {
  if (isTensor(x)) return [x, isTensor(y) ? y : asTensor(op, y, x.dtype)];
  if (isTensor(y)) return [asTensor(op, x, y.dtype), y];
  return [asTensor(op, x), asTensor(op, y)];
}

/**
 * The value of a number or of a concrete 0-d float64 tensor, else undefined. Ops on such values
 * (and nothing traced) are computed on the spot with the row's `scalarImpl`, the same function as
 * its kernel: untraced scalar code would otherwise pay for the shape rule and a kernel call per op.
 */
function concreteScalar(a: Operand): number | undefined {
  if (typeof a === 'number') return a;
  // private state, not the getters: a tensor whose public shape was redefined must not pass as a scalar
  return isTensor(a) && isScalarF64(a) ? scalarOf(a) : undefined;
}

/** @internal The public function of a binary elementwise row (math.ts's rows use it too): arity, data-last form, scalar path. */
export function binaryOp(prim: Rule<void>): BinaryOp {
  const scalarImpl = prim.scalarImpl;
  const general = (x: Operand, y: Operand): Tensor => {
    if (scalarImpl !== undefined && !evaluationsWatched()) {
      const a = concreteScalar(x);
      const b = a === undefined ? undefined : concreteScalar(y);
      if (b !== undefined) return makeScalar(scalarImpl(a!, b), 'float64');
    }
    return bind(prim, binaryOperands(prim.name, x, y), undefined);
  };
  return function op(x: Operand, y?: Operand): Tensor | ((x: Operand) => Tensor) {
    // one argument: the data-last form for pipe; a third one would be silently dropped (add is not variadic)
    if (arguments.length !== 2) {
      if (arguments.length === 1) return (first: Operand) => op(first, x) as Tensor;
      checkArity(prim.name, arguments.length, 2, `${prim.name}(x, y), or ${prim.name}(y) for the data-last form`);
    }
    // Every binary op shares this code and its type feedback, so the hot (scalar) path calls no
    // per-op closure: V8 then compiles one call target here whichever ops a program uses.
    const entry = scalarEntry;
    const recorded = entry !== undefined ? entry.binary(prim, x, y as Operand) : undefined;
    return recorded !== undefined ? recorded : general(x, y as Operand);
  } as BinaryOp;
}

/** @internal The public function of a unary elementwise row (math.ts's rows use it too): arity check, scalar path. */
export function unaryOp(prim: Rule<void>): (x: Operand) => Tensor {
  const scalarImpl = prim.scalarImpl;
  const general = (x: Operand): Tensor => {
    const a = scalarImpl === undefined || evaluationsWatched() ? undefined : concreteScalar(x);
    return a !== undefined ? makeScalar(scalarImpl!(a, a), 'float64') : bind(prim, [asTensor(prim.name, x)], undefined);
  };
  return function op(x: Operand): Tensor {
    // a second argument would be silently ignored (`log(x, 10)` is not a base-10 log)
    if (arguments.length > 1) unaryArity(prim.name, arguments.length);
    return (scalarEntry !== undefined ? scalarEntry.unary(prim, x) : undefined) ?? general(x);
  };
}

function unaryArity(op: string, n: number): void {
  checkArity(op, n, 1, `${op}(x); to map it over an array write xs.map((x) => ${op}(x)), since Array.map passes the index too`);
}

/**
 * Elementwise sum with broadcasting.
 * @example
 * import { add, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(add(tensor([1, 2]), 10)), [11, 12])
 * @category elementwise
 * @since 0.1.0
 */
export const add: BinaryOp = binaryOp(addP);
/**
 * Elementwise difference with broadcasting.
 * @example
 * import { sub, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(sub(tensor([5, 7]), tensor([1, 2]))), [4, 5])
 * @category elementwise
 * @since 0.1.0
 */
export const sub: BinaryOp = binaryOp(subP);
/**
 * Elementwise product with broadcasting; `pipe(x, mul(2))` is the data-last form.
 * @example
 * import { mul, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(mul(tensor([[1], [2]]), tensor([3, 4]))), [[3, 4], [6, 8]])
 * @category elementwise
 * @since 0.1.0
 */
export const mul: BinaryOp = binaryOp(mulP);
/**
 * Elementwise quotient (IEEE: 1/0 = Infinity, 0/0 = NaN).
 * @example
 * import { div, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(div(tensor([1, 3]), 2)), [0.5, 1.5])
 * @category elementwise
 * @since 0.1.0
 */
export const div: BinaryOp = binaryOp(divP);
/**
 * Elementwise power `x ** y`.
 * @example
 * import { pow, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(pow(tensor([2, 3]), 2)), [4, 9])
 * @category elementwise
 * @since 0.1.0
 */
export const pow: BinaryOp = binaryOp(powP);
/**
 * Elementwise maximum (NaN propagates); the gradient splits ties evenly.
 * @example
 * import { maximum, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(maximum(tensor([1, 5]), 3)), [3, 5])
 * @category elementwise
 * @since 0.1.0
 */
export const maximum: BinaryOp = binaryOp(maximumP);
/**
 * Elementwise minimum (NaN propagates); the gradient splits ties evenly.
 * @example
 * import { minimum, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(minimum(tensor([1, 5]), 3)), [1, 3])
 * @category elementwise
 * @since 0.1.0
 */
export const minimum: BinaryOp = binaryOp(minimumP);
/** @internal The strong-zero product used by derivative rules. */
export const mulStrongZero: BinaryOp = binaryOp(mulStrongZeroP);

/**
 * 1 where `x > y`, else 0.
 * @example
 * import { greater, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(greater(tensor([1, 2, 3]), 2)), [0, 0, 1])
 * @category comparison
 * @since 0.1.0
 */
export const greater: BinaryOp = binaryOp(greaterP);
/**
 * 1 where `x >= y`, else 0.
 * @example
 * import { greaterEqual, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(greaterEqual(tensor([1, 2, 3]), 2)), [0, 1, 1])
 * @category comparison
 * @since 0.1.0
 */
export const greaterEqual: BinaryOp = binaryOp(greaterEqualP);
/**
 * 1 where `x < y`, else 0.
 * @example
 * import { less, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(less(tensor([1, 2, 3]), 2)), [1, 0, 0])
 * @category comparison
 * @since 0.1.0
 */
export const less: BinaryOp = binaryOp(lessP);
/**
 * 1 where `x <= y`, else 0.
 * @example
 * import { lessEqual, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(lessEqual(tensor([1, 2, 3]), 2)), [1, 1, 0])
 * @category comparison
 * @since 0.1.0
 */
export const lessEqual: BinaryOp = binaryOp(lessEqualP);
/**
 * 1 where `x === y`, else 0 (NaN equals nothing).
 * @example
 * import { equal, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(equal(tensor([1, 2, 3]), 2)), [0, 1, 0])
 * @category comparison
 * @since 0.1.0
 */
export const equal: BinaryOp = binaryOp(equalP);
/**
 * 1 where `x !== y`, else 0.
 * @example
 * import { notEqual, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(notEqual(tensor([1, 2, 3]), 2)), [1, 0, 1])
 * @category comparison
 * @since 0.1.0
 */
export const notEqual: BinaryOp = binaryOp(notEqualP);

/**
 * `-x`.
 * @example
 * import { neg, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(neg(tensor([1, -2]))), [-1, 2])
 * @category elementwise
 * @since 0.1.0
 */
export const neg = unaryOp(negP);
/**
 * `x²`.
 * @example
 * import { square, toArray } from 'adjoint'
 * assert.equal(toArray(square(3)), 9)
 * @category elementwise
 * @since 0.1.0
 */
export const square = unaryOp(squareP);
/**
 * `√x` (NaN below 0).
 * @example
 * import { sqrt, toArray } from 'adjoint'
 * assert.equal(toArray(sqrt(9)), 3)
 * @category elementwise
 * @since 0.1.0
 */
export const sqrt = unaryOp(sqrtP);
/**
 * `eˣ`.
 * @example
 * import { exp, toArray } from 'adjoint'
 * assert.equal(toArray(exp(0)), 1)
 * @category elementwise
 * @since 0.1.0
 */
export const exp = unaryOp(expP);
/**
 * Natural logarithm (-Infinity at 0, NaN below).
 * @example
 * import { log, toArray } from 'adjoint'
 * assert.equal(toArray(log(1)), 0)
 * @category elementwise
 * @since 0.1.0
 */
export const log = unaryOp(logP);
/**
 * `log(1 + x)`, accurate near 0.
 * @example
 * import { log1p, toArray } from 'adjoint'
 * assert.equal(toArray(log1p(0)), 0)
 * @category elementwise
 * @since 0.1.0
 */
export const log1p = unaryOp(log1pP);
/**
 * `eˣ - 1`, accurate near 0.
 * @example
 * import { expm1, toArray } from 'adjoint'
 * assert.equal(toArray(expm1(0)), 0)
 * @category elementwise
 * @since 0.1.0
 */
export const expm1 = unaryOp(expm1P);
/**
 * Sine.
 * @example
 * import { sin, toArray } from 'adjoint'
 * assert.equal(toArray(sin(0)), 0)
 * @category elementwise
 * @since 0.1.0
 */
export const sin = unaryOp(sinP);
/**
 * Cosine.
 * @example
 * import { cos, toArray } from 'adjoint'
 * assert.equal(toArray(cos(0)), 1)
 * @category elementwise
 * @since 0.1.0
 */
export const cos = unaryOp(cosP);
/**
 * Tangent.
 * @example
 * import { tan, toArray } from 'adjoint'
 * assert.equal(toArray(tan(0)), 0)
 * @category elementwise
 * @since 0.1.0
 */
export const tan = unaryOp(tanP);
/**
 * Hyperbolic tangent.
 * @example
 * import { tanh, toArray } from 'adjoint'
 * assert.equal(toArray(tanh(0)), 0)
 * @category elementwise
 * @since 0.1.0
 */
export const tanh = unaryOp(tanhP);
/**
 * Logistic sigmoid `1 / (1 + e⁻ˣ)`, computed without overflow.
 * @example
 * import { sigmoid, toArray } from 'adjoint'
 * assert.equal(toArray(sigmoid(0)), 0.5)
 * @category elementwise
 * @since 0.1.0
 */
export const sigmoid = unaryOp(sigmoidP);
/**
 * `max(x, 0)`; its derivative at 0 is 1/2, as `maximum(x, 0)`'s (ties split evenly).
 * @example
 * import { relu, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(relu(tensor([-1, 2]))), [0, 2])
 * @category elementwise
 * @since 0.1.0
 */
export const relu = unaryOp(reluP);
/**
 * `|x|`; its derivative at 0 is 0.
 * @example
 * import { abs, toArray } from 'adjoint'
 * assert.equal(toArray(abs(-3)), 3)
 * @category elementwise
 * @since 0.1.0
 */
export const abs = unaryOp(absP);
/**
 * -1, 0 or 1 (NaN stays NaN); zero derivative.
 * @example
 * import { sign, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(sign(tensor([-2, 0, 5]))), [-1, 0, 1])
 * @category elementwise
 * @since 0.1.0
 */
export const sign = unaryOp(signP);

// ---- astype --------------------------------------------------------------------------------------

export interface CastParams {
  readonly dtype: DType;
}
// a change of element type is linear: its transpose converts the cotangent back
export const castP: Rule<CastParams> = rule<CastParams>({
  name: 'cast',
  examples: [
    { args: [{ shape: [3] }], params: { dtype: 'float64' } },
    { args: [{ shape: [] }], params: { dtype: 'float64' } },
  ],
  maskKind: 'elementwise',
  batch: 'elementwise',
  shape: ([x], p) => ({ shape: x!.shape, dtype: p.dtype }),
  impl: ([x], _p, out) => mapUnary(x!, out.dtype, (v) => v),
  jvp: (_primals, [xDot], _ans, p) => astype(xDot as Tensor, p.dtype),
  vjp: (ct, [x]) => [astype(ct, x!.dtype)],
});

/**
 * The same values with element type `dtype` (float64 → float32 rounds to nearest). Gradients come
 * back in the input's dtype.
 * @example
 * import { astype, tensor } from 'adjoint'
 * assert.equal(astype(tensor([1, 2]), 'float32').dtype, 'float32')
 * @category elementwise
 * @since 0.1.0
 */
export function astype(x: Operand, dtype: DType): Tensor {
  checkArity('astype', arguments.length, 2, 'astype(x, dtype)');
  const t = asTensor('astype', x);
  const to = parseDType('astype', 'dtype', dtype);
  return t.dtype === to ? t : bind(castP, [t], { dtype: to });
}

// ---- where ---------------------------------------------------------------------------------------


const asTensorOr = (t: Tangent, like: Tensor): Tensor => (isZero(t) ? zerosLike(like) : t);

// d where(c, a, b) = where(c, da, db); the condition is not differentiable. The cotangent of the
// unselected branch is a structural 0 (maskKind 'select'): kept exact through NaN or ∞ derivatives.
export const whereP: Rule<void> = rule<void>({
  name: 'where',
  examples: [
    { args: [{ shape: [2, 3], values: [1, 0, 1, 0, 0, 1], constant: true }, { shape: [2, 3] }, { shape: [3] }], params: undefined },
    { args: [{ shape: [], values: [0], constant: true }, { shape: [] }, { shape: [2] }], params: undefined },
    // branches of lower rank with size-1 axes, broadcast against each other and the condition
    { args: [{ shape: [3, 1], values: [1, 0, 1], constant: true }, { shape: [2, 1, 3] }, { shape: [3, 1] }], params: undefined },
    { args: [{ shape: [3], values: [0, 1, 1], constant: true }, { shape: [3, 1] }, { shape: [2, 3, 3] }], params: undefined },
  ],
  maskKind: 'select',
  batch: 'elementwise',
  shape: ([c, a, b]) => ({ shape: broadcastShapes('where', c!.shape, a!.shape, b!.shape), dtype: promote(a!.dtype, b!.dtype) }),
  impl: ([c, a, b], _p, out) => mapTernary(c!, a!, b!, out.shape, out.dtype, (cv, av, bv) => (cv !== 0 ? av : bv)),
  // the condition's tangent is ignored: with only a tangent on it, the result's tangent is Zero
  jvp: ([c, a, b], [, aDot, bDot]) => (isZero(aDot) && isZero(bDot) ? Zero : where(c!, asTensorOr(aDot!, a!), asTensorOr(bDot!, b!))),
  vjp: (ct, [c], _ans, _p, wants) => [Zero, wants[1] ? where(c!, ct, 0) : Zero, wants[2] ? where(c!, 0, ct) : Zero],
});

/**
 * Elementwise select: `a` where `cond` is non-zero, else `b`, with broadcasting. Its gradient sends 0
 * (never NaN) into the branch that was not selected.
 * @example
 * import { where, greater, tensor, toArray } from 'adjoint'
 * const x = tensor([-1, 2])
 * assert.deepEqual(toArray(where(greater(x, 0), x, 0)), [0, 2])
 * @category elementwise
 * @since 0.1.0
 */
export function where(cond: Operand, a: Operand, b: Operand): Tensor {
  checkArity('where', arguments.length, 3, 'where(cond, a, b)');
  const [x, y] = binaryOperands('where', a, b);
  return bind(whereP, [asTensor('where', cond, x.dtype), x, y], undefined);
}

installOps({ add, mul });
