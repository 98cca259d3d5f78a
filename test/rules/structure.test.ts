import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  arange,
  broadcastTo,
  concat,
  expandDims,
  pad,
  reshape,
  scalar,
  slice,
  squeeze,
  stack,
  take,
  tensor,
  toArray,
  transpose,
  zeros,
} from '../../src/index.js';
import * as B from '../../src/index.js';
import * as ref from '../reference.js';
import { expectTyped } from '../typed.js';

const SEED = { seed: 1, numRuns: 60 } as const;

describe('reshape', () => {
  /** A target with the same size: the dims shuffled, size-1 dims inserted, one maybe written as -1. */
  const reshapeCase = ref.arrArb().chain((a) =>
    fc
      .tuple(
        fc.shuffledSubarray(a.shape, { minLength: a.shape.length, maxLength: a.shape.length }),
        fc.array(fc.constant(1), { maxLength: 2 }),
        fc.option(fc.nat(), { nil: undefined }),
      )
      .map(([dims, ones, inferAt]) => {
        const target = [...dims, ...ones];
        if (inferAt !== undefined && target.length > 0) {
          const i = inferAt % target.length;
          const known = target.reduce((p, d, j) => (j === i ? p : p * d), 1);
          if (known !== 0) target[i] = -1;
        }
        return [a, target] as const;
      }),
  );
  test.prop([reshapeCase], SEED)('keeps the row-major elements and infers -1', ([a, target]) => {
    ref.expectTensor(reshape(ref.toTensor(a), target), ref.reshape(a, target), { dtype: 'float64' });
  });

  it('examples', () => {
    expect(toArray(reshape(arange(6), [2, -1]))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(toArray(reshape(arange(6), [-1, 2, 1]))).toEqual([[[0], [1]], [[2], [3]], [[4], [5]]]);
    expect(toArray(reshape(tensor([[7]]), []))).toBe(7);
    expect(toArray(reshape(scalar(7), [1, 1, -1]))).toEqual([[[7]]]);
    expect(reshape(zeros([0, 3]), [3, 0, 5]).shape).toEqual([3, 0, 5]);
    expect(reshape(tensor([1, 2], { dtype: 'float32' }), [2, 1]).dtype).toBe('float32');
  });
});

describe('transpose', () => {
  test.prop([ref.arrArb()], SEED)('reverses the axes by default', (a) => {
    ref.expectTensor(transpose(ref.toTensor(a)), ref.transpose(a));
  });
  test.prop([ref.arrArb().chain((a) => fc.tuple(fc.constant(a), ref.permArb(a.shape.length)))], SEED)('applies a given permutation', ([a, perm]) => {
    ref.expectTensor(transpose(ref.toTensor(a), perm), ref.transpose(a, perm));
  });
  it('examples', () => {
    expect(toArray(transpose(tensor([[1, 2, 3], [4, 5, 6]])))).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    const x = reshape(arange(24), [2, 3, 4]);
    const t = transpose(x, [1, -1, 0]);
    expect(t.shape).toEqual([3, 4, 2]);
    // element [i, j, k] of t is x[k, i, j]
    expect((toArray(t) as number[][][])[2]![3]![1]).toBe(1 * 12 + 2 * 4 + 3);
  });
});

describe('expandDims and squeeze', () => {
  test.prop([ref.arrArb().chain((a) => fc.tuple(fc.constant(a), fc.integer({ min: -a.shape.length - 1, max: a.shape.length })))], SEED)(
    'expandDims inserts a 1 at the axis (negative counts from the end)',
    ([a, axis]) => {
      const ax = axis < 0 ? axis + a.shape.length + 1 : axis;
      const shape = [...a.shape];
      shape.splice(ax, 0, 1);
      ref.expectTensor(expandDims(ref.toTensor(a), axis), { shape, data: a.data });
    },
  );

  test.prop([ref.arrArb()], SEED)('squeeze with no axis removes every 1', (a) => {
    ref.expectTensor(squeeze(ref.toTensor(a)), { shape: a.shape.filter((d) => d !== 1), data: a.data });
  });

  const squeezeCase = ref.arrArb().chain((a) => {
    const ones = a.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    return fc.tuple(fc.constant(a), fc.shuffledSubarray(ones), fc.boolean(), fc.boolean());
  });
  test.prop([squeezeCase], SEED)('squeeze removes just the given size-1 axes', ([a, axes, negative, asNumber]) => {
    const given = axes.map((x) => (negative ? x - a.shape.length : x));
    const r = asNumber && given.length === 1 ? squeeze(ref.toTensor(a), given[0]!) : squeeze(ref.toTensor(a), given);
    ref.expectTensor(r, { shape: a.shape.filter((_, i) => !axes.includes(i)), data: a.data });
  });

  it('examples', () => {
    expect(expandDims(tensor([1, 2]), -1).shape).toEqual([2, 1]);
    expect(expandDims(scalar(3), 0).shape).toEqual([1]);
    expect(squeeze(zeros([1, 3, 1]), -1).shape).toEqual([1, 3]);
    expect(toArray(squeeze(tensor([[[5]]])))).toBe(5);
  });
});

describe('broadcastTo', () => {
  const broadcastCase = ref.shapeArb().chain((out) => fc.tuple(ref.operandShapeArb(out).chain((s) => ref.arrOfShape(s)), fc.constant(out)));
  test.prop([broadcastCase], SEED)('repeats along broadcast axes like NumPy', ([a, shape]) => {
    ref.expectTensor(broadcastTo(ref.toTensor(a), shape), ref.broadcastTo(a, shape));
  });
  it('examples', () => {
    expect(toArray(broadcastTo(tensor([[1], [2]]), [2, 3]))).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(toArray(broadcastTo(scalar(4), [2]))).toEqual([4, 4]);
    expect(broadcastTo(tensor([1]), [3, 0]).shape).toEqual([3, 0]);
  });
});

describe('slice', () => {
  const bound = (d: number): fc.Arbitrary<number> => fc.integer({ min: -d - 2, max: d + 2 });
  const sliceCase = ref.arrArb().chain((a) =>
    fc.tuple(
      fc.constant(a),
      fc.integer({ min: 0, max: a.shape.length }).chain((n) => fc.tuple(...a.shape.slice(0, n).map(bound))),
      fc.option(
        fc.integer({ min: 0, max: a.shape.length }).chain((n) => fc.tuple(...a.shape.slice(0, n).map(bound))),
        { nil: undefined },
      ),
    ),
  );
  test.prop([sliceCase], SEED)('matches NumPy basic slicing with negative and clamped bounds', ([a, start, end]) => {
    const r = end === undefined ? slice(ref.toTensor(a), start) : slice(ref.toTensor(a), start, end);
    ref.expectTensor(r, ref.slice(a, start, end));
  });
  it('examples', () => {
    const x = arange(5);
    expect(toArray(slice(x, [1], [-1]))).toEqual([1, 2, 3]);
    expect(toArray(slice(x, [-2]))).toEqual([3, 4]);
    expect(toArray(slice(x, [-100], [100]))).toEqual([0, 1, 2, 3, 4]);
    expect(toArray(slice(x, [3], [1]))).toEqual([]);
    expect(toArray(slice(x, [7], [9]))).toEqual([]);
    expect(toArray(slice(reshape(arange(12), [3, 4]), [1, -3], [3, -1]))).toEqual([
      [5, 6],
      [9, 10],
    ]);
  });
});

describe('concat and stack', () => {
  const concatCase = ref.shapeArb(1, 3).chain((shape) =>
    fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((axis) => {
      const ax = axis < 0 ? axis + shape.length : axis;
      const part = fc.integer({ min: 0, max: 3 }).chain((d) => ref.arrOfShape(shape.map((s, i) => (i === ax ? d : s))));
      return fc.tuple(fc.array(part, { minLength: 1, maxLength: 3 }), fc.constant(axis));
    }),
  );
  test.prop([concatCase], SEED)('concat joins along an existing axis', ([parts, axis]) => {
    ref.expectTensor(concat(parts.map((p) => ref.toTensor(p)), axis), ref.concat(parts, axis));
  });

  const stackCase = ref.shapeArb(0, 3).chain((shape) =>
    fc.tuple(fc.array(ref.arrOfShape(shape), { minLength: 1, maxLength: 3 }), fc.integer({ min: -shape.length - 1, max: shape.length })),
  );
  test.prop([stackCase], SEED)('stack joins along a new axis', ([parts, axis]) => {
    ref.expectTensor(stack(parts.map((p) => ref.toTensor(p)), axis), ref.stack(parts, axis));
  });

  it('examples', () => {
    expect(toArray(concat([tensor([[1, 2]]), tensor([[3, 4], [5, 6]])]))).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(toArray(concat([tensor([[1], [2]]), tensor([[3], [4]])], -1))).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(toArray(stack([tensor([1, 2]), tensor([3, 4])], 1))).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(toArray(stack([scalar(1), scalar(2), 3]))).toEqual([1, 2, 3]);
    const mixed = concat([tensor([1], { dtype: 'float32' }), tensor([2])]);
    expect(mixed.dtype).toBe('float64');
    expect(concat([tensor([1], { dtype: 'float32' }), tensor([2], { dtype: 'float32' })]).dtype).toBe('float32');
  });
});

describe('take', () => {
  const takeCase = ref.arrArb(ref.valueArb(), 1).chain((a) =>
    fc.integer({ min: -a.shape.length, max: a.shape.length - 1 }).chain((axis) => {
      const d = a.shape[axis < 0 ? axis + a.shape.length : axis]!;
      const index = d === 0 ? fc.constant(0) : fc.integer({ min: -d, max: d - 1 });
      const indShape = d === 0 ? fc.constant<number[]>([0]) : ref.shapeArb(0, 2, fc.integer({ min: 0, max: 3 }));
      return fc.tuple(
        fc.constant(a),
        indShape.chain((s) => fc.tuple(fc.constant(s), fc.array(index, { minLength: ref.size(s), maxLength: ref.size(s) }))),
        fc.constant(axis),
      );
    }),
  );
  test.prop([takeCase], SEED)('selects along an axis by (negative, repeated) indices of any shape', ([a, [indShape, indices], axis]) => {
    const x = ref.toTensor(a);
    const want = ref.take(a, indices, indShape, axis);
    ref.expectTensor(take(x, ref.toTensor({ shape: indShape, data: indices }), axis), want);
    if (indShape.length === 1) ref.expectTensor(take(x, indices, axis), want);
    if (indShape.length === 0) ref.expectTensor(take(x, indices[0]!, axis), want);
  });
  it('examples', () => {
    expect(toArray(take(tensor([10, 20, 30]), [2, 0, -1, -1]))).toEqual([30, 10, 30, 30]);
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(toArray(take(m, [2, 2, 0], 1))).toEqual([
      [3, 3, 1],
      [6, 6, 4],
    ]);
    expect(toArray(take(m, -1))).toEqual([4, 5, 6]);
    expect(toArray(take(m, tensor([[1], [0]]), 0))).toEqual([[[4, 5, 6]], [[1, 2, 3]]]);
    expect(take(m, [], 1).shape).toEqual([2, 0]);
    expect(take(tensor([1, 2], { dtype: 'float32' }), [1]).dtype).toBe('float32');
  });
});

describe('pad', () => {
  const padCase = ref.arrArb().chain((a) =>
    fc.tuple(
      fc.constant(a),
      fc.tuple(...a.shape.map(() => fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })))),
      fc.option(ref.valueArb(), { nil: undefined }),
    ),
  );
  test.prop([padCase], SEED)('surrounds each axis with the value (default 0)', ([a, widths, value]) => {
    const r = value === undefined ? pad(ref.toTensor(a), widths) : pad(ref.toTensor(a), widths, value);
    ref.expectTensor(r, ref.pad(a, widths, value ?? 0));
  });
  it('examples', () => {
    expect(toArray(pad(tensor([1, 2]), [[1, 2]]))).toEqual([0, 1, 2, 0, 0]);
    expect(toArray(pad(tensor([[1]]), [[0, 1], [1, 0]], 9))).toEqual([
      [9, 1],
      [9, 9],
    ]);
    expect(toArray(pad(zeros([0]), [[1, 1]], 5))).toEqual([5, 5]);
    expect(toArray(pad(scalar(3), []))).toBe(3);
  });
});

