import { describe, expect, it } from 'vitest';
import {
  type AdjointError,
  argmax,
  argmin,
  argsort,
  checkGrads,
  cumprod,
  cumsum,
  grad,
  prod,
  random,
  sort,
  std,
  sum,
  type Tensor,
  tensor,
  toArray,
  topk,
  variance,
  zeros,
} from '../../src/index.js';
import { thrown } from '../reference.js';

const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;
const x23 = tensor([[3, 1, 2], [0, 5, -4]]);

describe('cumsum and cumprod', () => {
  it('scan along an axis, reversed on request, and the flattened input without one', () => {
    expect(toArray(cumsum(x23))).toEqual([3, 4, 6, 6, 11, 7]);
    expect(toArray(cumsum(x23, 1))).toEqual([[3, 4, 6], [0, 5, 1]]);
    expect(toArray(cumsum(x23, -2))).toEqual([[3, 1, 2], [3, 6, -2]]);
    expect(toArray(cumsum(x23, { axis: 1, reverse: true }))).toEqual([[6, 3, 2], [1, 1, -4]]);
    expect(toArray(cumsum(x23, 1, { reverse: true }))).toEqual([[6, 3, 2], [1, 1, -4]]);
    expect(toArray(cumprod(x23, 1))).toEqual([[3, 3, 6], [0, 0, -0]]);
    expect(toArray(cumprod(x23, { axis: 1, reverse: true }))).toEqual([[6, 2, 2], [-0, -20, -4]]);
  });

  it("cumprod's derivative is exact at zeros (no division)", () => {
    // y = [x0, x0 x1, x0 x1 x2] at (2, 0, 3): ∂y1/∂x1 = x0 = 2, ∂y2/∂x1 = x0 x2 = 6
    expect(toArray(grad((t: Tensor) => sum(cumprod(t)))(tensor([2, 0, 3])))).toEqual([1, 8, 0]);
  });

  it('pass checkGrads at order 2', () => {
    const x = random.normal(random.key(1), [2, 3, 4]);
    expect(checkGrads((t: Tensor) => cumsum(t, { axis: 1, reverse: true }), [x], { order: 2 }).checks).toBeGreaterThan(0);
    expect(checkGrads((t: Tensor) => cumprod(t, 2), [x], { order: 2 }).checks).toBeGreaterThan(0);
    expect(checkGrads((t: Tensor) => cumprod(t, { axis: 0, reverse: true }), [x], { order: 2 }).checks).toBeGreaterThan(0);
  });
});

describe('prod, variance, std', () => {
  it('reduce over axes as the other reductions do', () => {
    expect(toArray(prod(x23))).toBe(-0);
    expect(toArray(prod(tensor([[1, 2], [3, 4]]), 0))).toEqual([3, 8]);
    expect(toArray(prod(tensor([[1, 2], [3, 4]]), [0, 1], true))).toEqual([[24]]);
    expect(toArray(prod(tensor([[1, 2], [3, 4]]), { axis: -1, keepdims: true }))).toEqual([[2], [12]]);
    expect(toArray(variance(tensor([[1, 2], [3, 6]]), 1))).toEqual([0.25, 2.25]);
    expect(toArray(variance(tensor([[1, 2], [3, 6]]), { axis: 1, ddof: 1 }))).toEqual([0.5, 4.5]);
    expect(toArray(std(tensor([[1, 3], [2, 2]]), { axis: 1, keepdims: true }))).toEqual([[1], [0]]);
  });

  it("prod's gradient is the product of the other entries, also with zeros; all pass checkGrads at order 2", () => {
    expect(toArray(grad((t: Tensor) => prod(t))(tensor([2, 0, 3, 0])))).toEqual([0, 0, 0, 0]);
    expect(toArray(grad((t: Tensor) => prod(t))(tensor([2, 0, 3])))).toEqual([0, 6, 0]);
    const x = random.normal(random.key(2), [3, 4]);
    expect(checkGrads((t: Tensor) => prod(t, 1), [x], { order: 2 }).checks).toBeGreaterThan(0);
    expect(checkGrads((t: Tensor) => prod(t, [0, 1]), [x], { order: 2 }).checks).toBeGreaterThan(0);
    expect(checkGrads((t: Tensor) => variance(t, { axis: 0, ddof: 1 }), [x], { order: 2 }).checks).toBeGreaterThan(0);
    expect(checkGrads((t: Tensor) => std(t, 1), [x], { order: 2 }).checks).toBeGreaterThan(0);
  });
});

