import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  add,
  grad,
  item,
  norm,
  ShapeError,
  vmap,
  logSoftmax,
  logsumexp,
  max,
  mean,
  min,
  type Operand,
  type ReduceOptions,
  scalar,
  softmax,
  sum,
  type Tensor,
  tensor,
  toArray,
  toTypedArray,
  zeros,
} from '../../src/index.js';
import * as ref from '../reference.js';
import { expectTyped } from '../typed.js';

const SEED = { seed: 1, numRuns: 60 } as const;

type Reduction = (x: Operand, options?: ReduceOptions) => Tensor;
/** Each reduction, its reference fold, and whether an empty group has a value (the fold's identity). */
const REDUCTIONS: ReadonlyArray<[string, Reduction, (vs: number[]) => number, boolean]> = [
  ['sum', sum, ref.foldSum, true],
  ['mean', mean, ref.foldMean, false],
  ['max', max, ref.foldMax, false],
  ['min', min, ref.foldMin, false],
  ['logsumexp', logsumexp, ref.foldLogsumexp, true],
];

/** Whether reducing `axis` of `shape` meets an axis of size 0. */
const reducesEmptyAxis = (shape: ReadonlyArray<number>, axis: ref.Axes): boolean => ref.normAxes(axis, shape.length).some((a) => shape[a] === 0);

/** An array, an `axis` option valid for its rank, and `keepdims` (true, false or omitted). */
const reductionCase = (values: fc.Arbitrary<number> = ref.valueArb()) =>
  ref.arrArb(values).chain((a) => fc.tuple(fc.constant(a), ref.axesArb(a.shape.length), fc.option(fc.boolean(), { nil: undefined })));

const callReduction = (op: Reduction, x: Tensor, axis: ref.Axes, keepdims: boolean | undefined): Tensor =>
  axis === undefined && keepdims === undefined ? op(x) : op(x, { ...(axis !== undefined && { axis }), ...(keepdims !== undefined && { keepdims }) });

