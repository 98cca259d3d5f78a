import { describe, expect, it } from 'vitest';
import {
  add,
  AdjointError,
  ArgumentError,
  AxisError,
  broadcastTo,
  concat,
  type DType,
  type ErrorCode,
  IndexError,
  item,
  matmul,
  type Operand,
  reshape,
  scalar,
  ShapeError,
  sum,
  take,
  tensor,
  toArray,
  transpose,
  where,
  zeros,
} from '../../src/index.js';
import { thrown } from '../reference.js';

const NOTHING = Symbol('nothing returned');

/**
 * Asserts that `f` throws `cls` with `code`, from `op`, with a message that starts with the op and
 * contains every fragment, and that no value came back.
 */
function expectError(f: () => unknown, cls: typeof AdjointError, code: ErrorCode, op: string, fragments: ReadonlyArray<string>): void {
  let result: unknown = NOTHING;
  const caught = thrown(() => result = f());
  expect(result).toBe(NOTHING);
  expect(caught).toBeInstanceOf(cls);
  expect(caught).toBeInstanceOf(AdjointError);
  const e = caught as AdjointError;
  expect(e.name).toBe(cls.name);
  expect(e.code).toBe(code);
  expect(e.op).toBe(op);
  expect(e.message.startsWith(`${op}: `)).toBe(true);
  for (const fragment of fragments) expect(e.message).toContain(fragment);
}

describe('shape errors', () => {
  it('BROADCAST_INCOMPATIBLE names the op and both shapes', () => {
    expectError(() => add(zeros([2, 3]), zeros([4])), ShapeError, 'BROADCAST_INCOMPATIBLE', 'add', ['[2, 3]', '[4]']);
    expectError(() => where(zeros([2]), zeros([3]), 1), ShapeError, 'BROADCAST_INCOMPATIBLE', 'where', ['[2]', '[3]']);
    expectError(() => broadcastTo(zeros([3]), [2, 2]), ShapeError, 'BROADCAST_INCOMPATIBLE', 'broadcastTo', ['[3]', '[2, 2]']);
  });

  it('MATMUL_INNER_MISMATCH names both shapes', () => {
    expectError(() => matmul(zeros([2, 3]), zeros([4, 5])), ShapeError, 'MATMUL_INNER_MISMATCH', 'matmul', ['[2, 3]', '[4, 5]']);
    expectError(() => matmul(zeros([3]), zeros([4])), ShapeError, 'MATMUL_INNER_MISMATCH', 'matmul', ['[3]', '[4]']);
    expectError(() => matmul(zeros([2, 2, 3]), zeros([2, 2, 3])), ShapeError, 'MATMUL_INNER_MISMATCH', 'matmul', ['[2, 2, 3]']);
  });

  it('RESHAPE_SIZE_MISMATCH names the input shape and the target', () => {
    expectError(() => reshape(zeros([2, 3]), [4]), ShapeError, 'RESHAPE_SIZE_MISMATCH', 'reshape', ['[2, 3]', '[4]']);
    expectError(() => reshape(zeros([2, 3]), [4, -1]), ShapeError, 'RESHAPE_SIZE_MISMATCH', 'reshape', ['[2, 3]', '[4, -1]']);
    expectError(() => tensor([1, 2, 3], { shape: [2, 2] }), ShapeError, 'RESHAPE_SIZE_MISMATCH', 'tensor', ['[3]', '[2, 2]']);
  });

  it('INVALID_DIMENSION in zeros names the shape and the bad dimension', () => {
    expectError(() => zeros([2, -1]), ShapeError, 'INVALID_DIMENSION', 'zeros', ['[2, -1]', '-1']);
    expectError(() => zeros([2.5]), ShapeError, 'INVALID_DIMENSION', 'zeros', ['[2.5]', '2.5']);
  });

  it('INVALID_DIMENSION in reshape names the shape and the bad dimension', () => {
    expectError(() => reshape(zeros([6]), [2.5, 2]), ShapeError, 'INVALID_DIMENSION', 'reshape', ['[2.5, 2]', '2.5']);
    expectError(() => reshape(zeros([6]), [-2, -3]), ShapeError, 'INVALID_DIMENSION', 'reshape', ['[-2, -3]']);
    expectError(() => reshape(zeros([6]), [-1, -1]), ShapeError, 'INVALID_DIMENSION', 'reshape', ['[-1, -1]']);
  });

  it('INVALID_DIMENSION in reshape with an inferred -1 names the shape that was passed', () => {
    // the check runs on the shape with the -1 removed, so the message would name [2.5] and dimension 0
    expectError(() => reshape(zeros([6]), [-1, 2.5]), ShapeError, 'INVALID_DIMENSION', 'reshape', ['[-1, 2.5]']);
  });

  it('RAGGED_ARRAY names the path and the inferred shape', () => {
    expectError(() => tensor([[1, 2], [3]]), ShapeError, 'RAGGED_ARRAY', 'tensor', ['[1]', 'length 1', '[2, 2]']);
    expectError(() => tensor([1, [2]] as unknown as number[]), ShapeError, 'RAGGED_ARRAY', 'tensor', ['[1]']);
    expectError(() => tensor([[1], 2] as unknown as number[][]), ShapeError, 'RAGGED_ARRAY', 'tensor', ['[1]', '[2, 1]']);
  });
});

