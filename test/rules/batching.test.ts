/**
 * vmap over the new ops: each result equals the per-lane results stacked, for lanes on any axis and
 * for unbatched operands: every new row has a batching rule (clip, cumsum, cumprod, prod, argmax,
 * argmin, argsort, takeAlongAxis, scatterAlongAxis, scatterSet, lastOccurrence, patches, col2im,
 * poolArgmax), so conv, the pools, sort, topk and at() vmap, and jacrev/jacfwd/hessian go through them.
 */
import { describe, expect, it } from 'vitest';
import {
  argmax,
  at,
  maxPool,
  argsort,
  avgPool,
  clip,
  conv,
  cumprod,
  cumsum,
  grad,
  jacrev,
  mul,
  prod,
  random,
  sort,
  stack,
  sum,
  take,
  takeAlongAxis,
  type Tensor,
  tensor,
  toArray,
  topk,
  toTypedArray,
  vmap,
} from '../../src/index.js';

/** The lanes of `x` along `axis`, each without that axis (`take` with a 0-d index). */
const lanes = (x: Tensor, axis: number): Tensor[] => Array.from({ length: x.shape[axis]! }, (_, i) => take(x, i, axis));

function expectPerLane(f: (x: Tensor) => Tensor, x: Tensor, inAxis = 0): void {
  const batched = vmap(f, { inAxes: inAxis })(x);
  const each = stack(lanes(x, inAxis).map(f));
  expect(batched.shape).toEqual(each.shape);
  const a = toTypedArray(batched);
  toTypedArray(each).forEach((v, i) => expect(a[i]).toBeCloseTo(v, 12));
}

describe('vmap over the new ops', () => {
  const x = random.normal(random.key(1), [3, 4, 5]);

  it('clip, scans, prod, argmax, argsort, sort, topk', () => {
    expectPerLane((t) => clip(t, -0.5, 0.5), x, 1);
    expectPerLane((t) => cumsum(t, { axis: 1, reverse: true }), x, 2);
    expectPerLane((t) => cumprod(t, 0), x, 1);
    expectPerLane((t) => prod(t, 1), x);
    expectPerLane((t) => argmax(t, 0), x, 2);
    expectPerLane((t) => argsort(t, -1, { descending: true }), x, 1);
    expectPerLane((t) => sort(t, 0), x);
    expectPerLane((t) => topk(t, 2)[0], x, 2);
  });

  it('takeAlongAxis with batched and unbatched indices', () => {
    const ind = tensor([[0, 2], [1, 1], [3, 0], [2, 2]]);
    expectPerLane((t) => takeAlongAxis(t, ind, 1), random.normal(random.key(2), [2, 4, 4]));
    const inds = tensor([[[0], [2]], [[1], [1]], [[2], [0]]]);
    const xs = random.normal(random.key(3), [3, 2, 3]);
    const batched = vmap((t: Tensor, i: Tensor) => takeAlongAxis(t, i, 1))(xs, inds);
    expect(toArray(batched)).toEqual((toArray(xs) as number[][][]).map((m, l) => m.map((row, r) => [row[(toArray(inds) as number[][][])[l]![r]![0]!]!])));
  });

  it('conv and avgPool, with the lanes as more images', () => {
    const imgs = random.normal(random.key(4), [2, 3, 1, 5, 5]); // lanes, N, C, H, W
    const w = random.normal(random.key(5), [2, 1, 3, 3]);
    expectPerLane((t) => conv(t, w, { padding: 'SAME', windowStrides: 2 }), imgs);
    expectPerLane((t) => avgPool(t, 2), imgs, 1);
  });

  it('maxPool and at().set, with indices shared by the lanes or their own', () => {
    const imgs = random.normal(random.key(8), [2, 2, 1, 4, 4]);
    expectPerLane((t) => maxPool(t, 2), imgs);
    expectPerLane((t) => maxPool(t, [2, 3], { strides: 1 }), imgs, 1);
    const rows = random.normal(random.key(9), [3, 4]);
    expectPerLane((t) => at(t, [1, 1, 3]).set(tensor([7, 8, 9])), rows);
    const f = (t: Tensor, i: Tensor) => at(t, i).set(tensor([5, 6]));
    const is = tensor([[0, 0], [3, 1], [2, 2]]);
    const batched = vmap(f)(rows, is);
    const each = stack([0, 1, 2].map((l) => f(take(rows, l, 0), take(is, l, 0))));
    expect(toArray(batched)).toEqual(toArray(each));
    // jacrev maps over the basis with vmap: the last write alone gets the derivative
    const j = jacrev((v: Tensor) => at(tensor([0, 0, 0]), [2, 2]).set(v))(tensor([1, 2])) as Tensor;
    expect(toArray(j)).toEqual([[0, 0], [0, 0], [0, 1]]);
  });

  it('jacrev (a batched pass over the basis) through cumprod is exact at zeros', () => {
    const j = jacrev((t: Tensor) => cumprod(t))(tensor([2, 0, 3])) as Tensor;
    expect(toArray(j)).toEqual([[1, 0, 0], [0, 2, 0], [0, 6, 0]]);
    const jr = jacrev((t: Tensor) => cumprod(t, { axis: 0, reverse: true }))(tensor([2, 0, 3])) as Tensor;
    expect(toArray(jr)).toEqual([[0, 6, 0], [0, 3, 0], [0, 0, 1]]);
    // per-example gradients of a conv layer
    const w = random.normal(random.key(6), [1, 1, 2, 2]);
    const per = vmap(grad((img: Tensor) => sum(mul(conv(img, w), conv(img, w)))))(random.normal(random.key(7), [3, 1, 1, 4, 4]));
    expect(per.shape).toEqual([3, 1, 1, 4, 4]);
  });
});
