/**
 * One axis convention for every op with axes (issue 8 §1): the positional form (`sum(x, 1)`,
 * `sum(x, [0, 2], true)`, `sum(x, [0, 2], { keepdims: true })`) and the options form
 * (`sum(x, { axis: 1, keepdims: true })`) give the same result as the reference, negative axes count
 * from the end, and anything else (an unknown option key, a non-integer or out-of-range axis, a
 * repeated axis, a string where a number belongs) is a typed error whose message reads the same in
 * every op, because one parser (`parseAxis`/`parseAxes` in core/args.ts) reads them all.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  AdjointError,
  argmax,
  argmin,
  argsort,
  ArgumentError,
  at,
  AxisError,
  concat,
  cumprod,
  cumsum,
  flip,
  gather,
  oneHot,
  prod,
  repeat,
  sort,
  split,
  std,
  takeAlongAxis,
  variance,
  type ErrorCode,
  expandDims,
  grad,
  logSoftmax,
  logsumexp,
  max,
  mean,
  min,
  ShapeError,
  softmax,
  clip,
  floor,
  logaddexp,
  tile,
  topk,
  square,
  squeeze,
  stack,
  sum,
  take,
  type Tensor,
  tensor,
  toArray,
  zeros,
} from '../../src/index.js';
import * as ref from '../reference.js';

const SEED = { seed: 81, numRuns: 50 } as const;

type Reduction = (x: Tensor, ...rest: never[]) => Tensor;
const REDUCTIONS: ReadonlyArray<readonly [string, Reduction, (vs: number[]) => number]> = [
  ['sum', sum as Reduction, ref.foldSum],
  ['mean', mean as Reduction, ref.foldMean],
  ['max', max as Reduction, ref.foldMax],
  ['min', min as Reduction, ref.foldMin],
  ['logsumexp', logsumexp as Reduction, ref.foldLogsumexp],
  ['prod', prod as Reduction, (vs) => vs.reduce((p, v) => p * v, 1)],
];

/** The population variance, two-pass. */
const foldVariance = (vs: number[]): number => {
  const m = ref.foldMean(vs);
  return ref.foldSum(vs.map((v) => (v - m) ** 2)) / vs.length;
};

/** `f` called with loosely typed arguments, as a JavaScript caller would. */
const call = (f: unknown, ...args: unknown[]): Tensor => (f as (...a: unknown[]) => Tensor)(...args);

const x = tensor([
  [1, 2, 3],
  [4, 5, 6],
]);

/** Asserts `f` throws `cls` with `code` from `op`, and returns the message. */
function errorOf(f: () => unknown, cls: typeof AdjointError, code: ErrorCode, op: string): string {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(cls);
  const e = caught as AdjointError;
  expect([e.code, e.op]).toEqual([code, op]);
  return e.message;
}

