import { describe, expect, it } from 'vitest';
import { type AdjointError, checkGrads, einsum, matmul, random, sum, type Tensor, tensor, toArray, toTypedArray, transpose, mul } from '../../src/index.js';
import { thrown } from '../reference.js';

const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;
const close = (a: Tensor, b: Tensor) => {
  expect(a.shape).toEqual(b.shape);
  const y = toTypedArray(b);
  toTypedArray(a).forEach((v, i) => expect(v).toBeCloseTo(y[i]!, 10));
};

describe('einsum', () => {
  const a = random.normal(random.key(1), [3, 4]);
  const b = random.normal(random.key(2), [4, 5]);
  const c = random.normal(random.key(3), [5, 2]);
  const batch = random.normal(random.key(4), [2, 3, 4]);
  const batch2 = random.normal(random.key(5), [2, 4, 5]);

  it('agrees with the ops it names', () => {
    close(einsum('ij,jk->ik', a, b), matmul(a, b));
    close(einsum('ij,jk', a, b), matmul(a, b)); // implicit output: i, k
    close(einsum('ij,jk,kl->il', a, b, c), matmul(matmul(a, b), c));
    close(einsum('bij,bjk->bik', batch, batch2), matmul(batch, batch2));
    close(einsum('ij->ji', a), transpose(a));
    close(einsum('ij->', a), sum(a));
    close(einsum('ij->j', a), sum(a, { axis: 0 }));
    close(einsum('ij,ij->i', a, a), sum(mul(a, a), { axis: 1 }));
    close(einsum('i,j->ij', tensor([1, 2]), tensor([3, 4, 5])), tensor([[3, 4, 5], [6, 8, 10]]));
    const sq = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(toArray(einsum('ii', sq))).toBe(15);
    expect(toArray(einsum('ii->i', sq))).toEqual([1, 5, 9]);
    // an index summed out before the contraction: sum over j of a, times b's rows
    close(einsum('ij,kl->ik', a, c), mul(sum(a, { axis: 1, keepdims: true }), sum(c, { axis: 1 })));
  });

  it('differentiates to second order', () => {
    expect(checkGrads((x: Tensor, y: Tensor) => einsum('bij,bjk->bk', x, y), [batch, batch2], { order: 2 }).checks).toBeGreaterThan(0);
    expect(checkGrads((x: Tensor) => einsum('ii->i', x), [random.normal(random.key(6), [3, 3])], { order: 2 }).checks).toBeGreaterThan(0);
  });

  it('refuses malformed subscripts and mismatched shapes with typed errors', () => {
    expect(code(() => einsum('ij,jk->ik', a))).toBe('INVALID_ARGUMENT');
    expect(code(() => einsum('ij->k', a))).toBe('INVALID_ARGUMENT');
    expect(code(() => einsum('...ij->ij', a))).toBe('INVALID_ARGUMENT');
    expect(code(() => einsum('i1', a))).toBe('INVALID_ARGUMENT');
    expect(code(() => einsum('ij->ii', a))).toBe('INVALID_ARGUMENT');
    expect(code(() => einsum('ijk', a))).toBe('SHAPE_MISMATCH');
    expect(code(() => einsum('ij,ij->i', a, b))).toBe('SHAPE_MISMATCH');
    expect(code(() => einsum(3 as never, a))).toBe('INVALID_ARGUMENT');
  });
});
