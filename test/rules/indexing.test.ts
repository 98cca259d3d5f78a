import { describe, expect, it } from 'vitest';
import { type AdjointError, at, checkGrads, gather, grad, jvp, oneHot, random, sum, mul, take, type Tensor, takeAlongAxis, tensor, toArray, vmap } from '../../src/index.js';
import { thrown } from '../reference.js';

const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;
const message = (f: () => unknown): string | undefined => (thrown(f) as Error | undefined)?.message;

describe('takeAlongAxis / gather', () => {
  it('picks per-row entries, as NumPy take_along_axis and torch.gather', () => {
    const x = tensor([[10, 20, 30], [40, 50, 60]]);
    expect(toArray(takeAlongAxis(x, tensor([[2, 2], [0, -1]]), 1))).toEqual([[30, 30], [40, 60]]);
    expect(toArray(gather(x, tensor([[1, 0, 1], [0, 0, 0]]), 0))).toEqual([[40, 20, 60], [10, 20, 30]]);
  });

  it('sends gradients back to the picked entries, summing repeats, at second order too', () => {
    const g = grad((t: Tensor) => sum(takeAlongAxis(t, tensor([[2, 2], [0, 1]]), 1)))(tensor([[1, 2, 3], [4, 5, 6]]));
    expect(toArray(g)).toEqual([[0, 0, 2], [1, 1, 0]]);
    const x = random.normal(random.key(1), [3, 4]);
    expect(checkGrads((t: Tensor) => mul(takeAlongAxis(t, tensor([[0], [3], [1]]), 1), takeAlongAxis(t, tensor([[1], [1], [2]]), 1)), [x], { order: 2 }).checks).toBeGreaterThan(0);
  });

  it('refuses bad indices and shapes with typed errors', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(code(() => takeAlongAxis(x, tensor([[2], [0]]), 1))).toBe('INDEX_OUT_OF_RANGE');
    // a fractional index is INVALID_ARGUMENT, as take's (one parser for indices: structure.ts's indexValues)
    expect(code(() => takeAlongAxis(x, tensor([[0.5], [0]]), 1))).toBe('INVALID_ARGUMENT');
    expect(code(() => take(x, [0.5]))).toBe('INVALID_ARGUMENT');
    expect(code(() => takeAlongAxis(x, tensor([0, 1]), 1))).toBe('SHAPE_MISMATCH');
    expect(code(() => takeAlongAxis(x, tensor([[0], [1]]), 2))).toBe('AXIS_OUT_OF_RANGE');
  });
});

