/**
 * Regressions found in review: each case once gave a wrong value on one path only.
 */
import { describe, expect, it } from 'vitest';
import {
  abs,
  add,
  arange,
  astype,
  checkGrads,
  GradCheckError,
  grad,
  stopGradient,
  greater,
  hessian,
  hvp,
  item,
  jvp,
  log,
  logSoftmax,
  logsumexp,
  max,
  maximum,
  mul,
  neg,
  type Operand,
  pow,
  Program,
  relu,
  run,
  scalar,
  sign,
  softmax,
  sub,
  sum,
  type Tensor,
  tensor,
  toArray,
  toTypedArray,
} from '../../src/index.js';
import { thrown } from '../reference.js';
import { expectTyped } from '../typed.js';

describe('the scalar reverse path agrees with the tensor path', () => {
  it('a derivative that is zero by structure (sign) sends nothing, even against an infinite cotangent', () => {
    expect(item(grad((x: number) => mul(sign(x), Infinity))(1))).toBe(0);
    expect(toArray(grad((x: Tensor) => sum(mul(sign(x), Infinity)))(tensor([1])))).toEqual([0]);
    expect(item(jvp((x: number) => mul(sign(x), Infinity), [1], [1])[1])).toBe(0);
  });

  it('an arithmetic 0 · ∞ is NaN on every path, as the forward value is (no finite wrong answer)', () => {
    // f(0) = 0 · log(0) = 0 · -∞ = NaN: its derivative cannot be a finite number either
    const f = (x: Operand) => mul(greater(x, 0), log(x));
    expect(item(f(0))).toBeNaN();
    expect(item(grad(f)(0))).toBeNaN();
    expect(item(grad(f)(scalar(0, { dtype: 'float32' })))).toBeNaN();
    expect((toArray(grad((x: Tensor) => sum(f(x)))(tensor([0]))) as number[])[0]).toBeNaN();
  });
});

describe('hvp over a program', () => {
  it('returns a program of the products', () => {
    const f = (x: Tensor) => Program.of(sum(mul(mul(x, x), x)));
    const [hv] = run(hvp(f, [tensor([1, 2])], [tensor([1, 1])]));
    expect(toArray(hv)).toEqual([6, 12]);
  });
});

describe('dtypes of derivatives', () => {
  it('a gradient or tangent has its primal’s dtype even when the computation promoted', () => {
    const x32 = scalar(3, { dtype: 'float32' });
    const g = grad((x: Tensor) => mul(x, tensor(2)))(x32);
    expect(g.dtype).toBe('float32');
    expect(item(g)).toBe(2);
    const [, dy] = jvp((x: Tensor) => mul(x, tensor(2)), [x32], [scalar(1, 'float32')]);
    expect(dy.dtype).toBe('float64'); // the output is float64, so is its tangent
    const [, dx32] = jvp((x: Tensor) => x, [x32], [1]);
    expect(dx32.dtype).toBe('float32'); // a bare number is weakly typed: it takes the primal's dtype
    // a tangent tensor of another dtype is refused, as in JAX (it used to be converted silently)
    expectTyped(() => jvp((x: Tensor) => x, [x32], [scalar(1)]), 'INVALID_DTYPE', 'jvp', ['argument 0', 'float64', 'float32']);
    expect(astype(tensor([1.5]), 'float32').dtype).toBe('float32');
  });
});

describe('checkGrads reports the worst element', () => {
  it('names the element with the largest discrepancy, not the first', () => {
    // jvp misses the 2x term; measured against the tolerance, the miss is worst at x = 5 (index 2)
    const f = (x: Tensor) => add(stopGradient(mul(x, x)), x);
    const err = thrown(() => checkGrads(f, [tensor([0.1, 0.2, 5])])) as GradCheckError;
    expect(err).toBeInstanceOf(GradCheckError);
    expect(err.where).toMatch(/element 2/);
  });
});

