import { describe, expect, it } from 'vitest';
import { add, exp, grad, item, mul, printTape, scalar, sin, sum, type Tensor, tensor } from '../../src/index.js';

describe('printTape', () => {
  it('tabulates the textbook example f(x1, x2) = x1·x2 + sin(x1) at (2, 3): Wengert list, primals and adjoints', () => {
    const f = (x1: Tensor, x2: Tensor): Tensor => add(mul(x1, x2), sin(x1));
    const text = printTape(f)(scalar(2), scalar(3));
    expect(text).toBe(
      [
        'value               type   primal      adjoint',
        'w1     = input 0    f64[]  2           2.5838532',
        'w2     = input 1    f64[]  3           2',
        'w3     = mul w1 w2  f64[]  6           1',
        'w4     = sin w1     f64[]  0.90929743  1',
        'w5     = add w3 w4  f64[]  6.9092974   1',
        'output w5',
      ].join('\n'),
    );
    // the adjoints are the gradient: w1 = x2 + cos x1, w2 = x1
    expect(3 + Math.cos(2)).toBeCloseTo(2.5838532, 7);
    const [g1, g2] = grad(f, { argnums: [0, 1] })(scalar(2), scalar(3)) as [Tensor, Tensor];
    expect(item(g1)).toBeCloseTo(2.5838532, 7);
    expect(item(g2)).toBe(2);
  });

  it('accepts plain numbers as arguments and gives the same table', () => {
    const f = (x1: Tensor | number, x2: Tensor | number): Tensor => add(mul(x1, x2), sin(x1));
    expect(printTape(f)(2, 3)).toBe(printTape(f)(scalar(2), scalar(3)));
  });

  it('is repeatable: a second call prints the same text (fresh SSA numbering)', () => {
    const f = (x: Tensor): Tensor => mul(x, sin(x));
    const a = printTape(f)(scalar(1));
    const b = printTape(f)(scalar(1));
    expect(a).toBe(b);
    expect(a).toMatch(/^w1 {5}= input 0/m);
  });

  it('a non-scalar output: no adjoint column; constants print inline', () => {
    const text = printTape((x: Tensor) => mul(x, 2))(tensor([1, 2, 3]));
    expect(text).toBe(['value              type    primal', 'w1     = input 0   f64[3]  [1, 2, 3]', 'w2     = mul w1 2  f64[3]  [2, 4, 6]', 'output w2'].join('\n'));
  });

  it('tensors: long values are elided, tensor constants print by type, op parameters are shown', () => {
    const text = printTape((x: Tensor) => sum(mul(x, tensor([1, 2, 3, 4, 5]))))(tensor([1, 2, 3, 4, 5]));
    expect(text).toBe(
      [
        'value                                     type    primal            adjoint',
        'w1     = input 0                          f64[5]  [1, 2, 3, 4, …]   [1, 2, 3, 4, …]',
        'w2     = mul w1 const:f64[5]              f64[5]  [1, 4, 9, 16, …]  [1, 1, 1, 1, …]',
        'w3     = sum[axes=[0] keepdims=false] w2  f64[]   55                1',
        'output w3',
      ].join('\n'),
    );
  });

  it('a dead branch is recorded but receives adjoint 0 (it is not dropped from the tape)', () => {
    const text = printTape((x: Tensor, y: Tensor) => {
      sin(y); // computed, never used
      return mul(x, x);
    })(scalar(2), scalar(3));
    expect(text).toBe(
      [
        'value               type   primal      adjoint',
        'w1     = input 0    f64[]  2           4',
        'w2     = input 1    f64[]  3           0',
        'w3     = sin w2     f64[]  0.14112001  0',
        'w4     = mul w1 w1  f64[]  4           1',
        'output w4',
      ].join('\n'),
    );
  });

  it('pytree outputs list every output leaf (sorted keys); a constant output prints its value', () => {
    expect(printTape((x: Tensor) => ({ b: x, a: exp(x) }))(scalar(0))).toBe(
      ['value             type   primal', 'w1     = input 0  f64[]  0', 'w2     = exp w1   f64[]  1', 'output w2, w1'].join('\n'),
    );
    expect(printTape((_x: Tensor) => scalar(5))(scalar(2))).toBe(['value             type   primal', 'w1     = input 0  f64[]  2', 'output 5'].join('\n'));
  });

  it('shows 2-d types and keepdims parameters', () => {
    expect(printTape((x: Tensor) => sum(x, { axis: 1, keepdims: true }))(tensor([[1, 2], [3, 4]]))).toBe(
      [
        'value                                    type      primal',
        'w1     = input 0                         f64[2,2]  [1, 2, 3, 4]',
        'w2     = sum[axes=[1] keepdims=true] w1  f64[2,1]  [3, 7]',
        'output w2',
      ].join('\n'),
    );
  });

  it('float32 inputs print as f32; a size-1 (not 0-d) output still gets adjoints', () => {
    expect(printTape((x: Tensor) => mul(x, x))(tensor([1.5], { dtype: 'float32' }))).toBe(
      [
        'value               type    primal  adjoint',
        'w1     = input 0    f32[1]  1.5     3',
        'w2     = mul w1 w1  f32[1]  2.25    1',
        'output w2',
      ].join('\n'),
    );
  });
});
