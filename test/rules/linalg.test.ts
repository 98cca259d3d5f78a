import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { arange, dot, type DType, matmul, outer, reshape, tensor, toArray, zeros } from '../../src/index.js';
import * as ref from '../reference.js';

const SEED = { seed: 1, numRuns: 60 } as const;

const abs = (a: ref.Arr): ref.Arr => ({ shape: a.shape, data: a.data.map(Math.abs) });

/** Checks matmul(a, b) against the reference, with error measured against |A|·|B| (cancellation). */
function checkMatmul(a: ref.Arr, b: ref.Arr, dtype: DType = 'float64'): void {
  const want = ref.matmul(a, b);
  const scale = ref.matmul(abs(a), abs(b)).data;
  const k = a.shape[a.shape.length - 1]!;
  const rtol = dtype === 'float64' ? 1e-12 : 1e-6 * Math.max(1, k);
  // atol: float32 products of tiny values underflow to 0 (below the smallest normal, ~1.2e-38)
  const atol = dtype === 'float64' ? 1e-300 : 1e-37;
  ref.expectTensor(matmul(ref.toTensor(a, dtype), ref.toTensor(b, dtype)), want, { rtol, atol, scale, dtype });
}

const batchPair = ref.shapeArb(0, 2).chain((out) => fc.tuple(ref.operandShapeArb(out), ref.operandShapeArb(out)));
const mkn = fc.tuple(ref.dimArb, ref.dimArb, ref.dimArb);

