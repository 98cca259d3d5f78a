import { format, inspect } from 'node:util';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  abs,
  add,
  ArgumentError,
  arange,
  broadcastTo,
  concat,
  cos,
  div,
  dot,
  type DType,
  equal,
  exp,
  expandDims,
  expm1,
  grad,
  greater,
  greaterEqual,
  item,
  jvp,
  less,
  lessEqual,
  log,
  log1p,
  logSoftmax,
  logsumexp,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  neg,
  notEqual,
  ones,
  onesLike,
  outer,
  pad,
  pow,
  relu,
  reshape,
  scalar,
  sigmoid,
  sign,
  sin,
  slice,
  softmax,
  sqrt,
  square,
  squeeze,
  stack,
  sub,
  sum,
  take,
  tan,
  tanh,
  Tensor,
  tensor,
  toArray,
  toTypedArray,
  transpose,
  where,
  zeros,
  zerosLike,
} from '../../src/index.js';
import { expectTyped } from '../typed.js';
import * as ref from '../reference.js';
import { thrown } from '../reference.js';

const SEED = { seed: 1, numRuns: 60 } as const;

/** The bytes of a tensor's contents (a copy). */
const bytes = (t: Tensor): Uint8Array => new Uint8Array(toTypedArray(t).buffer);

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** Swaps the last two axes (matrix transpose of a batch). */
const swapLast = (t: Tensor): Tensor => transpose(t, t.shape.map((_, i) => (i < t.ndim - 2 ? i : i === t.ndim - 2 ? t.ndim - 1 : t.ndim - 2)));

/** Every op, applied to `x` and a `y` that broadcasts with it; undefined where the op does not apply to these shapes. */
const OPS: ReadonlyArray<[string, (x: Tensor, y: Tensor) => Tensor | undefined]> = [
  ...Object.entries({ neg, square, sqrt, exp, log, log1p, expm1, sin, cos, tan, tanh, sigmoid, relu, abs, sign }).map(
    ([name, f]): [string, (x: Tensor) => Tensor] => [name, (x) => f(x)],
  ),
  ...Object.entries({ add, sub, mul, div, pow, maximum, minimum, greater, greaterEqual, less, lessEqual, equal, notEqual }).map(
    ([name, f]): [string, (x: Tensor, y: Tensor) => Tensor] => [name, (x, y) => f(x, y)],
  ),
  ['data-last mul', (x, y) => mul(y)(x)],
  ['where', (x, y) => where(greater(x, 0), x, y)],
  ['where (tensor condition)', (x, y) => where(x, y, 2)],
  ['sum', (x) => sum(x)],
  ['sum axis -1 keepdims', (x) => (x.ndim > 0 ? sum(x, { axis: -1, keepdims: true }) : undefined)],
  // (max, min and mean of an empty axis are refused)
  ['mean', (x) => (x.size > 0 ? mean(x) : undefined)],
  ['max', (x) => (x.size > 0 ? max(x) : undefined)],
  ['min axis 0', (x) => (x.ndim > 0 && x.shape[0]! > 0 ? min(x, { axis: 0 }) : undefined)],
  ['logsumexp', (x) => logsumexp(x)],
  ['softmax', (x) => (x.ndim > 0 ? softmax(x) : undefined)],
  ['logSoftmax', (x) => (x.ndim > 0 ? logSoftmax(x, 0) : undefined)],
  ['matmul', (x) => (x.ndim >= 2 ? matmul(x, swapLast(x)) : undefined)],
  ['dot', (x) => (x.ndim === 1 ? dot(x, x) : undefined)],
  ['outer', (x, y) => outer(x, y)],
  ['reshape', (x) => reshape(x, [-1])],
  ['transpose', (x) => transpose(x)],
  ['expandDims', (x) => expandDims(x, 0)],
  ['squeeze', (x) => squeeze(x)],
  ['broadcastTo', (x) => broadcastTo(x, [2, ...x.shape])],
  ['slice', (x) => slice(x, x.shape.map(() => 1))],
  ['concat', (x) => (x.ndim > 0 ? concat([x, x], 0) : undefined)],
  ['stack', (x) => stack([x, x], 0)],
  ['take', (x) => (x.ndim > 0 && x.shape[0]! > 0 ? take(x, [0, -1, 0]) : undefined)],
  ['pad', (x) => pad(x, x.shape.map(() => [1, 2] as const), 7)],
  ['tensor (dtype change)', (x) => tensor(x, { dtype: x.dtype === 'float64' ? 'float32' : 'float64' })],
  ['tensor (shape)', (x) => tensor(x, { shape: [x.size] })],
  ['zerosLike', (x) => zerosLike(x)],
  ['onesLike', (x) => onesLike(x)],
];

