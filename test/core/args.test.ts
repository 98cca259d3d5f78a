/**
 * The boundary's parsers (`src/core/args.ts`): one parser per kind of argument, so a bad axis, shape,
 * dtype or option reads the same whichever function meets it.
 */
import { describe, expect, it } from 'vitest';
import {
  checkArity,
  describeValue,
  parseAxes,
  parseAxis,
  parseAxisArguments,
  parseDType,
  parseDTypeOrOptions,
  parseFunction,
  parseShape,
} from '../../src/core/args.js';
import { AdjointError, add, ArgumentError, AxisError, DomainError, GradCheckError, ShapeError, tensor, zeros } from '../../src/index.js';
import { expectTyped } from '../typed.js';

describe('describeValue: what a message says the caller passed', () => {
  it('names the kind and, when short, the value', () => {
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue(-1)).toBe('the number -1');
    expect(describeValue('a')).toBe('the string "a"');
    expect(describeValue([0, 1])).toBe('the array [0, 1]');
    expect(describeValue([[0]])).toBe('an array of length 1');
    expect(describeValue({ axes: 1 })).toBe('an object with keys axes');
    expect(describeValue(tensor([[1, 2]]))).toBe('a Tensor of shape [1, 2]');
    expect(describeValue(new DataView(new ArrayBuffer(1)))).toBe('a DataView');
    expect(describeValue(async () => 1)).toBe('an async function');
    expect(describeValue(class Net {})).toBe('the class Net');
  });
});

describe('axes', () => {
  it('parseAxis: negative axes count from the end; the two errors say the same thing for every op', () => {
    expect(parseAxis('op', 'axis', -1, 3, [2, 3, 4])).toBe(2);
    const a = expectTyped(() => parseAxis('sum', 'axis', 3, 3, [2, 3, 4]), 'AXIS_OUT_OF_RANGE', 'sum', [], AxisError);
    const b = expectTyped(() => parseAxis('take', 'axis', 3, 3, [2, 3, 4]), 'AXIS_OUT_OF_RANGE', 'take', [], AxisError);
    expect(a.message.replace('sum', 'take')).toBe(b.message);
    expect(a.message).toBe('sum: axis 3 is out of range for a tensor of shape [2, 3, 4] (rank 3); an axis is an integer in [-3, 2] (negative axes count from the end)');
    expectTyped(() => parseAxis('sum', 'axis', '0', 3, [2, 3, 4]), 'INVALID_ARGUMENT', 'sum', ['axis is the string "0", not an integer'], ArgumentError);
  });

  it('parseAxes: one axis or many, sorted; undefined is every axis where allowed; repeats are refused', () => {
    expect(parseAxes('op', 'axis', [2, -3], 3, [1, 1, 1])).toEqual([0, 2]);
    expect(parseAxes('op', 'axis', undefined, 2, [1, 1])).toEqual([0, 1]);
    expectTyped(() => parseAxes('squeeze', 'axis', undefined, 2, [1, 1], false), 'INVALID_ARGUMENT', 'squeeze', ['undefined']);
    expectTyped(() => parseAxes('sum', 'axis', [0, -2], 2, [1, 1]), 'AXIS_OUT_OF_RANGE', 'sum', ['axis 0 is repeated in [0, -2]'], AxisError);
    expectTyped(() => parseAxes('sum', 'axis', { 0: 1 }, 2, [1, 1]), 'INVALID_ARGUMENT', 'sum', ['not an axis or an array of axes']);
  });

  it('parseAxisArguments: positional, positional + rest, positional + options, one options object', () => {
    const keys = ['keepdims'] as const;
    expect(parseAxisArguments('sum', 1, undefined, keys, 'keepdims')).toEqual({ axis: 1 });
    expect(parseAxisArguments('sum', [0, 1], true, keys, 'keepdims')).toEqual({ axis: [0, 1], keepdims: true });
    expect(parseAxisArguments('sum', [0, 1], { keepdims: true }, keys, 'keepdims')).toEqual({ axis: [0, 1], keepdims: true });
    expect(parseAxisArguments('sum', { axis: 1, keepdims: true }, undefined, keys, 'keepdims')).toEqual({ axis: 1, keepdims: true });
    expectTyped(() => parseAxisArguments('sum', { axis: 1 }, true, keys, 'keepdims'), 'INVALID_ARGUMENT', 'sum', ['after the options object']);
    expectTyped(() => parseAxisArguments('softmax', 1, true, []), 'INVALID_ARGUMENT', 'softmax', ['after the axis']);
    expectTyped(() => parseAxisArguments('sum', { axis: 1, keepDims: true }, undefined, keys, 'keepdims'), 'UNKNOWN_OPTION', 'sum', ['"keepDims"', 'did you mean "keepdims"']);
  });
});