describe('argmax, argmin, argsort, sort, topk', () => {
  it('find indices (first on ties, NaN as the extremum) and carry no gradient', () => {
    expect(toArray(argmax(tensor([1, 3, 3, 2])))).toBe(1);
    expect(toArray(argmin(tensor([4, 1, 1, 2])))).toBe(1);
    expect(toArray(argmax(tensor([1, NaN, 3])))).toBe(1);
    expect(toArray(argmax(x23, 0))).toEqual([0, 1, 0]);
    expect(toArray(argmin(x23, { axis: 1, keepdims: true }))).toEqual([[1], [2]]);
    expect(toArray(grad((t: Tensor) => sum(argmax(t, 0)))(x23))).toEqual([[0, 0, 0], [0, 0, 0]]);
  });

  it('sort is stable with NaN as the largest value; its values are differentiable and its indices not', () => {
    expect(toArray(argsort(tensor([2, 1, 2, NaN, 0])))).toEqual([4, 1, 0, 2, 3]);
    // NaN is the largest value, as jnp.sort (descending is the reverse of ascending) and lax.top_k
    expect(toArray(sort(tensor([2, 1, NaN, 0]), { descending: true }))).toEqual([NaN, 2, 1, 0]);
    expect(toArray(argsort(tensor([NaN, 2, NaN, 2]), { descending: true }))).toEqual([0, 2, 1, 3]);
    expect(toArray(argsort(tensor([NaN, 2, NaN, 2])))).toEqual([1, 3, 0, 2]);
    expect(toArray(sort(x23, 0))).toEqual([[0, 1, -4], [3, 5, 2]]);
    const [values, indices] = topk(x23, 2);
    expect(toArray(values)).toEqual([[3, 2], [5, 0]]);
    expect(toArray(indices)).toEqual([[0, 2], [1, 0]]);
    // topk keeps NaN (first, as the largest) instead of dropping it
    const [nanValues, nanIndices] = topk(tensor([[1, NaN, 3], [NaN, 0, NaN]]), 2);
    expect(toArray(nanValues)).toEqual([[NaN, 3], [NaN, NaN]]);
    expect(toArray(nanIndices)).toEqual([[1, 2], [0, 2]]);
    const x = random.normal(random.key(3), [3, 5]);
    expect(checkGrads((t: Tensor) => sort(t, 1), [x], { order: 2 }).checks).toBeGreaterThan(0);
    expect(checkGrads((t: Tensor) => topk(t, 3)[0], [x], { order: 2 }).checks).toBeGreaterThan(0);
  });
});

describe('the axis convention', () => {
  it('typed errors for unknown option keys, repeated and out-of-range axes and bad values', () => {
    expect(code(() => cumsum(x23, 2))).toBe('AXIS_OUT_OF_RANGE');
    expect(code(() => cumsum(x23, { axes: 1 } as never))).toBe('UNKNOWN_OPTION');
    expect(code(() => cumsum(x23, 1.5))).toBe('INVALID_ARGUMENT');
    expect(code(() => prod(x23, [1, -1]))).toBe('AXIS_OUT_OF_RANGE');
    expect(code(() => variance(x23, { axis: 0, dof: 1 } as never))).toBe('UNKNOWN_OPTION');
    expect(code(() => variance(tensor([1]), { ddof: 1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => variance(zeros([2, 0]), 1))).toBe('SHAPE_MISMATCH');
    expect(toArray(variance(zeros([0, 2]), 1))).toEqual([]);
    expect(code(() => variance(x23, { ddof: -1 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => argmax(x23, -3))).toBe('AXIS_OUT_OF_RANGE');
    expect(code(() => argmax(tensor([])))).toBe('SHAPE_MISMATCH');
    expect(code(() => sort(x23, { axis: 0 }, { descending: true }))).toBe('INVALID_ARGUMENT');
    expect(code(() => topk(x23, 4))).toBe('INVALID_ARGUMENT');
    expect(code(() => sort(tensor(1)))).toBe('AXIS_OUT_OF_RANGE');
    expect(code(() => argmax(zeros([2, 0]), 1))).toBe('SHAPE_MISMATCH');
    expect(toArray(argmax(zeros([0, 2]), 1))).toEqual([]);
  });
});