describe('reductions match the reference', () => {
  for (const [name, op, fold, hasIdentity] of REDUCTIONS) {
    test.prop([reductionCase()], SEED)(`${name} with axis (number, list, negative, omitted) and keepdims`, ([a, axis, keepdims]) => {
      if (!hasIdentity && reducesEmptyAxis(a.shape, axis)) {
        expectTyped(() => callReduction(op, ref.toTensor(a), axis, keepdims), 'SHAPE_MISMATCH', name, ['has size 0'], ShapeError);
        return;
      }
      const r = callReduction(op, ref.toTensor(a), axis, keepdims);
      ref.expectTensor(r, ref.reduce(a, axis, keepdims ?? false, fold), { rtol: 1e-12, atol: 1e-12, dtype: 'float64' });
    });

    test.prop([reductionCase(ref.specialValueArb)], SEED)(`${name} propagates NaN and infinities`, ([a, axis, keepdims]) => {
      if (!hasIdentity && reducesEmptyAxis(a.shape, axis)) return; // refused, as above
      const r = callReduction(op, ref.toTensor(a), axis, keepdims);
      ref.expectTensor(r, ref.reduce(a, axis, keepdims ?? false, fold), { rtol: 1e-12, atol: 1e-12 });
    });
  }

  it('agree with hand-computed values', () => {
    const x = tensor([
      [1, 5, 2],
      [3, 4, -6],
    ]);
    expect(toArray(sum(x))).toBe(9);
    expect(toArray(sum(x, { axis: 0 }))).toEqual([4, 9, -4]);
    expect(toArray(sum(x, { axis: -1, keepdims: true }))).toEqual([[8], [1]]);
    expect(toArray(sum(x, { axis: [1, 0] }))).toBe(9);
    expect(toArray(mean(x, { axis: 1 }))).toEqual([8 / 3, 1 / 3]);
    expect(toArray(max(x, { axis: 1 }))).toEqual([5, 4]);
    expect(toArray(min(x, { axis: 0, keepdims: true }))).toEqual([[1, 4, -6]]);
    expect(toArray(max(x))).toBe(5);
    expect(item(logsumexp(tensor([0, Math.log(3)])))).toBeCloseTo(Math.log(4), 15);
    expect(sum(x, { axis: [] }).shape).toEqual([2, 3]);
    expect(item(sum(7))).toBe(7);
    expect(sum(scalar(2), { keepdims: true }).shape).toEqual([]);
  });

  it('reduce empty axes to the identity of the fold where it has one (sum: 0, logsumexp: -Infinity)', () => {
    expect(toArray(sum(zeros([0])))).toBe(0);
    expect(toArray(sum(zeros([2, 0]), { axis: 1 }))).toEqual([0, 0]);
    expect(toArray(logsumexp(zeros([0])))).toBe(-Infinity);
    expect(toArray(logsumexp(zeros([2, 0]), 1))).toEqual([-Infinity, -Infinity]);
    expect(sum(zeros([0, 3]), { axis: 1 }).shape).toEqual([0]);
    // reducing only non-empty axes of an empty tensor is fine for every reduction
    expect(max(zeros([0, 3]), 1).shape).toEqual([0]);
    expect(mean(zeros([0, 3]), -1, true).shape).toEqual([0, 1]);
  });

  it('max, min and mean of an empty group are SHAPE_MISMATCH naming the op, the shape and the axis (not ±Infinity or NaN)', () => {
    expectTyped(() => max(zeros([0])), 'SHAPE_MISMATCH', 'max', ['shape [0]', 'axis 0', 'has size 0', 'no maximum'], ShapeError);
    expectTyped(() => max(zeros([2, 0]), 1), 'SHAPE_MISMATCH', 'max', ['shape [2, 0]', 'axis 1'], ShapeError);
    expectTyped(() => min(zeros([2, 0]), { axis: -1 }), 'SHAPE_MISMATCH', 'min', ['shape [2, 0]', 'axis 1', 'no minimum'], ShapeError);
    expectTyped(() => mean(zeros([2, 0]), 1), 'SHAPE_MISMATCH', 'mean', ['shape [2, 0]', 'axis 1', '0/0'], ShapeError);
    expectTyped(() => mean(zeros([0])), 'SHAPE_MISMATCH', 'mean', ['shape [0]'], ShapeError);
    // as in JAX, a reduced axis of size 0 is refused even when the result has no elements
    expectTyped(() => max(zeros([0, 0]), 1), 'SHAPE_MISMATCH', 'max', ['shape [0, 0]'], ShapeError);
    // under a transform too (the shapes are known when the op is called)
    expectTyped(() => grad((x: Tensor) => add(sum(x), max(x, 1)))(zeros([2, 0])), 'SHAPE_MISMATCH', 'max', ['shape [2, 0]'], ShapeError);
    expectTyped(() => vmap((x: Tensor) => mean(x))(zeros([3, 0])), 'SHAPE_MISMATCH', 'mean', ['shape [0]'], ShapeError);
    // the orders of norm built on max and min name norm
    expectTyped(() => norm(zeros([0]), Infinity), 'SHAPE_MISMATCH', 'norm', ['shape [0]', 'largest |x|'], ShapeError);
    expectTyped(() => norm(zeros([2, 0]), -Infinity, 1), 'SHAPE_MISMATCH', 'norm', ['smallest |x|'], ShapeError);
    expectTyped(() => norm(zeros([3, 0]), 1), 'SHAPE_MISMATCH', 'norm', ['column sum'], ShapeError);
    expectTyped(() => norm(zeros([0, 3]), Infinity), 'SHAPE_MISMATCH', 'norm', ['row sum'], ShapeError);
    expect(toArray(norm(zeros([0, 3]), 1))).toBe(0); // the column sums of no rows are 0
    expect(toArray(norm(zeros([0])))).toBe(0);
  });
});