describe('a derivative rule is not singular where its function is smooth (issue 8, section 4)', () => {
  const d = (f: (x: Tensor) => Tensor) => grad(f);
  it("pow(x, 0)' = 0 at 0, on the scalar path, the tensor path and in jvp", () => {
    expect(item(grad((x: Tensor) => pow(x, 0))(0))).toBe(0);
    expect(toArray(grad((x: Tensor) => sum(pow(x, 0)))(tensor([0, 2])))).toEqual([0, 0]);
    expect(item(jvp((x: Operand) => pow(x, 0), [0], [1])[1])).toBe(0);
  });

  it("sum(pow(x, arange(3)))' = 0 + 1 + 0 at 0", () => {
    expect(item(grad((x: Tensor) => sum(pow(x, arange(3))))(0))).toBe(1);
    expect(item(jvp((x: Operand) => sum(pow(x, arange(3))), [0], [1])[1])).toBe(1);
  });

  it('every derivative of x³ at 0: 0, 0, 6, 0, 0', () => {
    const cube = (x: Tensor) => pow(x, 3);
    const d1 = d(cube);
    const d2 = d(d1);
    const d3 = d(d2);
    const d4 = d(d3);
    const d5 = d(d4);
    expect([d1, d2, d3, d4, d5].map((f) => item(f(scalar(0))))).toEqual([0, 0, 6, 0, 0]);
    // the tensor path: elementwise, so each derivative of the sum is the diagonal
    const t1 = grad((x: Tensor) => sum(pow(x, 3)));
    const t2 = grad((x: Tensor) => sum(t1(x)));
    const t3 = grad((x: Tensor) => sum(t2(x)));
    const t4 = grad((x: Tensor) => sum(t3(x)));
    expect(toArray(t3(tensor([0, 1])))).toEqual([6, 6]);
    expect(toArray(t4(tensor([0, 1])))).toEqual([0, 0]);
    // forward over reverse
    expect(item(jvp(d3, [scalar(0)], [scalar(1)])[1])).toBe(0);
    expect(item(grad(grad((x: Tensor) => pow(x, 1)))(0))).toBe(0);
  });

  it('x⁰ has zero x-derivatives at subnormal and tiny x too (0 · xʸ⁻¹ overflowed there)', () => {
    const f = (x: Tensor) => pow(x, 0);
    expect(item(grad(f)(5e-324))).toBe(0);
    expect(item(grad(grad(f))(1e-200))).toBe(0);
    expect(item(grad(grad(grad(f)))(0))).toBe(0);
    expect(toTypedArray(grad((x: Tensor) => sum(pow(x, 0)))(tensor([5e-324, -1e-310, 0]))).every((v) => v === 0)).toBe(true); // ±0
  });

  it('the Hessian of xʸ in (x, y) at y = 0 is symmetric and right (∂²/∂x∂y = 1/x there)', () => {
    // f = xʸ at (2, 0): fxx = y(y-1)x^(y-2) = 0, fxy = x^(y-1)(1 + y log x) = 1/2, fyy = xʸ log² x = log² 2
    const h = hessian((x: Tensor, y: Tensor) => pow(x, y), { argnums: [0, 1] })(scalar(2), scalar(0));
    const H = h.map((row) => row.map(item));
    expect(H[0]![0]).toBe(0);
    expect(H[0]![1]).toBeCloseTo(0.5, 15);
    expect(H[1]![0]).toBeCloseTo(0.5, 15);
    expect(H[1]![1]).toBeCloseTo(Math.log(2) ** 2, 15);
    // and the x-partial's own y-derivative at y = 0, by forward over reverse
    const dx = (y: Tensor) => grad((x: Tensor) => pow(x, y))(scalar(4));
    expect(item(jvp(dx, [scalar(0)], [scalar(1)])[1])).toBeCloseTo(0.25, 15);
  });

  it("the exponent's partial at x = 0 stays finite at higher order", () => {
    expect(item(grad((y: Tensor) => pow(0, y))(2))).toBe(0);
    expect(item(grad(grad((y: Tensor) => pow(0, y)))(2))).toBe(0);
    expect(toArray(hessian((y: Tensor) => sum(pow(tensor([0, 2]), y)))(tensor([2, 3])))).toEqual([
      [0, 0],
      [0, 8 * Math.log(2) ** 2],
    ]);
  });
});

