/**
 * Zeros and non-finite values in the chain rule (issue 8, section 4): an arithmetic 0 · ∞ is NaN,
 * never a finite wrong answer; structural zeros (the branch `where` did not select, the zeros of a
 * one-hot Jacobian seed) stay exact through infinite or NaN local derivatives; `checkNumerics`
 * names the first equation where a non-finite adjoint or tangent appears.
 */
import { describe, expect, it } from 'vitest';
import {
  AdjointError,
  exp,
  grad,
  greater,
  hessian,
  item,
  jacfwd,
  jacrev,
  jvp,
  log,
  mul,
  setCheckNumerics,
  sqrt,
  square,
  sum,
  type Tensor,
  tensor,
  toArray,
  valueAndGrad,
  vjp,
  vmap,
  where,
  zeros,
} from '../../src/index.js';
import { thrown } from '../reference.js';

const nonFinite = (f: () => unknown): AdjointError => {
  const e = thrown(f);
  expect(e).toBeInstanceOf(AdjointError);
  expect((e as AdjointError).code).toBe('NON_FINITE');
  return e as AdjointError;
};

describe('an overflow is not absorbed into a finite wrong gradient', () => {
  it('grad(log ∘ exp) at 1000 is NaN on the scalar path, the tensor path and in jvp (the derivative is 1; exp overflowed)', () => {
    expect(item(grad((x: Tensor) => log(exp(x)))(1000))).toBeNaN();
    expect(toArray(grad((x: Tensor) => sum(log(exp(x))))(tensor([1000, 1])))).toEqual([NaN, 1]);
    expect(item(jvp((x: Tensor) => log(exp(x)), [tensor(1000)], [1])[1])).toBeNaN();
    // away from the overflow the same function is exact
    expect(item(grad((x: Tensor) => log(exp(x)))(3))).toBeCloseTo(1, 14);
  });

  it('the second derivative of sqrt(x²)·sqrt(x²) at 0 is NaN, not 0 (the true value is 2; 0 · ∞ in the rule)', () => {
    const f = (x: Tensor) => mul(sqrt(square(x)), sqrt(square(x)));
    expect(item(grad(grad(f))(0))).toBeNaN();
    expect(item(grad(grad(f))(1.5))).toBeCloseTo(2, 12);
  });
});

describe('structural zeros stay exact', () => {
  const safeSqrt = (x: Tensor) => where(greater(x, 0), sqrt(x), 0);

  it('where sends exactly 0 into the branch it did not select, through sqrt′(-1) = NaN, in every mode', () => {
    expect(item(grad(safeSqrt)(-1))).toBe(0);
    expect(item(grad(safeSqrt)(4))).toBe(0.25);
    expect(toArray(grad((x: Tensor) => sum(safeSqrt(x)))(tensor([-1, 4, 0])))).toEqual([0, 0.25, 0]);
    expect(item(jvp(safeSqrt, [tensor(-1)], [1])[1])).toBe(0);
    expect(toArray(jvp(safeSqrt, [tensor([-1, 4])], [tensor([1, 1])])[1])).toEqual([0, 0.25]);
    expect(item(grad(grad(safeSqrt))(-1))).toBe(0);
    expect(toArray(hessian((x: Tensor) => sum(safeSqrt(x)))(tensor([-1, 4])))).toEqual([
      [0, 0],
      [0, -1 / 32],
    ]);
  });

  it('the mask survives broadcasting: a 0-d branch selected against a [3] one gets 0, not NaN', () => {
    const f = (x: Tensor) => sum(where(greater(x, 0), sqrt(x), zeros([3])));
    // (x is 0-d: the branch is broadcast against zeros([3]))
    expect(item(grad(f)(-1))).toBe(0);
    expect(item(grad(f)(4))).toBe(0.75);
  });

  it('the mask passes through sums of uses: sqrt used twice under where', () => {
    const f = (x: Tensor) => {
      const s = sqrt(x);
      return sum(where(greater(x, 0), mul(s, s), 0));
    };
    expect(toArray(grad(f)(tensor([-1, 4])))).toEqual([0, 1]);
  });

  it('off-diagonal Jacobian entries of an elementwise op are exactly 0 where its derivative is infinite (one-hot seeds)', () => {
    const x = tensor([0, 4]);
    for (const jac of [jacrev(sqrt)(x), jacfwd(sqrt)(x)]) {
      expect(toArray(jac)).toEqual([
        [Infinity, 0],
        [0, 0.25],
      ]);
    }
  });

  it('a seed mask passes through structural rows (reshape, slice via take) before the elementwise one', () => {
    const f = (x: Tensor) => sqrt(mul(x, 1));
    expect(toArray(jacrev(f)(tensor([0, 1])))).toEqual([
      [Infinity, 0],
      [0, 0.5],
    ]);
  });
});

