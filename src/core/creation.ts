/**
 * Constructors: the ways to make a tensor from JavaScript values. Inputs are always copied, so a
 * typed array or nested array handed in can change afterwards without touching the tensor.
 *
 * @since 0.1.0
 */
import { ArgumentError, formatShape, ShapeError } from './errors.js';
import { checkShape, SCALAR_SHAPE, type Shape, sizeOf } from './shape.js';
import { allocate, dataOf, type DType, type FloatArray, fromData, makeScalar, type NestedArray, Tensor } from './Tensor.js';

/**
 * Options shared by the constructors.
 *
 * @category constructors
 * @since 0.1.0
 */
export interface TensorOptions {
  readonly dtype?: DType;
}

/** Anything `tensor` accepts. */
export type TensorLike = number | NestedArray | ReadonlyArray<unknown> | ArrayLike<number> | Tensor;

/** @internal Validates a dtype option. */
export function checkDType(op: string, dtype: unknown): DType {
  if (dtype === undefined) return 'float64';
  if (dtype !== 'float64' && dtype !== 'float32') {
    throw new ArgumentError('INVALID_DTYPE', op, `dtype ${String(dtype)} is not supported; use 'float64' or 'float32'`);
  }
  return dtype;
}

function notNumeric(op: string, path: string, v: unknown): never {
  throw new ArgumentError(
    'NOT_NUMERIC',
    op,
    `the element at ${path || 'the top level'} is ${typeof v === 'object' ? JSON.stringify(v) : String(v)} (${typeof v}); ` +
      'tensors hold numbers only: convert booleans and strings with Number() first',
  );
}

function inferShape(value: ReadonlyArray<unknown>): number[] {
  const shape: number[] = [];
  let cur: unknown = value;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function flattenInto(op: string, value: unknown, shape: ReadonlyArray<number>, dim: number, out: FloatArray, pos: { i: number }, path: string): void {
  if (dim === shape.length) {
    if (typeof value !== 'number') {
      if (Array.isArray(value)) {
        throw new ShapeError('RAGGED_ARRAY', op, `ragged nested array: ${path} is an array but its siblings are numbers; every row must have the same length`);
      }
      notNumeric(op, path, value);
    }
    out[pos.i++] = value;
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[dim]) {
    const got = Array.isArray(value) ? `length ${value.length}` : typeof value === 'number' ? 'a number' : typeof value;
    throw new ShapeError(
      'RAGGED_ARRAY',
      op,
      `ragged nested array: ${path || 'the top level'} has ${got}, expected length ${shape[dim]} ` +
        `(inferred shape ${formatShape(shape)}); every row must have the same length`,
    );
  }
  for (let i = 0; i < value.length; i++) flattenInto(op, value[i], shape, dim + 1, out, pos, `${path}[${i}]`);
}

/**
 * Makes a tensor from a number, nested arrays, a typed array or another tensor. `shape` reshapes
 * the flat contents (sizes must agree); `dtype` defaults to `float64`.
 *
 * @example
 * import { tensor } from 'adjoint'
 * const t = tensor(new Float32Array([1, 2, 3, 4]), { shape: [2, 2], dtype: 'float32' })
 * assert.deepEqual(t.shape, [2, 2])
 * assert.equal(t.dtype, 'float32')
 *
 * @category constructors
 * @since 0.1.0
 */
export function tensor(value: TensorLike, options: TensorOptions & { readonly shape?: ReadonlyArray<number> } = {}): Tensor {
  const op = 'tensor';
  const dtype = checkDType(op, options.dtype ?? (value instanceof Tensor ? value.dtype : undefined));
  let shape: Shape;
  let data: FloatArray;
  if (value instanceof Tensor) {
    if (value.dtype === dtype && options.shape === undefined) return value;
    shape = value.shape;
    data = allocate(dtype, value.size);
    data.set(dataOf(value));
  } else if (typeof value === 'number') {
    if (options.shape === undefined) return makeScalar(value, dtype);
    shape = SCALAR_SHAPE;
    data = allocate(dtype, 1);
    data[0] = value;
  } else if (Array.isArray(value)) {
    shape = inferShape(value);
    data = allocate(dtype, sizeOf(shape));
    flattenInto(op, value, shape, 0, data, { i: 0 }, '');
  } else if (ArrayBuffer.isView(value) || (typeof value === 'object' && value !== null && 'length' in value)) {
    const src = value as ArrayLike<unknown>;
    shape = [src.length];
    data = allocate(dtype, src.length);
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (typeof v !== 'number') notNumeric(op, `[${i}]`, v);
      data[i] = v;
    }
  } else {
    return notNumeric(op, '', value);
  }
  if (options.shape !== undefined) {
    const target = checkShape(op, options.shape);
    if (sizeOf(target) !== data.length) {
      throw new ShapeError(
        'RESHAPE_SIZE_MISMATCH',
        op,
        `cannot give ${data.length} elements (shape ${formatShape(shape)}) the shape ${formatShape(target)} of size ${sizeOf(target)}; pass matching data or omit shape`,
      );
    }
    shape = target;
  }
  return fromData(Object.freeze([...shape]), dtype, data);
}

/**
 * A 0-d tensor.
 *
 * @example
 * import { scalar, item } from 'adjoint'
 * assert.equal(item(scalar(2.5)), 2.5)
 *
 * @category constructors
 * @since 0.1.0
 */
export function scalar(value: number, options: TensorOptions = {}): Tensor {
  if (typeof value !== 'number') notNumeric('scalar', '', value);
  return makeScalar(value, checkDType('scalar', options.dtype));
}