describe('reductions: every form of the axis argument', () => {
  for (const [name, f, fold] of REDUCTIONS) {
    test.prop([ref.arrArb(ref.valueArb(), 1, 3).chain((a) => fc.tuple(fc.constant(a), ref.axesArb(a.shape.length), fc.boolean()))], SEED)(
      `${name}: positional, positional + keepdims, keepdims options and one options object agree with the reference`,
      ([a, axis, keepdims]) => {
        const t = ref.toTensor(a);
        if (['mean', 'max', 'min'].includes(name) && ref.normAxes(axis, a.shape.length).some((d) => a.shape[d] === 0)) {
          // an empty group has no max, min or mean, whichever form the axis is written in
          for (const args of [[{ axis, keepdims }], [axis, keepdims], [axis, { keepdims }]]) errorOf(() => call(f, t, ...args), ShapeError, 'SHAPE_MISMATCH', name);
          return;
        }
        const want = ref.reduce(a, axis, keepdims, fold);
        const opts = { rtol: 1e-12, atol: 1e-12 };
        ref.expectTensor(call(f, t, { axis, keepdims }), want, opts);
        ref.expectTensor(call(f, t, axis, keepdims), want, opts);
        ref.expectTensor(call(f, t, axis, { keepdims }), want, opts);
        if (!keepdims) ref.expectTensor(call(f, t, axis), want, opts);
      },
    );
  }

  for (const [name, f, fold] of [
    ['variance', variance as Reduction, foldVariance],
    ['std', std as Reduction, (vs: number[]) => Math.sqrt(foldVariance(vs))],
  ] as const) {
    test.prop([ref.arrArb(ref.valueArb(), 1, 3).chain((a) => fc.tuple(fc.constant(a), ref.axesArb(a.shape.length), fc.boolean()))], SEED)(
      `${name}: the same four forms agree with the reference (groups of at least one element)`,
      ([a, axis, keepdims]) => {
        fc.pre(ref.normAxes(axis, a.shape.length).every((d) => a.shape[d]! > 0));
        const t = ref.toTensor(a);
        const want = ref.reduce(a, axis, keepdims, fold);
        const opts = { rtol: 1e-10, atol: 1e-12 };
        ref.expectTensor(call(f, t, { axis, keepdims }), want, opts);
        ref.expectTensor(call(f, t, axis, keepdims), want, opts);
        ref.expectTensor(call(f, t, axis, { keepdims }), want, opts);
        if (!keepdims) ref.expectTensor(call(f, t, axis), want, opts);
      },
    );
  }

  it('sum(x, 1) reduces axis 1 only (it used to reduce every axis), and its gradient is right', () => {
    expect(toArray(sum(x, 1))).toEqual([6, 15]);
    expect(toArray(sum(x, -1))).toEqual([6, 15]);
    expect(toArray(sum(x, [0, 1], true))).toEqual([[21]]);
    expect(toArray(sum(x, [0, -1], { keepdims: true }))).toEqual([[21]]);
    expect(toArray(sum(x, { axis: 1, keepdims: true }))).toEqual([[6], [15]]);
    expect(toArray(sum(x, undefined, true))).toEqual([[21]]);
    expect(toArray(mean(x, 0))).toEqual([2.5, 3.5, 4.5]);
    expect(toArray(max(x, 1))).toEqual([3, 6]);
    expect(toArray(min(x, [0]))).toEqual([1, 2, 3]);
    // d/dx Σ_j (Σ_i x_ij)² = 2 Σ_i x_ij, broadcast back over i
    const g = grad((t: Tensor) => sum(square(sum(t, 0))))(x);
    expect(toArray(g)).toEqual([
      [10, 14, 18],
      [10, 14, 18],
    ]);
  });

  it('softmax and logSoftmax: positional axis, { axis }, negative axes, an array of axes', () => {
    const a = { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] };
    for (const [f, log] of [
      [softmax, false],
      [logSoftmax, true],
    ] as const) {
      const opts = { rtol: 1e-12, atol: 1e-15 };
      ref.expectTensor(f(x, 0), ref.softmax(a, 0, log), opts);
      ref.expectTensor(f(x, { axis: 0 }), ref.softmax(a, 0, log), opts);
      ref.expectTensor(f(x, -2), ref.softmax(a, 0, log), opts);
      ref.expectTensor(f(x), ref.softmax(a, 1, log), opts);
      ref.expectTensor(f(x, { axis: -1 }), ref.softmax(a, 1, log), opts);
    }
    // over both axes at once: the whole matrix sums to 1
    expect(toArray(sum(softmax(x, [0, 1])))).toBeCloseTo(1, 14);
  });
});