describe('the boundary: structural ops check every argument (issue 8 §2)', () => {
  const x = B.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const loose = (f: unknown): ((...a: unknown[]) => unknown) => f as (...a: unknown[]) => unknown;

  it('slice: start and end are arrays of integers (slice(x, 1) and slice(x, [1], 2) used to be ignored)', () => {
    expectTyped(() => loose(B.slice)(x, 1), 'INVALID_ARGUMENT', 'slice', ['start is the number 1', '[1]']);
    expectTyped(() => loose(B.slice)(x, [1], 2), 'INVALID_ARGUMENT', 'slice', ['end is the number 2', '[2]']);
    expectTyped(() => loose(B.slice)(x, [0.5]), 'INVALID_ARGUMENT', 'slice', ['start[0] is the number 0.5']);
    expectTyped(() => loose(B.slice)(x, ['1']), 'INVALID_ARGUMENT', 'slice', ['start[0] is the string "1"']);
    expectTyped(() => B.slice(x, [0, 0, 0]), 'AXIS_OUT_OF_RANGE', 'slice', ['3 indices', '[2, 3]']);
    expectTyped(() => loose(B.slice)(x, [0], [1], [2]), 'INVALID_ARGUMENT', 'slice', ['got 4 arguments']);
    expect(B.toArray(B.slice(x, [1], [2]))).toEqual([[4, 5, 6]]);
  });

  it('pad: one [before, after] pair of non-negative integers per axis, and a number to pad with', () => {
    const v = B.tensor([1, 2]);
    expectTyped(() => loose(B.pad)(v, [[1]]), 'INVALID_ARGUMENT', 'pad', ['widths[0] is the array [1]', '[[1, 1]]']);
    expectTyped(() => loose(B.pad)(v, [[1, 1]], 'a'), 'INVALID_ARGUMENT', 'pad', ['value is the string "a"']);
    expectTyped(() => loose(B.pad)(v, [[1, -1]]), 'INVALID_DIMENSION', 'pad', ['widths[0]', '-1']);
    expectTyped(() => loose(B.pad)(v, [1, 1]), 'AXIS_OUT_OF_RANGE', 'pad', ['2 [before, after] pairs']);
    expectTyped(() => loose(B.pad)(v, 1), 'INVALID_ARGUMENT', 'pad', ['widths is the number 1']);
    expectTyped(() => B.pad(v, [[1e10, 0]]), 'ALLOCATION_TOO_LARGE', 'pad');
    // -Infinity is a valid fill (max-pooling pads with it)
    expect(B.toArray(B.pad(v, [[1, 0]], -Infinity))).toEqual([-Infinity, 1, 2]);
  });

  it('reshape and transpose: a shape and a permutation are arrays (reshape(x, 6), transpose(x, 1, 0) are errors)', () => {
    expectTyped(() => loose(B.reshape)(x, 6), 'INVALID_ARGUMENT', 'reshape', ['shape is the number 6', '[6]']);
    expectTyped(() => loose(B.reshape)(x, 2, 3), 'INVALID_ARGUMENT', 'reshape', ['got 3 arguments']);
    expectTyped(() => loose(B.transpose)(x, 1, 0), 'INVALID_ARGUMENT', 'transpose', ['got 3 arguments', '[1, 0]']);
    expectTyped(() => loose(B.transpose)(x, 1), 'INVALID_ARGUMENT', 'transpose', ['axes is the number 1', '[1, 0]']);
    expectTyped(() => loose(B.transpose)(x, { perm: [1, 0] }), 'UNKNOWN_OPTION', 'transpose', ['"perm"', 'axes']);
    expect(B.transpose(x, { axes: [1, 0] }).shape).toEqual([3, 2]);
    expect(B.transpose(x, [-1, -2]).shape).toEqual([3, 2]);
    // eslint-disable-next-line no-sparse-arrays
    expectTyped(() => loose(B.reshape)(x, [, 6]), 'INVALID_DIMENSION', 'reshape', ['dimension 0 is undefined']);
  });

  it('broadcastTo, concat, stack, take: shapes, lists of tensors, indices', () => {
    expectTyped(() => B.broadcastTo(x, [1e10, 2, 3]), 'ALLOCATION_TOO_LARGE', 'broadcastTo');
    expectTyped(() => loose(B.broadcastTo)(x, 3), 'INVALID_ARGUMENT', 'broadcastTo', ['shape is the number 3']);
    expectTyped(() => loose(B.concat)(x), 'INVALID_ARGUMENT', 'concat', ['xs is a Tensor of shape [2, 3]', 'concat([a, b])']);
    expectTyped(() => B.concat([]), 'INVALID_ARGUMENT', 'concat', ['non-empty']);
    expectTyped(() => loose(B.stack)([x, 'a']), 'NOT_NUMERIC', 'stack', ['the string "a"']);
    expectTyped(() => loose(B.take)(x, 'a'), 'INVALID_ARGUMENT', 'take', ['indices is the string "a"']);
    expectTyped(() => loose(B.take)(x, [0], 0, 1), 'INVALID_ARGUMENT', 'take', ['got 4 arguments']);
    expectTyped(() => loose(B.concat)([x, x], null), 'INVALID_ARGUMENT', 'concat', ['axis is null']);
  });
});