describe('immutability', () => {
  const dtypeArb = fc.constantFrom<DType>('float64', 'float32');
  test.prop([ref.broadcastableArrsArb(2, ref.specialValueArb), dtypeArb, dtypeArb], SEED)(
    'no op changes its inputs, and every result has a frozen shape',
    ([a, b], dx, dy) => {
      const x = ref.toTensor(a!, dx);
      const y = ref.toTensor(b!, dy);
      const before = [bytes(x), bytes(y)] as const;
      for (const [name, op] of OPS) {
        const r = op(x, y);
        expect([name, sameBytes(bytes(x), before[0]), sameBytes(bytes(y), before[1])]).toEqual([name, true, true]);
        expect([name, x.shape, y.shape]).toEqual([name, a!.shape, b!.shape]);
        if (r !== undefined) expect([name, r instanceof Tensor, Object.isFrozen(r.shape)]).toEqual([name, true, true]);
      }
    },
  );

  it('shape, dtype, size and ndim cannot be assigned (strict mode throws)', () => {
    const t = tensor([[1, 2]]);
    const loose = t as unknown as Record<string, unknown>;
    expect(() => {
      loose.shape = [2, 1];
    }).toThrow(TypeError);
    expect(() => {
      loose.dtype = 'float32';
    }).toThrow(TypeError);
    expect(() => {
      loose.size = 5;
    }).toThrow(TypeError);
    expect(() => {
      loose.ndim = 0;
    }).toThrow(TypeError);
    expect(t.shape).toEqual([1, 2]);
    expect(t.dtype).toBe('float64');
    expect(t.size).toBe(2);
    expect(t.ndim).toBe(2);
  });

  it('the shape array is frozen for constructors, ops and 0-d tensors', () => {
    for (const t of [tensor([[1, 2]]), zeros([3]), scalar(1), add(tensor([1]), tensor([[1], [2]])), sum(ones([2, 2]), { axis: 0 }), reshape(arange(4), [2, 2])]) {
      expect(Object.isFrozen(t.shape)).toBe(true);
      const s = t.shape as number[];
      expect(() => s.push(1)).toThrow(TypeError);
      if (s.length > 0) {
        expect(() => {
          s[0] = 99;
        }).toThrow(TypeError);
      }
    }
  });

  it('the typed array given to tensor() is copied', () => {
    const src = new Float64Array([1, 2, 3, 4]);
    const t = tensor(src, { shape: [2, 2] });
    src[0] = 100;
    src.fill(-1);
    expect(toArray(t)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const src32 = new Float32Array([5, 6]);
    const t32 = tensor(src32, { dtype: 'float32' });
    src32[1] = 0;
    expect(toArray(t32)).toEqual([5, 6]);
  });

  it('nested arrays given to tensor() are copied', () => {
    const src = [
      [1, 2],
      [3, 4],
    ];
    const t = tensor(src);
    src[0]![0] = 100;
    src.pop();
    expect(toArray(t)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('toTypedArray and toArray return fresh copies', () => {
    const t = tensor([1, 2, 3]);
    const a = toTypedArray(t);
    a[0] = 100;
    expect(toTypedArray(t)).not.toBe(toTypedArray(t));
    expect(Array.from(toTypedArray(t))).toEqual([1, 2, 3]);
    const nested = toArray(t) as number[];
    nested[1] = 100;
    expect(toArray(t)).toEqual([1, 2, 3]);
    // a reshape shares storage internally; writing through a copy reaches neither tensor
    const r = reshape(t, [3, 1]);
    toTypedArray(r).fill(0);
    expect(toArray(r)).toEqual([[1], [2], [3]]);
    expect(toArray(t)).toEqual([1, 2, 3]);
    const s = scalar(5);
    toTypedArray(s)[0] = 6;
    expect(item(s)).toBe(5);
  });

  it('new Tensor(...) from outside the library throws', () => {
    const Ctor = Tensor as unknown as new (...args: unknown[]) => Tensor;
    for (const args of [[], [Symbol('adjoint.internal'), [2], 'float64', new Float64Array(2), 0, true]]) {
      const caught = thrown(() => new Ctor(...args));
      expect(caught).toBeInstanceOf(ArgumentError);
      expect((caught as ArgumentError).code).toBe('INVALID_ARGUMENT');
      expect((caught as Error).message).toContain('Tensor');
    }
  });
});

describe('read-out', () => {
  it('shape, dtype, size and ndim', () => {
    const t = zeros([2, 3, 0], { dtype: 'float32' });
    expect([t.shape, t.dtype, t.size, t.ndim]).toEqual([[2, 3, 0], 'float32', 0, 3]);
    const s = scalar(1);
    expect([s.shape, s.dtype, s.size, s.ndim]).toEqual([[], 'float64', 1, 0]);
  });

  it('toArray nests by shape; a 0-d tensor gives a number', () => {
    expect(toArray(scalar(4))).toBe(4);
    expect(toArray(tensor([1, 2]))).toEqual([1, 2]);
    expect(toArray(reshape(arange(8), [2, 2, 2]))).toEqual([
      [
        [0, 1],
        [2, 3],
      ],
      [
        [4, 5],
        [6, 7],
      ],
    ]);
    expect(toArray(zeros([2, 0]))).toEqual([[], []]);
    expect(toArray(zeros([0, 2]))).toEqual([]);
    expect(toArray(zeros([1, 1, 1]))).toEqual([[[0]]]);
  });

  test.prop([ref.arrArb()], SEED)('toArray agrees with the reference nesting of the row-major data', (a) => {
    const nest = (dim: number, offset: number): ref.Arr['data'] | unknown[] | number => {
      if (dim === a.shape.length) return a.data[offset]!;
      const inner = ref.size(a.shape.slice(dim + 1));
      return Array.from({ length: a.shape[dim]! }, (_, i) => nest(dim + 1, offset + i * inner));
    };
    expect(toArray(ref.toTensor(a))).toEqual(nest(0, 0));
    expect(Array.from(toTypedArray(ref.toTensor(a)))).toEqual(a.data);
  });

  it('item reads a size-1 tensor of any rank', () => {
    expect(item(scalar(2.5))).toBe(2.5);
    expect(item(tensor([[[7]]]))).toBe(7);
    expect(item(tensor([0.1], { dtype: 'float32' }))).toBe(Math.fround(0.1));
    expect(item(sum(tensor([1, 2, 3])))).toBe(6);
  });

  it('toTypedArray has the dtype of the tensor', () => {
    expect(toTypedArray(tensor([1, 2]))).toBeInstanceOf(Float64Array);
    expect(toTypedArray(tensor([1, 2], { dtype: 'float32' }))).toBeInstanceOf(Float32Array);
    expect(toTypedArray(scalar(3, { dtype: 'float32' }))).toBeInstanceOf(Float32Array);
    expect(Array.from(toTypedArray(tensor([[1, 2], [3, 4]])))).toEqual([1, 2, 3, 4]);
    expect(Array.from(toTypedArray(scalar(3)))).toEqual([3]);
  });
});

describe('toString', () => {
  it('renders a small 2x2 tensor exactly', () => {
    expect(tensor([[1, 2], [3, 4]]).toString()).toBe('tensor([[1, 2],\n        [3, 4]], shape=[2, 2], dtype=float64)');
    expect(String(tensor([[1.5, -2], [0.25, 1e-9]], { dtype: 'float32' }))).toBe(
      'tensor([[1.5, -2],\n        [0.25, 1e-9]], shape=[2, 2], dtype=float32)',
    );
    expect(`${tensor([[1, 2], [3, 4]])}`).toBe('tensor([[1, 2],\n        [3, 4]], shape=[2, 2], dtype=float64)');
  });

  it('renders 0-d, 3-d, empty and special values', () => {
    expect(String(scalar(2.5))).toBe('tensor(2.5, shape=[], dtype=float64)');
    expect(String(tensor([[[1, 2]], [[3, 4]]]))).toBe('tensor([[[1, 2]],\n\n        [[3, 4]]], shape=[2, 1, 2], dtype=float64)');
    expect(String(zeros([0]))).toBe('tensor([], shape=[0], dtype=float64)');
    expect(String(tensor([1 / 3, NaN, -Infinity]))).toBe('tensor([0.33333333, NaN, -Infinity], shape=[3], dtype=float64)');
    expect(String(tensor([1 / 3], { dtype: 'float32' }))).toBe('tensor([0.333333], shape=[1], dtype=float32)');
  });

  it('elides long tensors with ...', () => {
    const s = String(arange(2000));
    expect(s).toBe('tensor([0, 1, 2, ..., 1997, 1998, 1999], shape=[2000], dtype=float64)');
    const m = String(reshape(arange(2000), [40, 50]));
    expect(m.startsWith('tensor([[0, 1, 2, ..., 47, 48, 49],\n        [50, 51, 52, ..., 97, 98, 99],')).toBe(true);
    expect(m).toContain('\n        ...,\n');
    expect(m.endsWith('[1950, 1951, 1952, ..., 1997, 1998, 1999]], shape=[40, 50], dtype=float64)')).toBe(true);
    expect(m.split('\n')).toHaveLength(7);
    // 1000 elements are still printed in full
    expect(String(arange(1000))).not.toContain('...');
  });
});

describe('JavaScript operators on tensors (issue 8 §2)', () => {
  const loose = (t: Tensor): number => t as unknown as number;

  it('x * x, x > 0, Math.max(x, 0), +x, x == 1 throw TENSOR_COERCION naming the ops to use', () => {
    const x = tensor([1, 2]);
    for (const misuse of [() => loose(x) * loose(x), () => loose(x) > 0, () => Math.max(loose(x), 0), () => +loose(x), () => loose(x) + 1, () => x.valueOf()]) {
      expectTyped(misuse, 'TENSOR_COERCION', 'Tensor', ['[2]', 'mul', 'greater', 'where', 'maximum', 'item(x)'], ArgumentError);
    }
    // eslint-disable-next-line eqeqeq
    expectTyped(() => (x as unknown) == 1, 'TENSOR_COERCION', 'Tensor');
  });

  it('inside grad: x * x is an error, not a zero gradient (grad((x) => x * x)(3) used to be 0)', () => {
    expectTyped(() => grad((x: Tensor) => loose(x) * loose(x))(3), 'TENSOR_COERCION', 'Tensor', ['mul']);
    expectTyped(() => grad((x: Tensor) => (loose(x) > 0 ? x : 0))(3), 'TENSOR_COERCION', 'Tensor', ['where']);
    expectTyped(() => grad((x: Tensor) => Math.max(loose(x), 0))(3), 'TENSOR_COERCION', 'Tensor', ['maximum']);
  });

  it('string conversion still renders the tensor: String, template literals, util.inspect, console.log', () => {
    const t = tensor([1, 2]);
    const text = 'tensor([1, 2], shape=[2], dtype=float64)';
    expect(String(t)).toBe(text);
    expect(`${t}`).toBe(text);
    expect(inspect(t)).toBe(text);
    expect(format('%s', t)).toBe(text);
    expect(format(t)).toBe(text);
    expect(t.toString()).toBe(text);
  });
});

describe('tensors cannot be changed under the engine (issue 8 §3)', () => {
  it('Object.defineProperty(t, "shape", ...) does not change what later ops compute: they refuse the tensor', () => {
    const t = tensor([1, 2]);
    Object.defineProperty(t, 'shape', { value: Object.freeze([5]) });
    expectTyped(() => sum(t), 'INVALID_ARGUMENT', 'sum', ['redefined', 'its real shape is [2]'], ArgumentError);
    expectTyped(() => add(t, t), 'INVALID_ARGUMENT', 'add', ['redefined'], ArgumentError);
    expectTyped(() => toArray(t), 'INVALID_ARGUMENT', 'toArray', ['redefined'], ArgumentError);
    expectTyped(() => reshape(t, [5]), 'INVALID_ARGUMENT', 'reshape', ['redefined'], ArgumentError);
    expectTyped(() => grad((x: Tensor) => sum(mul(x, t)))(tensor([1, 1])), 'INVALID_ARGUMENT', 'mul', ['redefined'], ArgumentError);
    for (const key of ['dtype', 'size', 'ndim']) {
      const u = tensor([1, 2]);
      Object.defineProperty(u, key, { value: key === 'dtype' ? 'float32' : 0 });
      expectTyped(() => neg(u), 'INVALID_ARGUMENT', 'neg', ['redefined'], ArgumentError);
    }
  });

  it('the scalar fast paths refuse a redefined 0-d tensor too, whether a constant or a traced value', () => {
    for (const key of ['shape', 'dtype', 'size', 'ndim']) {
      const s = scalar(3);
      Object.defineProperty(s, key, { value: key === 'shape' ? Object.freeze([3]) : key === 'dtype' ? 'float32' : 3 });
      expectTyped(() => add(s, 1), 'INVALID_ARGUMENT', 'add', ['redefined', 'its real shape is []'], ArgumentError);
      expectTyped(() => sin(s), 'INVALID_ARGUMENT', 'sin', ['redefined'], ArgumentError);
      expectTyped(() => mul(2, s), 'INVALID_ARGUMENT', 'mul', ['redefined'], ArgumentError);
      // a constant on the reverse tape's scalar path
      expectTyped(() => grad((x: Tensor) => mul(x, s))(2), 'INVALID_ARGUMENT', 'mul', ['redefined'], ArgumentError);
      expectTyped(() => jvp((x: Tensor) => mul(x, s), [scalar(2)], [scalar(1)]), 'INVALID_ARGUMENT', 'mul', ['redefined'], ArgumentError);
    }
    // a traced 0-d value redefined inside the function
    const redefine = (x: Tensor): Tensor => Object.defineProperty(x, 'shape', { value: Object.freeze([3]) });
    expectTyped(() => grad((x: Tensor) => add(redefine(mul(x, x)), 1))(2), 'INVALID_ARGUMENT', 'add', ['redefined'], ArgumentError);
    expectTyped(() => grad((x: Tensor) => sin(redefine(mul(x, x))))(2), 'INVALID_ARGUMENT', 'sin', ['redefined'], ArgumentError);
    expectTyped(() => grad((x: Tensor) => sin(redefine(x)))(2), 'INVALID_ARGUMENT', 'sin', ['redefined'], ArgumentError);
    const v = tensor([1, 2, 3]);
    Object.defineProperty(v, 'ndim', { value: 0 });
    expectTyped(() => mul(v, 2), 'INVALID_ARGUMENT', 'mul', ['redefined'], ArgumentError);
  });

  it('toString and inspect render a redefined tensor from its private state', () => {
    const u = tensor([1, 2, 3]);
    Object.defineProperty(u, 'shape', { value: Object.freeze([5]) });
    Object.defineProperty(u, 'size', { value: 5 });
    expect(String(u)).toBe('tensor([1, 2, 3], shape=[3], dtype=float64)');
    expect(inspect(u)).toBe('tensor([1, 2, 3], shape=[3], dtype=float64)');
    const s = scalar(2);
    Object.defineProperty(s, 'ndim', { value: 1 });
    Object.defineProperty(s, 'dtype', { value: 'float32' });
    expect(`${s}`).toBe('tensor(2, shape=[], dtype=float64)');
  });

  it('a tensor saved on a tape and tampered with before the reverse pass is refused there', () => {
    const c = tensor([1, 2]);
    expectTyped(
      () =>
        grad((x: Tensor) => {
          const y = sum(mul(x, c));
          Object.defineProperty(c, 'shape', { value: Object.freeze([1, 2]) });
          return y;
        })(tensor([3, 4])),
      'INVALID_ARGUMENT',
      'mul',
      ['redefined'],
      ArgumentError,
    );
  });

  it('the getters cannot be assigned, nor redefined on the (frozen) prototype; a new prototype is refused', () => {
    const t = tensor([1, 2]);
    expect(() => {
      (t as { shape: unknown }).shape = [5];
    }).toThrow(TypeError);
    expect(Object.isFrozen(Tensor.prototype)).toBe(true);
    expect(() => Object.defineProperty(Tensor.prototype, 'shape', { get: () => [5] })).toThrow(TypeError);
    const u = tensor([1, 2]);
    Object.setPrototypeOf(u, Object.create(Tensor.prototype, { shape: { get: () => [5] } }));
    expectTyped(() => sum(u), 'INVALID_ARGUMENT', 'sum', ['redefined'], ArgumentError);
    // another property is inert: nothing reads it
    (t as unknown as { note: string }).note = 'mine';
    expect(toArray(add(t, 1))).toEqual([2, 3]);
  });
});