describe('shapes, dtypes, arity, functions', () => {
  it('parseShape: a frozen copy; a non-array, a bad dimension, too many elements are each typed', () => {
    const dims = [2, 3];
    const s = parseShape('zeros', 'shape', dims);
    dims[0] = 9;
    expect([s, Object.isFrozen(s)]).toEqual([[2, 3], true]);
    expectTyped(() => parseShape('zeros', 'shape', 6), 'INVALID_ARGUMENT', 'zeros', ['[6] for one dimension']);
    expectTyped(() => parseShape('zeros', 'shape', [2, 2.5]), 'INVALID_DIMENSION', 'zeros', ['[2, 2.5]', 'dimension 1 is the number 2.5'], ShapeError);
    expectTyped(() => parseShape('zeros', 'shape', [2 ** 53, 1]), 'INVALID_DIMENSION', 'zeros', [], ShapeError);
    expectTyped(() => parseShape('zeros', 'shape', [65536, 65537]), 'ALLOCATION_TOO_LARGE', 'zeros', ['4295032832 elements'], ShapeError);
  });

  it('an allocation a kernel cannot make is ALLOCATION_TOO_LARGE from the op, not a RangeError', () => {
    expectTyped(() => add(zeros([100_000, 1]), zeros([1, 100_000])), 'ALLOCATION_TOO_LARGE', 'add', ['[100000, 100000]'], ShapeError);
  });

  it('parseDType and parseDTypeOrOptions', () => {
    expect(parseDType('op', 'dtype', undefined, 'float64')).toBe('float64');
    expectTyped(() => parseDType('astype', 'dtype', undefined), 'INVALID_DTYPE', 'astype', ['dtype is undefined']);
    expect(parseDTypeOrOptions('zeros', 'float32', [])).toEqual({ dtype: 'float32' });
    expectTyped(() => parseDTypeOrOptions('zeros', 'f32', []), 'INVALID_DTYPE', 'zeros', ['"f32"']);
  });

  it('checkArity and parseFunction', () => {
    expectTyped(() => checkArity('op', 3, 2, 'op(x, y)'), 'INVALID_ARGUMENT', 'op', ['got 3 arguments but takes at most 2: op(x, y)']);
    expectTyped(() => parseFunction('grad', 'f', class Net {}), 'INVALID_ARGUMENT', 'grad', ['the class Net', 'cannot be called without new']);
  });

  it('the error classes check what they are built from', () => {
    expectTyped(() => new AdjointError('NOT_A_CODE' as never, 'op', 'message'), 'INVALID_ARGUMENT', 'AdjointError', ['ERROR_CODES']);
    expectTyped(() => new ShapeError('SHAPE_MISMATCH', 5 as never, 'message'), 'INVALID_ARGUMENT', 'ShapeError');
    expectTyped(() => new GradCheckError('m', 'x' as never, 'where'), 'INVALID_ARGUMENT', 'GradCheckError');
    expectTyped(() => new DomainError('op', 'v', 0, Object.create(null) as never, 'r'), 'INVALID_ARGUMENT', 'DomainError');
    expect(new ArgumentError('INVALID_ARGUMENT', 'op', 'text').message).toBe('op: text');
  });
});