describe('axis errors', () => {
  it('AXIS_OUT_OF_RANGE in a reduction names the op, the axis and the shape', () => {
    expectError(() => sum(zeros([2, 3]), { axis: 2 }), AxisError, 'AXIS_OUT_OF_RANGE', 'sum', ['axis 2', 'rank 2', '[2, 3]']);
  });

  it('AXIS_OUT_OF_RANGE for a repeated reduction axis', () => {
    expectError(() => sum(zeros([2, 3]), { axis: [0, -2] }), AxisError, 'AXIS_OUT_OF_RANGE', 'sum', ['repeated']);
  });

  it('AXIS_OUT_OF_RANGE in transpose names the axis and the shape', () => {
    expectError(() => transpose(zeros([2, 3]), [0, 2]), AxisError, 'AXIS_OUT_OF_RANGE', 'transpose', ['axis 2', '[2, 3]']);
  });

  it('AXIS_OUT_OF_RANGE in transpose for a perm that is not a permutation', () => {
    expectError(() => transpose(zeros([2, 3]), [0, 0]), AxisError, 'AXIS_OUT_OF_RANGE', 'transpose', ['[0, 0]', '[2, 3]']);
    expectError(() => transpose(zeros([2, 3, 4]), [1, 0]), AxisError, 'AXIS_OUT_OF_RANGE', 'transpose', ['[1, 0]', '[2, 3, 4]']);
  });

  it('AXIS_OUT_OF_RANGE in concat names the axis and the shape', () => {
    expectError(() => concat([zeros([2]), zeros([2])], 1), AxisError, 'AXIS_OUT_OF_RANGE', 'concat', ['axis 1', '[2]']);
  });
});

describe('index and argument errors', () => {
  it('INDEX_OUT_OF_RANGE in take names the index, axis and shape', () => {
    expectError(() => take(zeros([2, 3]), [3], 1), IndexError, 'INDEX_OUT_OF_RANGE', 'take', ['index 3', 'axis 1', '[2, 3]']);
    expectError(() => take(zeros([3]), [-4]), IndexError, 'INDEX_OUT_OF_RANGE', 'take', ['index -4', '[3]']);
  });

  it('NOT_NUMERIC names the offending element', () => {
    expectError(() => tensor([1, 'a'] as unknown as number[]), ArgumentError, 'NOT_NUMERIC', 'tensor', ['[1]', 'string']);
    expectError(() => tensor([[1, true]] as unknown as number[][]), ArgumentError, 'NOT_NUMERIC', 'tensor', ['[0][1]', 'boolean']);
    expectError(() => scalar('3' as unknown as number), ArgumentError, 'NOT_NUMERIC', 'scalar', ['string']);
    expectError(() => add(tensor([1]), [1] as unknown as Operand), ArgumentError, 'NOT_NUMERIC', 'add', ['array', 'tensor(...)']);
  });

  it('NOT_SIZE_ONE from item names the shape', () => {
    expectError(() => item(zeros([2, 3])), AdjointError, 'NOT_SIZE_ONE', 'item', ['[2, 3]', '6 elements']);
    expectError(() => item(zeros([0])), AdjointError, 'NOT_SIZE_ONE', 'item', ['[0]']);
  });

  it('INVALID_DTYPE names the dtype', () => {
    expectError(() => zeros([2], { dtype: 'int32' as unknown as DType }), ArgumentError, 'INVALID_DTYPE', 'zeros', ['int32']);
    expectError(() => tensor([1], { dtype: 'float16' as unknown as DType }), ArgumentError, 'INVALID_DTYPE', 'tensor', ['float16']);
  });
});

describe('no partial results', () => {
  it('a failing call leaves its inputs as they were', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const y = tensor([1, 2, 3]);
    expect(() => add(x, y)).toThrow(ShapeError);
    expect(() => matmul(x, y)).toThrow(ShapeError);
    expect(() => concat([x, y])).toThrow(ShapeError);
    expect(toArray(x)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(toArray(y)).toEqual([1, 2, 3]);
  });

  it('take validates every index before producing anything', () => {
    let out: unknown = NOTHING;
    expect(() => {
      out = take(tensor([10, 20, 30]), [0, 1, 5]);
    }).toThrow(IndexError);
    expect(out).toBe(NOTHING);
  });
});
