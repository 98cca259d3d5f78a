import { test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  arange,
  eye,
  full,
  item,
  linspace,
  ones,
  onesLike,
  scalar,
  type Tensor,
  tensor,
  toArray,
  toTypedArray,
  zeros,
  zerosLike,
} from '../../src/index.js';
import * as ref from '../reference.js';
import { expectTyped } from '../typed.js';

const SEED = { seed: 1, numRuns: 60 } as const;

const values = (t: Tensor): number[] => Array.from(toTypedArray(t));

describe('tensor', () => {
  it('from a number is 0-d', () => {
    const t = tensor(3.5);
    expect([t.shape, t.dtype, item(t)]).toEqual([[], 'float64', 3.5]);
    const f = tensor(0.1, { dtype: 'float32' });
    expect([f.dtype, item(f)]).toEqual(['float32', Math.fround(0.1)]);
    expect(toArray(tensor(3, { shape: [1, 1] }))).toEqual([[3]]);
  });

  it('from nested arrays infers the shape', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(values(t)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensor([[[1], [2]]]).shape).toEqual([1, 2, 1]);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(values(tensor([NaN, -Infinity, -0])).map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual([NaN, -Infinity, '-0']);
  });

  test.prop([ref.arrArb(ref.valueArb(), 1, 4)], SEED)('from nested arrays round-trips through toArray', (a) => {
    const nested = toArray(ref.toTensor(a));
    const t = tensor(nested as number[]);
    if (!a.shape.includes(0)) expect([...t.shape]).toEqual(a.shape);
    expect(toArray(t)).toEqual(nested);
  });

  it('from typed arrays (any element type), 1-d unless shape is given', () => {
    const f64 = tensor(new Float64Array([1.5, 2]));
    expect([f64.shape, f64.dtype, values(f64)]).toEqual([[2], 'float64', [1.5, 2]]);
    const f32 = tensor(new Float32Array([0.1, 2]));
    expect([f32.dtype, values(f32)]).toEqual(['float64', [Math.fround(0.1), 2]]); // widened exactly
    expect(values(tensor(new Int32Array([-1, 7])))).toEqual([-1, 7]);
    expect(values(tensor(new Uint8Array([255, 0])))).toEqual([255, 0]);
    const shaped = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2], dtype: 'float32' });
    expect([shaped.shape, shaped.dtype]).toEqual([[3, 2], 'float32']);
    expect(toTypedArray(shaped)).toBeInstanceOf(Float32Array);
    expect(toArray(shaped)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it('with the shape option reshapes the flat contents', () => {
    expect(toArray(tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] }))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(toArray(tensor([[1, 2], [3, 4]], { shape: [4] }))).toEqual([1, 2, 3, 4]);
    expect(toArray(tensor([5], { shape: [] }))).toBe(5);
    expect(tensor([], { shape: [3, 0] }).shape).toEqual([3, 0]);
  });

  it('rounds to float32 when asked', () => {
    expect(values(tensor([0.1, 1e40, 1 / 3], { dtype: 'float32' }))).toEqual([Math.fround(0.1), Infinity, Math.fround(1 / 3)]);
  });

  it('from a tensor: same values, optionally new dtype or shape', () => {
    const x = tensor([0.1, 0.2, 0.3, 0.4]);
    expect(values(tensor(x))).toEqual([0.1, 0.2, 0.3, 0.4]);
    const y = tensor(x, { dtype: 'float32' });
    expect([y.dtype, values(y)]).toEqual(['float32', [0.1, 0.2, 0.3, 0.4].map(Math.fround)]);
    expect(toArray(tensor(x, { shape: [2, 2] }))).toEqual([
      [0.1, 0.2],
      [0.3, 0.4],
    ]);
    expect(x.shape).toEqual([4]);
  });
});

