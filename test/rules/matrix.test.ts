import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { AdjointError, diagonal, grad, jacrev, sqrt, stack, sum, tensor, type Tensor, toArray, toTypedArray, trace, tril, triu, where, greater, zeros } from '../../src/index.js';
import { thrown } from '../reference.js';
import { expectClose, type Mat, matArb } from '../linalgReference.js';

const SEED = { seed: 3, numRuns: 40 } as const;
const shapeArb = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: -5, max: 5 }));

const refDiagonal = (a: Mat, k: number): number[] => a.flatMap((row, i) => (i + k >= 0 && i + k < row.length ? [row[i + k]!] : []));

describe('diagonal, trace, triu, tril follow NumPy', () => {
  test.prop([shapeArb.chain(([n, m, k]) => fc.tuple(matArb(n, m), fc.constant(k)))], SEED)('against index loops, every offset', ([a, k]) => {
    const t = tensor(a);
    expect(toArray(diagonal(t, k))).toEqual(refDiagonal(a, k));
    expect(toArray(trace(t, k))).toBeCloseTo(refDiagonal(a, k).reduce((s, v) => s + v, 0), 14);
    expect(toArray(triu(t, k))).toEqual(a.map((row, i) => row.map((v, j) => (j - i >= k ? v : 0))));
    expect(toArray(tril(t, k))).toEqual(a.map((row, i) => row.map((v, j) => (j - i <= k ? v : 0))));
  });

  test.prop([shapeArb.chain(([n, m, k]) => fc.tuple(fc.array(matArb(n, m), { minLength: 2, maxLength: 3 }), fc.constant(k)))], SEED)('batched inputs equal a loop over the batch', ([as, k]) => {
    const same = (batched: Tensor, looped: Tensor[]): void => expect(toTypedArray(batched)).toEqual(toTypedArray(stack(looped)));
    const t = tensor(as);
    same(diagonal(t, k), as.map((a) => diagonal(tensor(a), k)));
    same(trace(t, k), as.map((a) => trace(tensor(a), k)));
    same(triu(t, k), as.map((a) => triu(tensor(a), k)));
    same(tril(t, k), as.map((a) => tril(tensor(a), k)));
  });

  it('gradients: the identity for trace, the mask for triu/tril, the embedded diagonal for diagonal', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(toArray(grad(trace)(x))).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(toArray(grad((m: Tensor) => sum(triu(m)))(x))).toEqual([[1, 1, 1], [0, 1, 1]]);
    expect(toArray(grad((m: Tensor) => sum(tril(m, -1)))(x))).toEqual([[0, 0, 0], [1, 0, 0]]);
    expect(toArray(jacrev((m: Tensor) => diagonal(m, 1))(x))).toEqual([
      [[0, 1, 0], [0, 0, 0]],
      [[0, 0, 0], [0, 0, 1]],
    ]);
  });

  it('structural zeros pass through (maskKind linear): where-guarded sqrt under triu keeps an exact 0', () => {
    // the entry below the diagonal is dropped by triu, the negative one is guarded by where
    const g = grad((m: Tensor) => sum(triu(where(greater(m, 0), sqrt(m), 0))))(tensor([[4, -1], [0, 1]]));
    expectClose(g, [[0.25, 0], [0, 0.5]], 1e-15);
    expect(toTypedArray(g).every(Number.isFinite)).toBe(true);
  });

  it('float32 stays float32', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float32' });
    expect([diagonal(x).dtype, trace(x).dtype, triu(x).dtype, tril(x).dtype]).toEqual(['float32', 'float32', 'float32', 'float32']);
  });

  it('bad input: fewer than two axes is SHAPE_MISMATCH, a non-integer offset INVALID_ARGUMENT', () => {
    for (const [f, op] of [[diagonal, 'diagonal'], [trace, 'trace'], [triu, 'triu'], [tril, 'tril']] as const) {
      const e = thrown(() => f(zeros([3])));
      expect((e as AdjointError).code).toBe('SHAPE_MISMATCH');
      expect((e as AdjointError).op).toBe(op);
      expect((e as AdjointError).message).toContain('[3]');
      expect((thrown(() => f(zeros([2, 2]), 0.5)) as AdjointError).code).toBe('INVALID_ARGUMENT');
    }
  });
});