describe('matmul follows NumPy semantics', () => {
  const matrices = (values: fc.Arbitrary<number>) =>
    fc.tuple(batchPair, mkn).chain(([[ba, bb], [m, k, n]]) => fc.tuple(ref.arrOfShape([...ba, m, k], values), ref.arrOfShape([...bb, k, n], values)));

  test.prop([matrices(ref.valueArb())], SEED)('n-d @ n-d broadcasts the batch dimensions (sizes 0 and 1 included)', ([a, b]) => {
    checkMatmul(a, b);
  });

  test.prop([fc.tuple(ref.shapeArb(0, 2), mkn).chain(([batch, [m, k]]) => fc.tuple(ref.arrOfShape([...batch, m, k]), ref.arrOfShape([k])))], SEED)(
    'n-d @ 1-d treats the vector as a column and drops that axis',
    ([a, b]) => {
      checkMatmul(a, b);
    },
  );

  test.prop([fc.tuple(ref.shapeArb(0, 2), mkn).chain(([batch, [, k, n]]) => fc.tuple(ref.arrOfShape([k]), ref.arrOfShape([...batch, k, n])))], SEED)(
    '1-d @ n-d treats the vector as a row and drops that axis',
    ([a, b]) => {
      checkMatmul(a, b);
    },
  );

  test.prop([ref.dimArb.chain((k) => fc.tuple(ref.arrOfShape([k]), ref.arrOfShape([k])))], SEED)('1-d @ 1-d is the inner product (0-d)', ([a, b]) => {
    checkMatmul(a, b);
  });

  it('[2,1,3,4] @ [5,4,2] → [2,5,3,2]', () => {
    const a: ref.Arr = { shape: [2, 1, 3, 4], data: Array.from({ length: 24 }, (_, i) => i - 10) };
    const b: ref.Arr = { shape: [5, 4, 2], data: Array.from({ length: 40 }, (_, i) => (i % 7) - 3) };
    const r = matmul(ref.toTensor(a), ref.toTensor(b));
    expect(r.shape).toEqual([2, 5, 3, 2]);
    ref.expectTensor(r, ref.matmul(a, b));
  });

  it('hand-computed products', () => {
    expect(toArray(matmul(tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]])))).toEqual([
      [19, 22],
      [43, 50],
    ]);
    expect(toArray(matmul(tensor([[1, 2, 3], [4, 5, 6]]), tensor([1, 0, -1])))).toEqual([-2, -2]);
    expect(toArray(matmul(tensor([1, 2]), tensor([3, 4])))).toBe(11);
  });

  it('a row vector times a matrix drops the row axis', () => {
    // NumPy: [1, 2] @ [[1, 2, 3], [4, 5, 6]] = [1*1 + 2*4, 1*2 + 2*5, 1*3 + 2*6] = [9, 12, 15]
    expect(toArray(matmul(tensor([1, 2]), tensor([[1, 2, 3], [4, 5, 6]])))).toEqual([9, 12, 15]);
    expect(toArray(dot(tensor([1, 1]), tensor([[1, 2], [3, 4]])))).toEqual([4, 6]);
    expect(matmul(tensor([1, 2]), zeros([4, 2, 3])).shape).toEqual([4, 3]);
  });

  it('size-0 and size-1 dimensions', () => {
    expect(toArray(matmul(zeros([2, 0]), zeros([0, 3])))).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(matmul(zeros([0, 3]), zeros([3, 2])).shape).toEqual([0, 2]);
    expect(matmul(zeros([3, 2, 0]), zeros([0, 4])).shape).toEqual([3, 2, 4]);
    expect(matmul(zeros([0, 2, 3]), zeros([1, 3, 4])).shape).toEqual([0, 2, 4]);
    expect(toArray(matmul(zeros([0]), zeros([0])))).toBe(0);
    expect(toArray(matmul(tensor([[3]]), tensor([[4]])))).toEqual([[12]]);
  });

  // sizes past the direct-loop threshold exercise the blocked kernel: edge tiles, several KC blocks, NC strips
  for (const [m, k, n] of [
    [17, 33, 19],
    [5, 300, 7],
    [4, 4, 400],
  ] as const) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${m}x${k} @ ${k}x${n} in ${dtype}`, () => {
        const a: ref.Arr = { shape: [m, k], data: Array.from({ length: m * k }, (_, i) => Math.fround(Math.sin(i) * 3)) };
        const b: ref.Arr = { shape: [k, n], data: Array.from({ length: k * n }, (_, i) => Math.fround(Math.cos(i * 0.7) * 2)) };
        checkMatmul(a, b, dtype);
      });
    }
  }

  it('batched blocked products broadcast', () => {
    const a: ref.Arr = { shape: [2, 1, 20, 15], data: Array.from({ length: 600 }, (_, i) => ((i * 37) % 11) - 5) };
    const b: ref.Arr = { shape: [3, 15, 18], data: Array.from({ length: 810 }, (_, i) => ((i * 13) % 7) - 3) };
    checkMatmul(a, b);
  });

  test.prop([matrices(ref.float32ValueArb(-4, 4))], SEED)('float32 @ float32 is float32 within k float32 roundings', ([a, b]) => {
    checkMatmul(a, b, 'float32');
  });

  it('mixed dtypes promote to float64', () => {
    const r = matmul(tensor([[0.1]], { dtype: 'float32' }), tensor([[0.1]]));
    expect(r.dtype).toBe('float64');
    expect(toArray(r)).toEqual([[Math.fround(0.1) * 0.1]]);
  });
});

describe('dot and outer', () => {
  it('dot of vectors is the inner product; of matrices, the matrix product', () => {
    expect(toArray(dot(tensor([1, 2, 3]), tensor([4, 5, 6])))).toBe(32);
    expect(toArray(dot(tensor([[1, 0], [0, 2]]), tensor([[3], [4]])))).toEqual([[3], [8]]);
    expect(toArray(dot(tensor([[1, 2], [3, 4]]), tensor([1, 1])))).toEqual([3, 7]);
  });

  test.prop([fc.tuple(ref.arrArb(ref.valueArb(), 1, 2), ref.arrArb(ref.valueArb(), 1, 2))], SEED)('outer(x, y)[i, j] = x[i] y[j] over the flattened inputs', ([a, b]) => {
    const want = ref.build([a.data.length, b.data.length], ([i, j]) => a.data[i!]! * b.data[j!]!);
    ref.expectTensor(outer(ref.toTensor(a), ref.toTensor(b)), want);
  });

  it('outer examples', () => {
    expect(toArray(outer(tensor([1, 2]), tensor([3, 4, 5])))).toEqual([
      [3, 4, 5],
      [6, 8, 10],
    ]);
    expect(outer(reshape(arange(4), [2, 2]), tensor([1, 2, 3])).shape).toEqual([4, 3]);
    expect(outer(zeros([0]), tensor([1])).shape).toEqual([0, 1]);
  });
});