describe('scalar, zeros, ones, full, zerosLike, onesLike', () => {
  it('scalar', () => {
    expect([scalar(-2).shape, item(scalar(-2))]).toEqual([[], -2]);
    const s = scalar(1 / 3, { dtype: 'float32' });
    expect([s.dtype, item(s)]).toEqual(['float32', Math.fround(1 / 3)]);
  });

  it('zeros and ones', () => {
    expect(toArray(zeros([2, 3]))).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(toArray(ones([3]))).toEqual([1, 1, 1]);
    expect(toArray(zeros([]))).toBe(0);
    expect(toArray(ones([]))).toBe(1);
    expect(zeros([4, 0, 2]).size).toBe(0);
    const z = zeros([2], { dtype: 'float32' });
    expect([z.dtype, toTypedArray(z) instanceof Float32Array]).toEqual(['float32', true]);
    expect(ones([1, 1], { dtype: 'float32' }).dtype).toBe('float32');
  });

  it('full', () => {
    expect(toArray(full([2, 2], 7))).toEqual([
      [7, 7],
      [7, 7],
    ]);
    expect(toArray(full([], -1.5))).toBe(-1.5);
    expect(values(full([2], 0.1, { dtype: 'float32' }))).toEqual([Math.fround(0.1), Math.fround(0.1)]);
    expect(item(full([], 0.1, { dtype: 'float32' }))).toBe(Math.fround(0.1));
    expect(values(full([2], NaN)).every(Number.isNaN)).toBe(true);
  });

  it('zerosLike and onesLike keep shape and dtype unless overridden', () => {
    const x = tensor([[1, 2, 3]], { dtype: 'float32' });
    const z = zerosLike(x);
    expect([z.shape, z.dtype, toArray(z)]).toEqual([[1, 3], 'float32', [[0, 0, 0]]]);
    const o = onesLike(x, { dtype: 'float64' });
    expect([o.shape, o.dtype, toArray(o)]).toEqual([[1, 3], 'float64', [[1, 1, 1]]]);
    expect(toArray(onesLike(scalar(9)))).toBe(1);
  });
});