describe('the toolkit ops with axes: positional and options forms, negative axes', () => {
  const y = tensor([
    [3, 1, 2],
    [0, 5, 4],
  ]);

  it('cumsum, cumprod: an axis, { axis, reverse }, the axis then { reverse }, no axis (flattened)', () => {
    expect(toArray(cumsum(y, 1))).toEqual([[3, 4, 6], [0, 5, 9]]);
    expect(toArray(cumsum(y, -1))).toEqual([[3, 4, 6], [0, 5, 9]]);
    expect(toArray(cumsum(y, { axis: 1, reverse: true }))).toEqual([[6, 3, 2], [9, 9, 4]]);
    expect(toArray(cumsum(y, -1, { reverse: true }))).toEqual([[6, 3, 2], [9, 9, 4]]);
    expect(toArray(cumsum(y, { reverse: true }))).toEqual([15, 12, 11, 9, 9, 4]);
    expect(toArray(cumprod(y, { axis: -2 }))).toEqual([[3, 1, 2], [0, 5, 8]]);
  });

  it('argmax, argmin: an axis, the axis then keepdims, { axis, keepdims }, no axis (flattened)', () => {
    expect(toArray(argmax(y, -1))).toEqual([0, 1]);
    expect(toArray(argmax(y, 1, true))).toEqual([[0], [1]]);
    expect(toArray(argmax(y, 1, { keepdims: true }))).toEqual([[0], [1]]);
    expect(toArray(argmin(y, { axis: 0, keepdims: true }))).toEqual([[1, 0, 0]]);
    expect(toArray(argmax(y))).toBe(4);
  });

  it('variance with ddof in either form, prod with the reductions forms', () => {
    expect(toArray(variance(y, [0, 1], { ddof: 1, keepdims: true }))).toEqual([[3.5]]);
    expect(toArray(variance(y, { axis: [-1, 0], ddof: 1 }))).toBe(3.5);
    expect(toArray(prod(y, -1, true))).toEqual([[6], [0]]);
    expect(toArray(prod(tensor([[1, 2], [3, 4]]), [0, -1]))).toBe(24);
  });

  it('sort, argsort: the last axis by default, an axis, { axis, descending }, the axis then { descending }', () => {
    expect(toArray(sort(y))).toEqual([[1, 2, 3], [0, 4, 5]]);
    expect(toArray(sort(y, 0))).toEqual([[0, 1, 2], [3, 5, 4]]);
    expect(toArray(sort(y, -2, { descending: true }))).toEqual([[3, 5, 4], [0, 1, 2]]);
    expect(toArray(argsort(y, { axis: -1, descending: true }))).toEqual([[0, 2, 1], [1, 2, 0]]);
  });

  it('flip, repeat, split: positional axis, { axis }, negative axes', () => {
    expect(toArray(flip(y, -1))).toEqual([[2, 1, 3], [4, 5, 0]]);
    expect(toArray(flip(y, [0, -1]))).toEqual([[4, 5, 0], [2, 1, 3]]);
    expect(toArray(flip(y, { axis: 0 }))).toEqual([[0, 5, 4], [3, 1, 2]]);
    expect(toArray(repeat(y, 2, -2))).toEqual([[3, 1, 2], [3, 1, 2], [0, 5, 4], [0, 5, 4]]);
    expect(toArray(repeat(y, [0, 1, 2], { axis: 1 }))).toEqual([[1, 2, 2], [5, 4, 4]]);
    expect(split(y, 3, -1).map((t) => toArray(t))).toEqual([[[3], [0]], [[1], [5]], [[2], [4]]]);
    expect(split(y, [1], { axis: 0 }).map((t) => toArray(t))).toEqual([[[3, 1, 2]], [[0, 5, 4]]]);
  });

  it('takeAlongAxis, gather, at, oneHot: positional axis, { axis }, negative axes', () => {
    const i = tensor([[2], [0]]);
    expect(toArray(takeAlongAxis(y, i, 1))).toEqual([[2], [0]]);
    expect(toArray(takeAlongAxis(y, i, { axis: -1 }))).toEqual([[2], [0]]);
    expect(toArray(gather(y, [[1, 0, 1]], -2))).toEqual([[0, 1, 4]]);
    expect(toArray(at(y, [0], -1).set(9))).toEqual([[9, 1, 2], [9, 5, 4]]);
    expect(toArray(at(y, -1, { axis: 0 }).add(1))).toEqual([[3, 1, 2], [1, 6, 5]]);
    expect(toArray(oneHot([1, 0], 2, -2))).toEqual([[0, 1], [1, 0]]);
    expect(toArray(oneHot([1, 0], 2, { axis: 0 }))).toEqual([[0, 1], [1, 0]]);
  });
});