describe('checkNumerics', () => {
  // sqrt(x) · 0 is finite everywhere, but at 0 its chain rule meets 0 · sqrt′(0) = 0 · ∞
  const zeroTimesSqrt = (x: Tensor) => mul(sqrt(x), 0);

  it('without it, 0 · ∞ in the chain rule is NaN (the function is constant, but the rule cannot know)', () => {
    expect(item(grad(zeroTimesSqrt)(0))).toBeNaN();
  });

  it('reverse mode: names the equation whose pullback made an adjoint non-finite, and the transform', () => {
    const e = nonFinite(() => grad(zeroTimesSqrt, { checkNumerics: true })(0));
    expect(e.op).toBe('grad');
    expect(e.message).toMatch(/w2 = sqrt/);
    expect(e.message).toMatch(/adjoint of w1/);
    // the tensor path names it too
    const t = nonFinite(() => grad((x: Tensor) => sum(zeroTimesSqrt(x)), { checkNumerics: true })(tensor([0, 1])));
    expect(t.message).toMatch(/sqrt/);
  });

  it('forward mode: a tangent that turns non-finite while its value is finite', () => {
    const e = nonFinite(() => jvp(zeroTimesSqrt, [tensor(0)], [1], { checkNumerics: true }));
    expect(e.op).toBe('jvp');
    expect(e.message).toMatch(/sqrt/);
  });

  it('a non-finite result: log(exp(1000)) overflows in the forward pass, and the error names exp', () => {
    const e = nonFinite(() => grad((x: Tensor) => log(exp(x)), { checkNumerics: true })(1000));
    expect(e.message).toMatch(/w2 = exp/);
  });

  it('a non-finite result names the first non-finite value on the tape', () => {
    const e = nonFinite(() => valueAndGrad((x: Tensor) => sum(mul(exp(x), 0)), { checkNumerics: true })(tensor([1000])));
    expect(e.message).toMatch(/output 0/);
    expect(e.message).toMatch(/exp/);
  });

  it('stays quiet where the NaN is masked by where, and when results are finite', () => {
    const safe = (x: Tensor) => where(greater(x, 0), sqrt(x), 0);
    expect(item(grad(safe, { checkNumerics: true })(-1))).toBe(0);
    expect(item(grad((x: Tensor) => mul(x, x), { checkNumerics: true })(3))).toBe(6);
  });

  it('checks every lane under vmap: jacfwd (jvp mapped over the basis), vmap of grad, nested vmap, and the global switch', () => {
    const fwd = nonFinite(() => jacfwd(zeroTimesSqrt, { checkNumerics: true })(tensor([1, 0])));
    expect(fwd.op).toBe('jacfwd');
    expect(fwd.message).toMatch(/sqrt.*lane/);
    // only the second lane meets 0 · ∞
    expect(nonFinite(() => vmap(grad(zeroTimesSqrt, { checkNumerics: true }))(tensor([1, 0]))).message).toMatch(/w2 = sqrt/);
    expect(nonFinite(() => vmap(grad((x: Tensor) => log(exp(x)), { checkNumerics: true }))(tensor([1, 1000]))).message).toMatch(/exp/);
    expect(nonFinite(() => vmap(vmap(grad(zeroTimesSqrt, { checkNumerics: true })))(tensor([[1, 1], [1, 0]]))).op).toBe('grad');
    const previous = setCheckNumerics(true);
    try {
      nonFinite(() => vmap(grad(zeroTimesSqrt))(tensor([0, 1])));
      nonFinite(() => jacfwd(zeroTimesSqrt)(tensor([0])));
      // finite lanes pass, and give the unchecked values
      expect(toArray(vmap(grad((x: Tensor) => mul(sqrt(x), 2)))(tensor([1, 4])))).toEqual([1, 0.5]);
      expect(toArray(jacfwd((x: Tensor) => mul(sqrt(x), 2))(tensor([1, 4])))).toEqual([[1, 0], [0, 0.5]]);
    } finally {
      setCheckNumerics(previous);
    }
    // without the check, the same lanes are silently NaN
    expect(toArray(vmap(grad(zeroTimesSqrt))(tensor([1, 0])))).toEqual([0, NaN]);
  });

  it('the global switch applies to transforms that do not set the option (vjp included), and is restored', () => {
    expect(item(grad((x: Tensor) => log(exp(x)))(1000))).toBeNaN();
    const previous = setCheckNumerics(true);
    try {
      expect(previous).toBe(false);
      nonFinite(() => grad((x: Tensor) => log(exp(x)))(1000));
      nonFinite(() => vjp((x: Tensor) => log(exp(x)), tensor(1000))[1](tensor(1)));
      // an explicit option wins over the switch
      expect(item(grad((x: Tensor) => log(exp(x)), { checkNumerics: false })(1000))).toBeNaN();
    } finally {
      setCheckNumerics(previous);
    }
    expect(item(grad((x: Tensor) => log(exp(x)))(1000))).toBeNaN();
    expect((thrown(() => setCheckNumerics('yes' as never)) as AdjointError).code).toBe('INVALID_ARGUMENT');
  });
});