describe('at', () => {
  it('set, add and get return new tensors and leave x unchanged', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    expect(toArray(at(x, 1).set(0))).toEqual([[1, 2], [0, 0], [5, 6]]);
    expect(toArray(at(x, [0, 2]).set(tensor([[7, 8], [9, 10]])))).toEqual([[7, 8], [3, 4], [9, 10]]);
    expect(toArray(at(x, [0, 0, 2]).add(1))).toEqual([[3, 4], [3, 4], [6, 7]]);
    expect(toArray(at(x, [1], 1).add(tensor([[10], [20], [30]])))).toEqual([[1, 12], [3, 24], [5, 36]]);
    expect(toArray(at(x, -1).get())).toEqual([5, 6]);
    // the last write wins on repeats
    expect(toArray(at(tensor([0, 0]), [1, 1]).set(tensor([5, 9])))).toEqual([0, 9]);
    expect(toArray(x)).toEqual([[1, 2], [3, 4], [5, 6]]);
  });

  it('gradients: overwritten positions get none, the kept write gets it, added values pass through', () => {
    const x = tensor([1, 2, 3]);
    const v = tensor([10, 20]);
    const w = tensor([1, 10, 100]);
    const f = (a: Tensor, b: Tensor) => sum(mul(at(a, [2, 2]).set(b), w));
    const [gx, gv] = grad(f, { argnums: [0, 1] })(x, v) as unknown as [Tensor, Tensor];
    expect(toArray(gx)).toEqual([1, 10, 0]);
    expect(toArray(gv)).toEqual([0, 100]);
    const gAdd = grad((b: Tensor) => sum(mul(at(x, [0, 0]).add(b), w)))(v);
    expect(toArray(gAdd)).toEqual([1, 1]);
    const r = random.normal(random.key(3), [4, 3]);
    expect(checkGrads((a: Tensor, b: Tensor) => mul(at(a, [3, 0], 0).set(b), a), [r, random.normal(random.key(4), [2, 3])], { order: 2 }).checks).toBeGreaterThan(0);
  });

  it('refuses bad indices, axes and values with typed errors', () => {
    const x = tensor([1, 2, 3]);
    expect(code(() => at(x, 3).set(0))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => at(x, [[0.5]]).set(0))).toBe('INVALID_ARGUMENT');
    expect(code(() => at(x, 0, 1))).toBe('AXIS_OUT_OF_RANGE');
    expect(code(() => at(x, [0, 1]).set(tensor([1, 2, 3])))).toBe('BROADCAST_INCOMPATIBLE');
    expect(code(() => at(x, 'a' as never))).toBe('INVALID_ARGUMENT');
  });

  it('values that do not fit the selected positions: the error names at.set or at.add and both shapes', () => {
    const x = tensor([1, 2, 3]);
    // once raised by broadcastTo, which the caller never called
    expect(message(() => at(x, [0, 1]).set(tensor([1, 2, 3])))).toBe(
      'at.set: values of shape [3] do not fit the positions selected in x, of shape [2] (x has shape [3], and indices of shape [2] select along axis 0); ' +
        'pass values of shape [2], or of a shape that broadcasts to it (a number, or size-1 dimensions)',
    );
    expect((thrown(() => at(x, [0, 1]).add(tensor([1, 2, 3]))) as AdjointError).op).toBe('at.add');
    const m = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(message(() => at(m, [0, 2], 1).add(tensor([[1, 2, 3]])))).toContain('at.add: values of shape [1, 3] do not fit the positions selected in x, of shape [2, 2]');
    expect(code(() => at(m, 1).set(tensor([[1, 2, 3], [4, 5, 6]])))).toBe('BROADCAST_INCOMPATIBLE');
    // what broadcasts still does: a number, size-1 dimensions, the exact shape
    expect(toArray(at(m, [0, 2], 1).set(tensor([[7], [8]])))).toEqual([[7, 2, 7], [8, 5, 8]]);
    expect(toArray(at(m, 1).add(tensor([1, 1, 1])))).toEqual([[1, 2, 3], [5, 6, 7]]);
  });
});

describe('oneHot', () => {
  it('encodes along the new axis, refuses indices outside [0, numClasses)', () => {
    expect(toArray(oneHot(tensor([[1], [0]]), 2))).toEqual([[[0, 1]], [[1, 0]]]);
    expect(oneHot(tensor([1, 0]), 4, { dtype: 'float32' }).dtype).toBe('float32');
    expect(code(() => oneHot(tensor([3]), 3))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => oneHot(tensor([-1]), 3))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => oneHot(tensor([1.5]), 3))).toBe('INVALID_ARGUMENT');
    expect(code(() => oneHot(tensor([1]), 0))).toBe('INVALID_ARGUMENT');
    expect(code(() => oneHot(tensor([1]), 2, { axes: 0 } as never))).toBe('UNKNOWN_OPTION');
  });

  it('indices batched by vmap or traced by jvp are checked too, in every lane', () => {
    // once a row of zeros, silently
    expect(code(() => vmap((i: Tensor) => oneHot(i, 3))(tensor([-1, 7])))).toBe('INDEX_OUT_OF_RANGE');
    expect(message(() => vmap((i: Tensor) => oneHot(i, 3))(tensor([1, 7])))).toBe('oneHot: index 7 at position 0 (in vmap lane 1) is not a class in [0, 2]');
    expect(code(() => vmap((i: Tensor) => oneHot(i, 3))(tensor([0.5, 1])))).toBe('INVALID_ARGUMENT');
    expect(code(() => vmap((i: Tensor) => oneHot(i, 3))(tensor([[0, 1], [2, NaN]])))).toBe('INVALID_ARGUMENT');
    expect(code(() => jvp((i: Tensor) => oneHot(i, 3), [tensor([3])], [tensor([1])]))).toBe('INDEX_OUT_OF_RANGE');
    expect(toArray(vmap((i: Tensor) => oneHot(i, 3))(tensor([2, 0])))).toEqual([[0, 0, 1], [1, 0, 0]]);
  });
});