describe('structural ops: positional and options forms', () => {
  it('squeeze: an axis, an array, { axis }, negative axes', () => {
    const t = zeros([1, 3, 1]);
    expect(squeeze(t, 0).shape).toEqual([3, 1]);
    expect(squeeze(t, -1).shape).toEqual([1, 3]);
    expect(squeeze(t, [0, 2]).shape).toEqual([3]);
    expect(squeeze(t, { axis: -1 }).shape).toEqual([1, 3]);
    expect(squeeze(t, {}).shape).toEqual([3]);
  });

  it('expandDims: an axis of the result, several axes, { axis }', () => {
    const t = tensor([1, 2]);
    expect(expandDims(t, 0).shape).toEqual([1, 2]);
    expect(expandDims(t, -1).shape).toEqual([2, 1]);
    expect(expandDims(t, [0, 2]).shape).toEqual([1, 2, 1]);
    expect(expandDims(t, [0, -1]).shape).toEqual([1, 2, 1]);
    expect(expandDims(t, { axis: 1 }).shape).toEqual([2, 1]);
  });

  it('concat and stack: positional axis, { axis }, negative axes', () => {
    const a = tensor([[1], [2]]);
    const b = tensor([[3], [4]]);
    expect(toArray(concat([a, b], 1))).toEqual([[1, 3], [2, 4]]);
    expect(toArray(concat([a, b], { axis: -1 }))).toEqual([[1, 3], [2, 4]]);
    expect(toArray(concat([a, b], {}))).toEqual([[1], [2], [3], [4]]);
    expect(stack([a, b], { axis: -1 }).shape).toEqual([2, 1, 2]);
    expect(stack([a, b], 2).shape).toEqual([2, 1, 2]);
  });

  it('take: positional axis, { axis }, negative axes, nested index arrays', () => {
    expect(toArray(take(x, [2, 0], 1))).toEqual([[3, 1], [6, 4]]);
    expect(toArray(take(x, [2, 0], { axis: -1 }))).toEqual([[3, 1], [6, 4]]);
    expect(toArray(take(x, [[1], [0]]))).toEqual([[[4, 5, 6]], [[1, 2, 3]]]);
  });
});

/** Every op with axes, called with a bad axis `a` in the positional and the options form. */
const WITH_AXIS: ReadonlyArray<readonly [string, (a: unknown) => unknown, (a: unknown) => unknown]> = [
  ['sum', (a) => call(sum, x, a), (a) => call(sum, x, { axis: a })],
  ['mean', (a) => call(mean, x, a), (a) => call(mean, x, { axis: a })],
  ['max', (a) => call(max, x, a), (a) => call(max, x, { axis: a })],
  ['min', (a) => call(min, x, a), (a) => call(min, x, { axis: a })],
  ['logsumexp', (a) => call(logsumexp, x, a), (a) => call(logsumexp, x, { axis: a })],
  ['softmax', (a) => call(softmax, x, a), (a) => call(softmax, x, { axis: a })],
  ['logSoftmax', (a) => call(logSoftmax, x, a), (a) => call(logSoftmax, x, { axis: a })],
  ['squeeze', (a) => call(squeeze, zeros([1, 1]), a), (a) => call(squeeze, zeros([1, 1]), { axis: a })],
  ['concat', (a) => call(concat, [x, x], a), (a) => call(concat, [x, x], { axis: a })],
  ['take', (a) => call(take, x, [0], a), (a) => call(take, x, [0], { axis: a })],
  ['cumsum', (a) => call(cumsum, x, a), (a) => call(cumsum, x, { axis: a })],
  ['cumprod', (a) => call(cumprod, x, a, { reverse: true }), (a) => call(cumprod, x, { axis: a, reverse: true })],
  ['prod', (a) => call(prod, x, a), (a) => call(prod, x, { axis: a })],
  ['variance', (a) => call(variance, x, a, { ddof: 1 }), (a) => call(variance, x, { axis: a, ddof: 1 })],
  ['std', (a) => call(std, x, a, true), (a) => call(std, x, { axis: a })],
  ['argmax', (a) => call(argmax, x, a), (a) => call(argmax, x, { axis: a })],
  ['argmin', (a) => call(argmin, x, a, true), (a) => call(argmin, x, { axis: a, keepdims: true })],
  ['argsort', (a) => call(argsort, x, a), (a) => call(argsort, x, { axis: a })],
  ['sort', (a) => call(sort, x, a, { descending: true }), (a) => call(sort, x, { axis: a, descending: true })],
  ['flip', (a) => call(flip, x, a), (a) => call(flip, x, { axis: a })],
  ['repeat', (a) => call(repeat, x, 2, a), (a) => call(repeat, x, 2, { axis: a })],
  ['split', (a) => call(split, x, 1, a), (a) => call(split, x, 1, { axis: a })],
  ['takeAlongAxis', (a) => call(takeAlongAxis, x, [[0]], a), (a) => call(takeAlongAxis, x, [[0]], { axis: a })],
  ['gather', (a) => call(gather, x, [[0]], a), (a) => call(gather, x, [[0]], { axis: a })],
  ['at', (a) => call(at, x, [0], a), (a) => call(at, x, [0], { axis: a })],
];