describe('arange, linspace, eye', () => {
  it('arange', () => {
    expect(toArray(arange(4))).toEqual([0, 1, 2, 3]);
    expect(toArray(arange(1, 2, 0.5))).toEqual([1, 1.5]);
    expect(toArray(arange(2, 5))).toEqual([2, 3, 4]);
    expect(toArray(arange(5, 0, -2))).toEqual([5, 3, 1]);
    expect(toArray(arange(0))).toEqual([]);
    expect(toArray(arange(3, 1))).toEqual([]);
    expect(arange(0, 1, 0.1).shape).toEqual([10]); // as numpy.arange(0, 1, 0.1)
    expect(arange(0, 1, 0.1, { dtype: 'float32' }).dtype).toBe('float32');
    expect(arange(1, 2.5).shape).toEqual([2]);
  });

  it('linspace', () => {
    expect(toArray(linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(toArray(linspace(1, 0, 3))).toEqual([1, 0.5, 0]);
    expect(toArray(linspace(2, 3, 1))).toEqual([2]);
    expect(toArray(linspace(2, 3, 0))).toEqual([]);
    const l = values(linspace(0, 0.3, 4));
    expect(l[3]).toBe(0.3); // the endpoint is exact
    expect(l[1]).toBeCloseTo(0.1, 15);
    expect(linspace(0, 1, 3, { dtype: 'float32' }).dtype).toBe('float32');
  });

  it('eye', () => {
    expect(toArray(eye(2))).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(toArray(eye(2, 3))).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(toArray(eye(3, 1))).toEqual([[1], [0], [0]]);
    expect(eye(0).shape).toEqual([0, 0]);
    expect(eye(2, 2, { dtype: 'float32' }).dtype).toBe('float32');
  });
});

describe('the boundary: constructors check every argument (issue 8 §2)', () => {
  const bad = (v: unknown): never => v as never;

  it('a dtype string alone is the dtype, in every constructor (tensor(data, "float32"))', () => {
    expect(tensor([1, 2], 'float32').dtype).toBe('float32');
    expect(tensor(tensor([1, 2]), 'float32').dtype).toBe('float32');
    expect(scalar(1, 'float32').dtype).toBe('float32');
    expect(zeros([2], 'float32').dtype).toBe('float32');
    expect(ones([2], 'float32').dtype).toBe('float32');
    expect(full([2], 3, 'float32').dtype).toBe('float32');
    expect(zerosLike(tensor([1]), 'float32').dtype).toBe('float32');
    expect(onesLike(tensor([1]), 'float32').dtype).toBe('float32');
    expect(arange(3, 'float32').dtype).toBe('float32');
    expect(values(arange(1, 3, 'float32'))).toEqual([1, 2]);
    expect(linspace(0, 1, 3, 'float32').dtype).toBe('float32');
    expect(eye(2, 'float32').dtype).toBe('float32');
    expect(eye(2, 3, { dtype: 'float32' }).shape).toEqual([2, 3]);
    expectTyped(() => tensor([1], bad('int32')), 'INVALID_DTYPE', 'tensor', ['dtype is the string "int32"', "'float64' or 'float32'"]);
    expectTyped(() => zeros([1], bad({ dtype: 'float16' })), 'INVALID_DTYPE', 'zeros', ['"float16"']);
  });

  it('options objects: an unknown key is UNKNOWN_OPTION naming the known ones; a non-object is INVALID_ARGUMENT', () => {
    expectTyped(() => tensor([1], bad({ dtpye: 'float32' })), 'UNKNOWN_OPTION', 'tensor', ['"dtpye"', 'did you mean "dtype"', 'shape, dtype']);
    expectTyped(() => zeros([1], bad({ shape: [1] })), 'UNKNOWN_OPTION', 'zeros', ['"shape"']);
    expectTyped(() => tensor([1], bad(5)), 'INVALID_ARGUMENT', 'tensor', ['options is the number 5']);
    // [[1], [2]].map(tensor) would pass the index as the options: refused, not ignored
    expectTyped(() => [[1], [2]].map(bad(tensor)), 'INVALID_ARGUMENT', 'tensor');
  });

  it('tensor: a DataView, an array-like with a bad length, a cyclic array are typed errors', () => {
    expectTyped(() => tensor(bad(new DataView(new ArrayBuffer(8)))), 'INVALID_ARGUMENT', 'tensor', ['a DataView', 'new Float64Array(view.buffer)']);
    expectTyped(() => tensor(bad({ length: -1 })), 'INVALID_DIMENSION', 'tensor', ['value.length']);
    expectTyped(() => tensor(bad({ length: 1.5 })), 'INVALID_DIMENSION', 'tensor');
    expectTyped(() => tensor(bad({ length: 1e10 })), 'ALLOCATION_TOO_LARGE', 'tensor');
    expect(values(tensor(bad({ length: 2, 0: 5, 1: 6 })))).toEqual([5, 6]);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expectTyped(() => tensor(bad(cyclic)), 'CYCLIC_TREE', 'tensor', ['contains itself']);
    expectTyped(() => tensor(bad([tensor(1), tensor(2)])), 'NOT_NUMERIC', 'tensor', ['a Tensor of shape []', 'stack']);
    expectTyped(() => tensor([1], { shape: bad(2) }), 'INVALID_ARGUMENT', 'tensor', ['shape is the number 2', '[2]']);
  });

  it('tensor: nesting 10,000 deep works, and reads out and prints without a stack overflow', () => {
    let nested: unknown = 7;
    for (let i = 0; i < 10_000; i++) nested = [nested];
    const t = tensor(bad(nested));
    expect([t.ndim, t.size]).toEqual([10_000, 1]);
    let back = toArray(t);
    for (let i = 0; i < 10_000; i++) back = (back as unknown[])[0] as typeof back;
    expect(back).toBe(7);
    expect(String(t)).toContain('7');
  });

  it('zeros, ones, full: shapes are arrays of non-negative integers a buffer can hold', () => {
    expectTyped(() => zeros([1e10, 1e10]), 'ALLOCATION_TOO_LARGE', 'zeros', ['[10000000000, 10000000000]', 'elements']);
    expectTyped(() => ones([2 ** 33]), 'ALLOCATION_TOO_LARGE', 'ones');
    expectTyped(() => zeros(bad(3)), 'INVALID_ARGUMENT', 'zeros', ['shape is the number 3', '[3]']);
    expectTyped(() => zeros([2, -1]), 'INVALID_DIMENSION', 'zeros', ['[2, -1]', 'dimension 1 is the number -1']);
    expectTyped(() => zeros([NaN]), 'INVALID_DIMENSION', 'zeros', ['NaN']);
    expectTyped(() => full([2], bad('7')), 'NOT_NUMERIC', 'full');
    expectTyped(() => (zeros as (...a: unknown[]) => unknown)([2], 'float32', {}), 'INVALID_ARGUMENT', 'zeros', ['got 3 arguments']);
    // a sparse shape has a hole, not a dimension
    // eslint-disable-next-line no-sparse-arrays
    expectTyped(() => zeros(bad([, 2])), 'INVALID_DIMENSION', 'zeros', ['undefined']);
  });

  it('zerosLike, onesLike: a tensor or a number, else a typed error', () => {
    expect(zerosLike(bad(5)).shape).toEqual([]);
    expectTyped(() => onesLike(bad([1, 2])), 'INVALID_ARGUMENT', 'onesLike', ['the array [1, 2]', 'pass a tensor']);
  });

  it('arange: finite numbers, a non-zero step, a length a buffer can hold', () => {
    expectTyped(() => arange(0, 1e300, 1e-300), 'ALLOCATION_TOO_LARGE', 'arange');
    expectTyped(() => arange(bad('a')), 'INVALID_ARGUMENT', 'arange', ['stop is the string "a"']);
    expectTyped(() => arange(0, NaN), 'INVALID_ARGUMENT', 'arange', ['stop is NaN', 'finite']);
    expectTyped(() => arange(0, 1, 0), 'INVALID_ARGUMENT', 'arange', ['step is the number 0']);
    expectTyped(() => arange(0, bad('float32'), 1), 'INVALID_ARGUMENT', 'arange', ['go last']);
    expect(values(arange(5, undefined, 2))).toEqual([0, 2, 4]);
  });

  it('linspace: start and stop finite numbers, num a non-negative integer (not NaN, not a string)', () => {
    expectTyped(() => linspace(0, NaN, 3), 'INVALID_ARGUMENT', 'linspace', ['stop is NaN']);
    expectTyped(() => linspace(bad('a'), 1, 3), 'INVALID_ARGUMENT', 'linspace', ['start is the string "a"']);
    expectTyped(() => linspace(0, Infinity, 3), 'INVALID_ARGUMENT', 'linspace', ['stop']);
    expectTyped(() => linspace(0, 1, 2.5), 'INVALID_ARGUMENT', 'linspace', ['num is the number 2.5']);
    expectTyped(() => linspace(0, 1, -1), 'INVALID_ARGUMENT', 'linspace', ['num']);
    expectTyped(() => linspace(0, 1, 1e10), 'ALLOCATION_TOO_LARGE', 'linspace');
    // bounds whose difference overflows still give finite, ordered values
    const wide = values(linspace(-1.5e308, 1.5e308, 3));
    expect(wide).toEqual([-1.5e308, 0, 1.5e308]);
  });

  it('eye: non-negative integer sizes', () => {
    expectTyped(() => eye(1e10), 'ALLOCATION_TOO_LARGE', 'eye');
    expectTyped(() => eye(2.5), 'INVALID_ARGUMENT', 'eye', ['n is the number 2.5']);
    expectTyped(() => eye(2, -1), 'INVALID_ARGUMENT', 'eye', ['m']);
  });
});