/**
 * A tensor of the given shape with every element equal to `value`.
 *
 * @example
 * import { full, toArray } from 'adjoint'
 * assert.deepEqual(toArray(full([2], 7)), [7, 7])
 *
 * @category constructors
 * @since 0.1.0
 */
export function full(shape: ReadonlyArray<number>, value: number, options: TensorOptions = {}): Tensor {
  return fullFor('full', shape, value, options.dtype);
}

function fullFor(op: string, shape: ReadonlyArray<number>, value: number, dtypeOption: unknown): Tensor {
  const dtype = checkDType(op, dtypeOption);
  if (!Array.isArray(shape)) throw new ArgumentError('INVALID_ARGUMENT', op, `shape must be an array of dimensions, got ${String(shape)}`);
  checkShape(op, shape);
  if (typeof value !== 'number') notNumeric(op, 'value', value);
  if (shape.length === 0) return makeScalar(value, dtype);
  const data = allocate(dtype, sizeOf(shape));
  if (value !== 0) data.fill(value);
  return fromData(Object.freeze([...shape]), dtype, data);
}

/**
 * A tensor of zeros.
 *
 * @example
 * import { zeros, toArray } from 'adjoint'
 * assert.deepEqual(toArray(zeros([2, 2])), [[0, 0], [0, 0]])
 *
 * @category constructors
 * @since 0.1.0
 */
export function zeros(shape: ReadonlyArray<number>, options: TensorOptions = {}): Tensor {
  return fullFor('zeros', shape, 0, options.dtype);
}

/**
 * A tensor of ones.
 *
 * @example
 * import { ones, toArray } from 'adjoint'
 * assert.deepEqual(toArray(ones([3])), [1, 1, 1])
 *
 * @category constructors
 * @since 0.1.0
 */
export function ones(shape: ReadonlyArray<number>, options: TensorOptions = {}): Tensor {
  return fullFor('ones', shape, 1, options.dtype);
}

/**
 * Zeros with the shape (and, unless overridden, the dtype) of `t`.
 *
 * @example
 * import { zerosLike, tensor } from 'adjoint'
 * assert.deepEqual(zerosLike(tensor([1, 2])).shape, [2])
 *
 * @category constructors
 * @since 0.1.0
 */
export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return fullFor('zerosLike', t.shape, 0, options.dtype ?? t.dtype);
}

/**
 * Ones with the shape (and, unless overridden, the dtype) of `t`.
 *
 * @example
 * import { onesLike, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(onesLike(tensor([5, 6]))), [1, 1])
 *
 * @category constructors
 * @since 0.1.0
 */
export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return fullFor('onesLike', t.shape, 1, options.dtype ?? t.dtype);
}

/**
 * Evenly spaced values in `[start, stop)` with `step`, like `numpy.arange`; `arange(n)` is `0..n-1`.
 *
 * @example
 * import { arange, toArray } from 'adjoint'
 * assert.deepEqual(toArray(arange(4)), [0, 1, 2, 3])
 * assert.deepEqual(toArray(arange(1, 2, 0.5)), [1, 1.5])
 *
 * @category constructors
 * @since 0.1.0
 */
export function arange(start: number, stop?: number, step = 1, options: TensorOptions = {}): Tensor {
  const dtype = checkDType('arange', options.dtype);
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
  for (const [name, v] of [['start', lo], ['stop', hi], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) notNumeric('arange', name, v);
  }
  if (step === 0) throw new ArgumentError('INVALID_ARGUMENT', 'arange', 'step is 0; use a non-zero step');
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return fromData(Object.freeze([n]), dtype, data);
}

/**
 * `num` evenly spaced values from `start` to `stop` inclusive.
 *
 * @example
 * import { linspace, toArray } from 'adjoint'
 * assert.deepEqual(toArray(linspace(0, 1, 5)), [0, 0.25, 0.5, 0.75, 1])
 *
 * @category constructors
 * @since 0.1.0
 */
export function linspace(start: number, stop: number, num: number, options: TensorOptions = {}): Tensor {
  const dtype = checkDType('linspace', options.dtype);
  checkShape('linspace', [num]);
  const data = allocate(dtype, num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return fromData(Object.freeze([num]), dtype, data);
}

/**
 * The `n x m` identity matrix (`m` defaults to `n`).
 *
 * @example
 * import { eye, toArray } from 'adjoint'
 * assert.deepEqual(toArray(eye(2)), [[1, 0], [0, 1]])
 *
 * @category constructors
 * @since 0.1.0
 */
export function eye(n: number, m: number = n, options: TensorOptions = {}): Tensor {
  const dtype = checkDType('eye', options.dtype);
  checkShape('eye', [n, m]);
  const data = allocate(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return fromData(Object.freeze([n, m]), dtype, data);
}

let lastNumber = 0;
let lastDType: DType = 'float64';
let lastConstant: Tensor = makeScalar(0, 'float64');

/** @internal Converts an op argument to a tensor: numbers become 0-d constants of `dtype`. */
export function asTensor(op: string, x: Tensor | number, dtype: DType = 'float64'): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number') {
    // a literal in a loop (`mul(b, 0.1)`) is converted again and again: reuse the last one (tensors
    // are immutable, so sharing is safe). Object.is keeps 0 and -0 apart.
    if (Object.is(x, lastNumber) && dtype === lastDType) return lastConstant;
    lastConstant = makeScalar(x, dtype);
    lastNumber = x;
    lastDType = dtype;
    return lastConstant;
  }
  throw new ArgumentError(
    'NOT_NUMERIC',
    op,
    `expected a Tensor or a number, got ${x === null ? 'null' : typeof x}; wrap arrays with tensor(...)`,
  );
}