describe('bad axes: the same typed error, worded the same, in every op', () => {
  for (const [op, positional, options] of WITH_AXIS) {
    it(`${op}: out of range, not an integer, a string, repeated, an unknown option key`, () => {
      for (const form of [positional, options]) {
        expect(errorOf(() => form(2), AxisError, 'AXIS_OUT_OF_RANGE', op)).toContain('axis 2 is out of range for a tensor of shape [');
        expect(errorOf(() => form(-3), AxisError, 'AXIS_OUT_OF_RANGE', op)).toContain('an axis is an integer in [-2, 1]');
        expect(errorOf(() => form(0.5), ArgumentError, 'INVALID_ARGUMENT', op)).toContain('is the number 0.5, not an integer');
        expect(errorOf(() => form('1'), ArgumentError, 'INVALID_ARGUMENT', op)).toMatch(/axis is the string "1"/);
        expect(errorOf(() => form(NaN), ArgumentError, 'INVALID_ARGUMENT', op)).toContain('NaN');
        expect(errorOf(() => form(null), ArgumentError, 'INVALID_ARGUMENT', op)).toContain('null');
      }
    });
  }

  for (const [op, f] of [
    ['sum', (o: unknown) => call(sum, x, o)],
    ['softmax', (o: unknown) => call(softmax, x, o)],
    ['squeeze', (o: unknown) => call(squeeze, x, o)],
    ['expandDims', (o: unknown) => call(expandDims, x, o)],
    ['concat', (o: unknown) => call(concat, [x], o)],
    ['stack', (o: unknown) => call(stack, [x], o)],
    ['take', (o: unknown) => call(take, x, [0], o)],
    ['cumsum', (o: unknown) => call(cumsum, x, o)],
    ['prod', (o: unknown) => call(prod, x, o)],
    ['variance', (o: unknown) => call(variance, x, o)],
    ['argmax', (o: unknown) => call(argmax, x, o)],
    ['sort', (o: unknown) => call(sort, x, o)],
    ['flip', (o: unknown) => call(flip, x, o)],
    ['repeat', (o: unknown) => call(repeat, x, 1, o)],
    ['split', (o: unknown) => call(split, x, 1, o)],
    ['takeAlongAxis', (o: unknown) => call(takeAlongAxis, x, [[0]], o)],
    ['at', (o: unknown) => call(at, x, [0], o)],
    ['oneHot', (o: unknown) => call(oneHot, [0], 2, o)],
  ] as const) {
    it(`${op}: an unknown option key is UNKNOWN_OPTION, with the key it probably meant`, () => {
      expect(errorOf(() => f({ axes: 1 }), ArgumentError, 'UNKNOWN_OPTION', op)).toContain('unknown key "axes" (did you mean "axis"?)');
    });
  }

  it('a repeated axis (also written once negative) is AXIS_OUT_OF_RANGE in every op taking several', () => {
    for (const [op, f] of [
      ['sum', () => sum(x, [1, -1])],
      ['mean', () => mean(x, { axis: [0, 0] })],
      ['softmax', () => softmax(x, [0, -2])],
      ['squeeze', () => squeeze(zeros([1, 2]), [0, -2])],
      ['expandDims', () => expandDims(x, [0, -4])],
      ['prod', () => prod(x, [1, -1])],
      ['variance', () => variance(x, { axis: [0, -2], ddof: 1 })],
      ['std', () => std(x, [0, 0], true)],
      ['flip', () => flip(x, [-1, 1])],
    ] as const) {
      expect(errorOf(f, AxisError, 'AXIS_OUT_OF_RANGE', op)).toMatch(/axis \d is repeated in \[/);
    }
  });

  it('the reductions: keepdims must be a boolean; nothing may follow an options object; no fourth argument', () => {
    expect(errorOf(() => call(sum, x, 0, 1), ArgumentError, 'INVALID_ARGUMENT', 'sum')).toContain('keepdims is the number 1');
    expect(errorOf(() => call(sum, x, { axis: 0 }, true), ArgumentError, 'INVALID_ARGUMENT', 'sum')).toContain('after the options object');
    expect(errorOf(() => call(sum, x, 0, { axis: 1 }), ArgumentError, 'UNKNOWN_OPTION', 'sum')).toContain('"axis"');
    expect(errorOf(() => call(sum, x, 0, true, 'extra'), ArgumentError, 'INVALID_ARGUMENT', 'sum')).toContain('got 4 arguments');
    expect(errorOf(() => call(softmax, x, 0, 1), ArgumentError, 'INVALID_ARGUMENT', 'softmax')).toContain('got 3 arguments');
  });

  it('the toolkit ops: their second positional value is checked, nothing may follow an options object, no extra argument', () => {
    expect(errorOf(() => call(prod, x, 0, 'yes'), ArgumentError, 'INVALID_ARGUMENT', 'prod')).toContain('keepdims is the string "yes"');
    expect(errorOf(() => call(argmax, x, 0, 1), ArgumentError, 'INVALID_ARGUMENT', 'argmax')).toContain('keepdims is the number 1');
    expect(errorOf(() => call(variance, x, 0, { dof: 1 }), ArgumentError, 'UNKNOWN_OPTION', 'variance')).toContain('(did you mean "ddof"?)');
    expect(errorOf(() => call(cumsum, x, 0, true), ArgumentError, 'INVALID_ARGUMENT', 'cumsum')).toContain('the argument after the axis');
    expect(errorOf(() => call(sort, x, { axis: 0 }, { descending: true }), ArgumentError, 'INVALID_ARGUMENT', 'sort')).toContain('after the options object');
    for (const [op, f] of [
      ['cumsum', () => call(cumsum, x, 0, { reverse: true }, 1)],
      ['prod', () => call(prod, x, 0, true, 1)],
      ['variance', () => call(variance, x, 0, true, 1)],
      ['argmax', () => call(argmax, x, 0, true, 1)],
      ['sort', () => call(sort, x, 0, {}, 1)],
      ['topk', () => call(topk, x, 1, 0)],
      ['flip', () => call(flip, x, 0, 1)],
      ['tile', () => call(tile, x, 2, 0)],
      ['repeat', () => call(repeat, x, 2, 0, 1)],
      ['split', () => call(split, x, 1, 0, 1)],
      ['takeAlongAxis', () => call(takeAlongAxis, x, [[0]], 0, 1)],
      ['at', () => call(at, x, [0], 0, 1)],
      ['oneHot', () => call(oneHot, [0], 2, 0, 1)],
      ['floor', () => call(floor, x, 1)],
      ['logaddexp', () => call(logaddexp, x, x, x)],
      ['clip', () => call(clip, x, 0, 1, 2)],
    ] as const) {
      expect(errorOf(f, ArgumentError, 'INVALID_ARGUMENT', op)).toMatch(/got \d arguments but takes at most \d/);
    }
  });

  it('oneHot: the axis indexes the result (one rank more), and the message says so; takeAlongAxis needs an axis', () => {
    expect(errorOf(() => oneHot([0, 1], 2, 2), AxisError, 'AXIS_OUT_OF_RANGE', 'oneHot')).toContain('the result of rank 2');
    expect(toArray(oneHot(0, 3, -1))).toEqual([1, 0, 0]);
    expect(errorOf(() => call(takeAlongAxis, x, [[0]]), ArgumentError, 'INVALID_ARGUMENT', 'takeAlongAxis')).toContain('pass the axis');
    expect(errorOf(() => call(takeAlongAxis, x, [[0]], {}), ArgumentError, 'INVALID_ARGUMENT', 'takeAlongAxis')).toContain('pass the axis');
  });

  it('expandDims, stack: the axis indexes the result (one rank more), and the message says so', () => {
    expect(errorOf(() => expandDims(x, 3), AxisError, 'AXIS_OUT_OF_RANGE', 'expandDims')).toContain('the result of rank 3');
    expect(errorOf(() => stack([x, x], -4), AxisError, 'AXIS_OUT_OF_RANGE', 'stack')).toContain('the result of rank 3');
    expect(expandDims(x, -3).shape).toEqual([1, 2, 3]);
  });

  it('a 0-d tensor has no axes', () => {
    expect(errorOf(() => softmax(tensor(1)), AxisError, 'AXIS_OUT_OF_RANGE', 'softmax')).toContain('a 0-d tensor has no axes');
    expect(errorOf(() => sort(tensor(1)), AxisError, 'AXIS_OUT_OF_RANGE', 'sort')).toContain('a 0-d tensor has no axes');
    expect(errorOf(() => cumsum(tensor(1), 0), AxisError, 'AXIS_OUT_OF_RANGE', 'cumsum')).toContain('a 0-d tensor has no axes');
    expect(toArray(cumsum(tensor(3)))).toEqual([3]);
    expect(toArray(prod(tensor(3), []))).toBe(3);
    expect(toArray(sum(tensor(3), []))).toBe(3);
  });
});