describe('reductions over infinite groups (issue 8, section 4)', () => {
  const I = Infinity;
  it('logsumexp of an all -Infinity group has gradient 0, in grad, jvp and at second order', () => {
    const x = tensor([-I, -I]);
    expect(toArray(grad((v: Tensor) => logsumexp(v))(x))).toEqual([0, 0]);
    expect(item(jvp((v: Tensor) => logsumexp(v), [x], [tensor([1, 1])])[1])).toBe(0);
    expect(toArray(hessian((v: Tensor) => logsumexp(v))(x))).toEqual([[0, 0], [0, 0]]);
    // one group of two: the finite group keeps its softmax
    const g = toArray(grad((v: Tensor) => sum(logsumexp(v, { axis: 1 })))(tensor([[-I, -I], [0, 0]])));
    expect(g).toEqual([[0, 0], [0.5, 0.5]]);
  });

  it('a group holding +Infinity sends its weight to the +Infinity elements, split evenly', () => {
    expect(toArray(grad((v: Tensor) => logsumexp(v))(tensor([I, 1])))).toEqual([1, 0]);
    expect(toArray(grad((v: Tensor) => logsumexp(v))(tensor([I, -I, I])))).toEqual([0.5, 0, 0.5]);
    expect(item(jvp((v: Tensor) => logsumexp(v), [tensor([I, 1])], [tensor([3, 5])])[1])).toBe(3);
  });

  it('softmax and logSoftmax with -Infinity entries (masking) have finite gradients', () => {
    const x = tensor([-I, 0, 0]);
    expect(toArray(softmax(x))).toEqual([0, 0.5, 0.5]);
    expect(toArray(grad((v: Tensor) => sum(mul(softmax(v), tensor([1, 2, 4]))))(x))).toEqual([0, -0.5, 0.5]);
    expect(toArray(grad((v: Tensor) => sum(mul(logSoftmax(v), tensor([0, 1, 0]))))(x))).toEqual([0, 0.5, -0.5]);
  });

  it('max with infinities: the extremum takes the cotangent, ties split', () => {
    expect(toArray(grad((v: Tensor) => max(v))(tensor([I, 1])))).toEqual([1, 0]);
    expect(toArray(grad((v: Tensor) => max(v))(tensor([-I, -I])))).toEqual([0.5, 0.5]);
    expect(item(jvp((v: Tensor) => max(v), [tensor([-I, -I])], [tensor([2, 4])])[1])).toBe(3);
  });
});

describe('paths agree at special values (issue 8, section 4)', () => {
  it("abs'(NaN) is NaN on the scalar path, the tensor path and in jvp", () => {
    expect(item(grad(abs)(NaN))).toBeNaN();
    expect(toArray(grad((x: Tensor) => sum(abs(x)))(tensor([NaN, 0, -2])))).toEqual([NaN, 0, -1]);
    expect(item(jvp(abs, [NaN], [1])[1])).toBeNaN();
  });
});

describe('one convention at kinks: relu is maximum(x, 0) (issue 8, section 4)', () => {
  it("relu'(0) = maximum(x, 0)'(0) = 1/2 on every path", () => {
    for (const f of [relu, (x: Operand) => maximum(x, 0), (x: Operand) => maximum(0, x)]) {
      expect(item(grad(f)(0))).toBe(0.5);
      expect(item(jvp(f, [0], [1])[1])).toBe(0.5);
      expect(toArray(grad((x: Tensor) => sum(f(x)))(tensor([-1, 0, 2])))).toEqual([0, 0.5, 1]);
    }
    // relu(x) - relu(-x) = x is smooth at 0, and so is its derivative
    expect(item(grad((x: Tensor) => sub(relu(x), relu(neg(x))))(0))).toBe(1);
  });
});
