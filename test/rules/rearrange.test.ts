import { describe, expect, it } from 'vitest';
import { type AdjointError, arange, checkGrads, flip, grad, mul, random, repeat, split, sum, type Tensor, tensor, tile, toArray } from '../../src/index.js';
import { thrown } from '../reference.js';

const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;
const x = tensor([[1, 2, 3], [4, 5, 6]]);

describe('flip, tile, repeat, split', () => {
  it('rearrange as NumPy does', () => {
    expect(toArray(flip(x, -1))).toEqual([[3, 2, 1], [6, 5, 4]]);
    expect(toArray(flip(x, [0, 1]))).toEqual([[6, 5, 4], [3, 2, 1]]);
    expect(toArray(tile(x, [2, 1]))).toEqual([[1, 2, 3], [4, 5, 6], [1, 2, 3], [4, 5, 6]]);
    expect(tile(x, [2, 1, 1]).shape).toEqual([2, 2, 3]);
    expect(toArray(repeat(x, 2, 0))).toEqual([[1, 2, 3], [1, 2, 3], [4, 5, 6], [4, 5, 6]]);
    expect(toArray(repeat(x, [0, 1, 2], { axis: 1 }))).toEqual([[2, 3, 3], [5, 6, 6]]);
    expect(toArray(repeat(x, 2))).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    const parts = split(x, [1, 1], 1);
    expect(parts.map((p) => p.shape)).toEqual([[2, 1], [2, 0], [2, 2]]);
    expect(split(arange(4), 2, { axis: 0 }).map((p) => toArray(p))).toEqual([[0, 1], [2, 3]]);
    expect(Object.isFrozen(parts)).toBe(true);
  });

  it('gradients sum the copies back, and pass checkGrads at order 2', () => {
    expect(toArray(grad((t: Tensor) => sum(tile(t, 3)))(tensor([1, 2])))).toEqual([3, 3]);
    expect(toArray(grad((t: Tensor) => sum(mul(repeat(t, [1, 3]), tensor([1, 2, 3, 4]))))(tensor([5, 6])))).toEqual([1, 9]);
    const r = random.normal(random.key(1), [2, 3]);
    expect(checkGrads((t: Tensor) => mul(flip(t, 1), t), [r], { order: 2 }).checks).toBeGreaterThan(0);
    expect(checkGrads((t: Tensor) => mul(tile(t, [1, 2]), tile(t, [1, 2])), [r], { order: 2 }).checks).toBeGreaterThan(0);
    expect(checkGrads((t: Tensor) => mul(split(t, 3, 1)[2]!, split(t, [1], 1)[0]!), [r], { order: 2 }).checks).toBeGreaterThan(0);
  });

  it('refuses bad arguments with typed errors', () => {
    expect(code(() => flip(x, 2))).toBe('AXIS_OUT_OF_RANGE');
    expect(code(() => flip(x, [0, 0]))).toBe('AXIS_OUT_OF_RANGE');
    expect(code(() => flip(x, { axes: 0 } as never))).toBe('UNKNOWN_OPTION');
    expect(code(() => tile(x, -1))).toBe('INVALID_ARGUMENT');
    expect(code(() => repeat(x, [1, 2], 1))).toBe('INVALID_ARGUMENT');
    expect(code(() => split(x, 2, 1))).toBe('SHAPE_MISMATCH');
    expect(code(() => split(x, [2, 1], 1))).toBe('INVALID_ARGUMENT');
  });
});