describe('logsumexp, softmax and logSoftmax are stable', () => {
  it('logsumexp does not overflow or underflow', () => {
    expect(item(logsumexp(tensor([1000, 1000])))).toBe(1000 + Math.log(2));
    expect(item(logsumexp(tensor([-1000, -1000])))).toBe(-1000 + Math.log(2));
    expect(toArray(logsumexp(tensor([[1000, 1000, 1000], [-5000, 0, -5000]]), { axis: 1 }))).toEqual([1000 + Math.log(3), 0]);
    expect(toArray(logsumexp(tensor([[1e4], [1e4 + 1]]), { axis: 0, keepdims: true }))).toEqual([[1e4 + 1 + Math.log1p(Math.exp(-1))]]);
    const f32 = logsumexp(tensor([3000, 3000], { dtype: 'float32' }));
    expect(f32.dtype).toBe('float32');
    expect(item(f32)).toBe(Math.fround(3000 + Math.log(2)));
  });

  it('logsumexp handles -Infinity, Infinity and NaN inputs', () => {
    expect(item(logsumexp(tensor([-Infinity, -Infinity])))).toBe(-Infinity);
    expect(item(logsumexp(tensor([-Infinity, 0])))).toBe(0);
    expect(item(logsumexp(tensor([-Infinity, 1000, 1000])))).toBe(1000 + Math.log(2));
    expect(item(logsumexp(tensor([Infinity, 1])))).toBe(Infinity);
    expect(Number.isNaN(item(logsumexp(tensor([NaN, 1]))))).toBe(true);
    expect(toArray(logsumexp(tensor([[-Infinity, -Infinity], [0, -Infinity]]), { axis: 1 }))).toEqual([-Infinity, 0]);
  });

  it('softmax and logSoftmax of large and -Infinity inputs', () => {
    // exp(x - lse) inherits lse's rounding at magnitude 1000 (ulp ≈ 1e-13), as in NumPy and JAX
    for (const v of toTypedArray(softmax(tensor([1000, 1000, 1000])))) expect(v).toBeCloseTo(1 / 3, 12);
    expect(toArray(softmax(tensor([1000, 0])))).toEqual([1, 0]);
    expect(toArray(softmax(tensor([-Infinity, 0])))).toEqual([0, 1]);
    expect(toArray(logSoftmax(tensor([1000, 0])))).toEqual([0, -1000]);
    expect(toArray(logSoftmax(tensor([-Infinity, 0])))).toEqual([-Infinity, 0]);
    expect(toArray(softmax(tensor([[1000, 1000], [-1000, -1000]]), 0))).toEqual([
      [1, 1],
      [0, 0],
    ]);
    expect(toArray(softmax(tensor([[0, Math.log(3)]]), 1))).toEqual([[0.25, 0.75]]);
  });

  const softmaxCase = ref.arrArb(ref.valueArb(-20, 20), 1).chain((a) =>
    fc.tuple(fc.constant(a), fc.option(fc.integer({ min: -a.shape.length, max: a.shape.length - 1 }), { nil: undefined })),
  );
  test.prop([softmaxCase], SEED)('softmax matches the reference along any axis (default: last)', ([a, axis]) => {
    const r = axis === undefined ? softmax(ref.toTensor(a)) : softmax(ref.toTensor(a), axis);
    ref.expectTensor(r, ref.softmax(a, axis ?? -1, false), { rtol: 1e-12, atol: 1e-15, dtype: 'float64' });
  });
  test.prop([softmaxCase], SEED)('logSoftmax matches the reference along any axis (default: last)', ([a, axis]) => {
    const r = axis === undefined ? logSoftmax(ref.toTensor(a)) : logSoftmax(ref.toTensor(a), axis);
    ref.expectTensor(r, ref.softmax(a, axis ?? -1, true), { rtol: 1e-12, atol: 1e-12, dtype: 'float64' });
  });
});

describe('float32 reductions', () => {
  const absArr = (a: ref.Arr): ref.Arr => ({ shape: a.shape, data: a.data.map(Math.abs) });
  const reducedLength = (a: ref.Arr, axis: ref.Axes): number =>
    ref.normAxes(axis, a.shape.length).reduce((n, ax) => n * a.shape[ax]!, 1);

  for (const [name, op, fold, hasIdentity] of REDUCTIONS) {
    test.prop([reductionCase(ref.float32ValueArb())], SEED)(`${name} on float32 is float32 within rounding scaled by the length`, ([a, axis, keepdims]) => {
      if (!hasIdentity && reducesEmptyAxis(a.shape, axis)) return; // refused (tested above)
      const r = callReduction(op, ref.toTensor(a, 'float32'), axis, keepdims);
      const want = ref.reduce(a, axis, keepdims ?? false, fold);
      // sums and means can cancel: the error is measured against Σ|x| (mean: its average), per element
      // of the reduction; max, min and logsumexp are a single rounding of the exact value
      const scaled = name === 'sum' || name === 'mean';
      const scale = scaled ? ref.reduce(absArr(a), axis, keepdims ?? false, fold).data : undefined;
      const n = Math.max(1, reducedLength(a, axis));
      ref.expectTensor(r, want, { rtol: scaled ? 1e-6 * n : 1e-6, atol: 1e-12, dtype: 'float32', ...(scale && { scale }) });
    });
  }

  test.prop([ref.arrArb(ref.float32ValueArb(), 1)], SEED)('softmax on float32 is float32 within a few float32 roundings', (a) => {
    // exp amplifies the float32 roundings of (x - logsumexp x), whose magnitude is < 40 here: ~40·6e-8
    const r = softmax(ref.toTensor(a, 'float32'));
    ref.expectTensor(r, ref.softmax(a, -1, false), { rtol: 1e-5, atol: 1e-12, dtype: 'float32' });
  });

  it('a concrete float32 sum is the float32 rounding of the exact sum', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => Math.fround(1 / (i + 1)));
    const exact = xs.reduce((p, v) => p + v, 0);
    const r = sum(tensor(xs, { dtype: 'float32' }));
    expect(r.dtype).toBe('float32');
    expect(Math.abs(item(r) - exact)).toBeLessThanOrEqual(1e-6 * exact);
    expect(toTypedArray(sum(tensor([[1, 2]], { dtype: 'float32' }), { axis: 1 }))).toBeInstanceOf(Float32Array);
  });
});
