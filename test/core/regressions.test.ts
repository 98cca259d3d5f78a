/**
 * Regressions found in review: each case once gave a wrong value on one path only.
 */
import { describe, expect, it } from 'vitest';
import { add, astype, checkGrads, GradCheckError, grad, stopGradient, greater, hvp, item, jvp, log, mul, type Operand, Program, run, scalar, sign, sum, type Tensor, tensor, toArray } from '../../src/index.js';
import { thrown } from '../reference.js';

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
    const [, dy] = jvp((x: Tensor) => mul(x, tensor(2)), [x32], [scalar(1)]);
    expect(dy.dtype).toBe('float64'); // the output is float64, so is its tangent
    const [, dx32] = jvp((x: Tensor) => x, [x32], [scalar(1)]);
    expect(dx32.dtype).toBe('float32'); // a float64 tangent given for a float32 primal is converted
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
