/**
 * The boundary of math.ts's ops beyond the registry suite: clip's bounds.
 */
import { describe, expect, it } from 'vitest';
import { type AdjointError, clip, grad, jvp, scalar, sum, type Tensor, tensor, toArray, vmap } from '../../src/index.js';
import { thrown } from '../reference.js';

const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;
const message = (f: () => unknown): string | undefined => (thrown(f) as Error | undefined)?.message;

describe('clip', () => {
  it('refuses a NaN bound, as a number or inside a tensor (once a NaN result)', () => {
    const x = tensor([1, 2]);
    expect(code(() => clip(x, NaN, 3))).toBe('INVALID_ARGUMENT');
    expect(code(() => clip(x, tensor(NaN), 3))).toBe('INVALID_ARGUMENT');
    expect(code(() => clip(x, 0, tensor([3, NaN])))).toBe('INVALID_ARGUMENT');
    expect(message(() => clip(x, 0, tensor([3, NaN])))).toBe('clip: max holds NaN at position 1; pass a number or a tensor without NaN, or omit it (undefined) for no bound');
    // infinite bounds are no bounds
    expect(toArray(clip(x, tensor(-Infinity), tensor([Infinity, 1.5])))).toEqual([1, 1.5]);
  });

  it('checks bounds traced by vmap (every lane), grad and jvp', () => {
    const x = tensor([1, 2]);
    expect(message(() => vmap((lo: Tensor) => clip(x, lo, 3))(tensor([0, NaN])))).toBe(
      'clip: min holds NaN at position 0 (in vmap lane 1); pass a number or a tensor without NaN, or omit it (undefined) for no bound',
    );
    expect(code(() => grad((hi: Tensor) => sum(clip(x, 0, hi)))(scalar(NaN)))).toBe('INVALID_ARGUMENT');
    expect(code(() => jvp((lo: Tensor) => clip(x, lo, 3), [scalar(NaN)], [scalar(1)]))).toBe('INVALID_ARGUMENT');
    expect(toArray(vmap((lo: Tensor) => clip(x, lo, 3))(tensor([0, 1.5])))).toEqual([[1, 2], [1.5, 2]]);
    expect(toArray(grad((hi: Tensor) => sum(clip(x, 0, hi)))(scalar(1.5)))).toBe(1);
  });
});
