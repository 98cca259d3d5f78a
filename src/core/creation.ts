/**
 * Constructors: the ways to make a tensor from JavaScript values. Inputs are always copied, so a
 * typed array or nested array handed in can change afterwards without touching the tensor.
 *
 * @since 0.1.0
 */
import { checkArity, checkSize, describeValue, invalidArgument, isPlainObject, parseDType, parseDTypeOrOptions, parseInteger, parseNumber, parseShape } from './args.js';
import { ArgumentError, formatShape, ShapeError } from './errors.js';
import { SCALAR_SHAPE, type Shape, sizeOf } from './shape.js';
import { allocate, checkIntact, dataOf, type DType, type FloatArray, fromData, isTensor, makeScalar, type NestedArray, type Tensor } from './Tensor.js';

/**
 * Options shared by the constructors. Wherever a constructor takes options, a dtype string alone
 * (`zeros([2], 'float32')`, as in NumPy) means `{ dtype }`.
 *
 * @category constructors
 * @since 0.1.0
 */
export interface TensorOptions {
  readonly dtype?: DType;
}

/** Anything `tensor` accepts. */
export type TensorLike = number | NestedArray | ReadonlyArray<unknown> | ArrayLike<number> | Tensor;

/** @internal A constructor's trailing options argument: a dtype string or `{ dtype }`; returns the dtype. */
export function dtypeOption(op: string, options: unknown, fallback: DType = 'float64'): DType {
  return parseDType(op, 'dtype', parseDTypeOrOptions(op, options, []).dtype, fallback);
}

function notNumeric(op: string, path: string, v: unknown, param?: string): never {
  throw new ArgumentError(
    'NOT_NUMERIC',
    op,
    `the element${param === undefined ? '' : ` of ${param}`} at ${path || 'the top level'} is ${describeValue(v)}; ${param === undefined ? 'tensors hold' : `${param} holds`} numbers only: ` +
      (isTensor(v)
        ? 'join tensors with stack or concat'
        : typeof v === 'object' && v !== null
          ? 'pass numbers, nested arrays of numbers or a typed array (another library\'s tensor: its data as an array)'
          : 'convert booleans and strings with Number() first'),
  );
}

/** The shape of a nested array, read along its first elements. An array that contains itself is `CYCLIC_TREE`. */
function inferShape(op: string, value: ReadonlyArray<unknown>): number[] {
  const shape: number[] = [];
  const seen = new Set<unknown>();
  let cur: unknown = value;
  while (Array.isArray(cur)) {
    if (seen.has(cur)) throw new ArgumentError('CYCLIC_TREE', op, `the nested array contains itself at ${'[0]'.repeat(shape.length)}; pass a finite nesting of arrays of numbers`);
    seen.add(cur);
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  checkSize(op, shape);
  return shape;
}

/** `[i][j]...`, the path of row-major element `flat` among the first `dims` dimensions of `shape`. */
function pathOf(shape: ReadonlyArray<number>, dims: number, flat: number): string {
  let path = '';
  for (let d = dims - 1; d >= 0; d--) {
    path = `[${flat % shape[d]!}]${path}`;
    flat = Math.floor(flat / shape[d]!);
  }
  return path;
}

/**
 * Copies a nested array of `shape` into `out`, level by level (no recursion, so nesting depth is not
 * limited by the call stack). A row of the wrong length is `RAGGED_ARRAY`, a non-number `NOT_NUMERIC`.
 */
function flattenInto(op: string, value: unknown, shape: ReadonlyArray<number>, out: FloatArray, param?: string): void {
  let level: unknown[] = [value];
  for (let dim = 0; dim < shape.length; dim++) {
    const next: unknown[] = [];
    const n = shape[dim]!;
    for (let k = 0; k < level.length; k++) {
      const row = level[k];
      if (!Array.isArray(row) || row.length !== n) {
        const got = Array.isArray(row) ? `length ${row.length}` : typeof row === 'number' ? 'a number' : describeValue(row);
        const path = pathOf(shape, dim, k);
        throw new ShapeError(
          'RAGGED_ARRAY',
          op,
          `ragged nested array${param === undefined ? '' : ` ${param}`}: ${path || 'the top level'} has ${got}, expected length ${n} (inferred shape ${formatShape(shape)}); every row must have the same length`,
        );
      }
      for (let i = 0; i < n; i++) next.push(row[i]);
    }
    level = next;
  }
  for (let i = 0; i < level.length; i++) {
    const v = level[i];
    if (typeof v !== 'number') {
      const path = pathOf(shape, shape.length, i);
      if (Array.isArray(v)) throw new ShapeError('RAGGED_ARRAY', op, `ragged nested array${param === undefined ? '' : ` ${param}`}: ${path} is an array but its siblings are numbers; every row must have the same length`);
      notNumeric(op, path, v, param);
    }
    out[i] = v;
  }
}

/**
 * Whether `value` is a typed array or an array-like object (`{ length, 0: ..., 1: ... }`) whose
 * length is a valid dimension; a DataView (bytes, not elements) and a bad length are refused.
 */
function isArrayLike(op: string, value: object): boolean {
  if (value instanceof DataView) invalidArgument(op, 'value', value, 'pass a typed array over its buffer (new Float64Array(view.buffer)) or nested arrays of numbers');
  if (!ArrayBuffer.isView(value) && !('length' in value)) return false;
  parseShape(op, 'value.length', [(value as { readonly length: unknown }).length]);
  return true;
}

/**
 * Makes a tensor from a number, nested arrays, a typed array or another tensor. `shape` reshapes
 * the flat contents (sizes must agree); `dtype` defaults to `float64` (a tensor keeps its own), and
 * may be given alone: `tensor(data, 'float32')`.
 *
 * @example
 * import { tensor } from 'adjoint'
 * const t = tensor(new Float32Array([1, 2, 3, 4]), { shape: [2, 2], dtype: 'float32' })
 * assert.deepEqual(t.shape, [2, 2])
 * assert.equal(t.dtype, 'float32')
 * assert.equal(tensor([1, 2], 'float32').dtype, 'float32')
 *
 * @category constructors
 * @since 0.1.0
 */
export function tensor(value: TensorLike, options?: DType | (TensorOptions & { readonly shape?: ReadonlyArray<number> })): Tensor {
  const op = 'tensor';
  checkArity(op, arguments.length, 2, 'tensor(value, dtype or { dtype, shape }?)');
  const opts = parseDTypeOrOptions(op, options, ['shape']);
  if (isTensor(value)) checkIntact(op, value);
  const dtype = parseDType(op, 'dtype', opts.dtype, isTensor(value) ? value.dtype : 'float64');
  const newShape = opts.shape === undefined ? undefined : parseShape(op, 'shape', opts.shape);
  let shape: Shape;
  let data: FloatArray;
  if (isTensor(value)) {
    if (value.dtype === dtype && newShape === undefined) return value;
    shape = value.shape;
    data = allocate(dtype, value.size);
    data.set(dataOf(value));
  } else if (typeof value === 'number') {
    if (newShape === undefined) return makeScalar(value, dtype);
    shape = SCALAR_SHAPE;
    data = allocate(dtype, 1);
    data[0] = value;
  } else if (Array.isArray(value)) {
    shape = inferShape(op, value);
    data = allocate(dtype, sizeOf(shape));
    flattenInto(op, value, shape, data);
  } else if (typeof value === 'object' && value !== null && isArrayLike(op, value)) {
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
  if (newShape !== undefined) {
    if (sizeOf(newShape) !== data.length) {
      throw new ShapeError(
        'RESHAPE_SIZE_MISMATCH',
        op,
        `cannot give ${data.length} elements (shape ${formatShape(shape)}) the shape ${formatShape(newShape)} of size ${sizeOf(newShape)}; pass matching data or omit shape`,
      );
    }
    shape = newShape;
  }
  return fromData(shape.length === 0 ? SCALAR_SHAPE : Object.freeze([...shape]), dtype, data);
}

/**
 * @internal A tensor from nested arrays of numbers given as an op's argument (`take`'s indices):
 * its errors name `op` and the parameter, not `tensor`.
 */
export function fromNestedArray(op: string, param: string, value: ReadonlyArray<unknown>): Tensor {
  const shape = inferShape(op, value);
  const data = allocate('float64', sizeOf(shape));
  flattenInto(op, value, shape, data, param);
  return fromData(Object.freeze(shape), 'float64', data);
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
export function scalar(value: number, options?: DType | TensorOptions): Tensor {
  checkArity('scalar', arguments.length, 2, 'scalar(value, dtype or { dtype }?)');
  if (typeof value !== 'number') notNumeric('scalar', '', value);
  return makeScalar(value, dtypeOption('scalar', options));
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
export function full(shape: ReadonlyArray<number>, value: number, options?: DType | TensorOptions): Tensor {
  checkArity('full', arguments.length, 3, 'full(shape, value, dtype or { dtype }?)');
  if (typeof value !== 'number') notNumeric('full', '', value);
  return fullFor('full', shape, value, dtypeOption('full', options));
}

function fullFor(op: string, shape: unknown, value: number, dtype: DType): Tensor {
  const dims = parseShape(op, 'shape', shape);
  if (dims.length === 0) return makeScalar(value, dtype);
  const data = allocate(dtype, sizeOf(dims));
  if (value !== 0) data.fill(value);
  return fromData(dims, dtype, data);
}

/**
 * A tensor of zeros.
 *
 * @example
 * import { zeros, toArray } from 'adjoint'
 * assert.deepEqual(toArray(zeros([2, 2])), [[0, 0], [0, 0]])
 * assert.equal(zeros([2], 'float32').dtype, 'float32')
 *
 * @category constructors
 * @since 0.1.0
 */
export function zeros(shape: ReadonlyArray<number>, options?: DType | TensorOptions): Tensor {
  checkArity('zeros', arguments.length, 2, 'zeros(shape, dtype or { dtype }?)');
  return fullFor('zeros', shape, 0, dtypeOption('zeros', options));
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
export function ones(shape: ReadonlyArray<number>, options?: DType | TensorOptions): Tensor {
  checkArity('ones', arguments.length, 2, 'ones(shape, dtype or { dtype }?)');
  return fullFor('ones', shape, 1, dtypeOption('ones', options));
}

/**
 * What a `*Like` constructor copies the shape (and dtype) of: a tensor, a number (0-d), or an
 * abstract value `{ shape, dtype }` (the engine makes zeros of shapes it derived); the shape and dtype
 * of the latter are parsed like any other.
 */
function likeOf(op: string, t: unknown): { readonly shape: unknown; readonly dtype: DType } {
  if (isTensor(t)) return asTensor(op, t);
  if (typeof t === 'number') return { shape: SCALAR_SHAPE, dtype: 'float64' };
  // a plain object only: a forged tensor has shape and dtype getters that cannot be read
  if (isPlainObject(t) && 'shape' in t && 'dtype' in t) {
    return { shape: (t as { shape: unknown }).shape, dtype: parseDType(op, 'dtype', (t as { dtype: unknown }).dtype) };
  }
  return invalidArgument(op, 'the first argument', t, 'pass a tensor (or a number, for a 0-d result)');
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
export function zerosLike(t: Tensor | number, options?: DType | TensorOptions): Tensor {
  checkArity('zerosLike', arguments.length, 2, 'zerosLike(x, dtype or { dtype }?)');
  const like = likeOf('zerosLike', t);
  return fullFor('zerosLike', like.shape, 0, dtypeOption('zerosLike', options, like.dtype));
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
export function onesLike(t: Tensor | number, options?: DType | TensorOptions): Tensor {
  checkArity('onesLike', arguments.length, 2, 'onesLike(x, dtype or { dtype }?)');
  const like = likeOf('onesLike', t);
  return fullFor('onesLike', like.shape, 1, dtypeOption('onesLike', options, like.dtype));
}

/**
 * Splits a constructor's arguments into its numbers and its trailing options: a dtype string or an
 * options object may come right after the last number given (`arange(5, 'float32')`,
 * `eye(3, { dtype: 'float32' })`), and nothing may follow it.
 */
function trailingOptions(op: string, args: ReadonlyArray<unknown>, maxNumbers: number): [ReadonlyArray<unknown>, unknown] {
  let end = args.length;
  while (end > 1 && args[end - 1] === undefined) end--;
  const last = args[end - 1];
  const hasOptions = end > 1 && (typeof last === 'string' || isPlainObject(last));
  const numbers = args.slice(0, hasOptions ? end - 1 : end);
  for (let i = 1; i < numbers.length; i++) {
    const v = numbers[i];
    if (typeof v === 'string' || isPlainObject(v)) invalidArgument(op, `argument ${i + 1}`, v, 'options (a dtype string or { dtype }) go last, after the numbers');
  }
  if (numbers.length > maxNumbers) invalidArgument(op, `argument ${maxNumbers + 1}`, numbers[maxNumbers], 'pass options (a dtype string or { dtype }) there, or nothing');
  return [numbers, hasOptions ? last : undefined];
}

/**
 * Evenly spaced values in `[start, stop)` with `step`, like `numpy.arange`; `arange(n)` is `0..n-1`.
 * Options (or a dtype string) may follow the last number given.
 *
 * @example
 * import { arange, toArray } from 'adjoint'
 * assert.deepEqual(toArray(arange(4)), [0, 1, 2, 3])
 * assert.deepEqual(toArray(arange(1, 2, 0.5)), [1, 1.5])
 * assert.equal(arange(3, 'float32').dtype, 'float32')
 *
 * @category constructors
 * @since 0.1.0
 */
export function arange(stop: number, options?: DType | TensorOptions): Tensor;
export function arange(start: number, stop: number | undefined, options?: DType | TensorOptions): Tensor;
export function arange(start: number, stop: number | undefined, step: number | undefined, options?: DType | TensorOptions): Tensor;
export function arange(...args: unknown[]): Tensor {
  const op = 'arange';
  checkArity(op, args.length, 4, 'arange(start, stop?, step?, dtype or { dtype }?)');
  const [numbers, options] = trailingOptions(op, args, 3);
  const dtype = dtypeOption(op, options);
  // one number is the stop, as in NumPy (also `arange(5, undefined, 2)`)
  const oneEnd = numbers[1] === undefined;
  const from = oneEnd ? 0 : parseNumber(op, 'start', numbers[0]);
  const to = parseNumber(op, 'stop', oneEnd ? numbers[0] : numbers[1]);
  const delta = numbers[2] === undefined ? 1 : parseNumber(op, 'step', numbers[2]);
  if (delta === 0) invalidArgument(op, 'step', delta, 'pass a non-zero step');
  const count = Math.max(0, Math.ceil((to - from) / delta));
  checkSize(op, [count]);
  const data = allocate(dtype, count);
  for (let i = 0; i < count; i++) data[i] = from + i * delta;
  return fromData(Object.freeze([count]), dtype, data);
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
export function linspace(start: number, stop: number, num: number, options?: DType | TensorOptions): Tensor {
  const op = 'linspace';
  checkArity(op, arguments.length, 4, 'linspace(start, stop, num, dtype or { dtype }?)');
  const dtype = dtypeOption(op, options);
  const lo = parseNumber(op, 'start', start);
  const hi = parseNumber(op, 'stop', stop);
  const n = parseInteger(op, 'num', num, { min: 0 });
  checkSize(op, [n]);
  const data = allocate(dtype, n);
  const step = n > 1 ? (hi - lo) / (n - 1) : 0;
  for (let i = 0; i < n; i++) {
    // hi - lo overflows for bounds near the largest double: interpolate then
    data[i] = n > 1 && i === n - 1 ? hi : Number.isFinite(step) ? lo + i * step : lo * (1 - i / (n - 1)) + hi * (i / (n - 1));
  }
  return fromData(Object.freeze([n]), dtype, data);
}

/**
 * The `n x m` identity matrix (`m` defaults to `n`). Options (or a dtype string) may follow the last
 * number given.
 *
 * @example
 * import { eye, toArray } from 'adjoint'
 * assert.deepEqual(toArray(eye(2)), [[1, 0], [0, 1]])
 * assert.equal(eye(2, 'float32').dtype, 'float32')
 *
 * @category constructors
 * @since 0.1.0
 */
export function eye(n: number, options?: DType | TensorOptions): Tensor;
export function eye(n: number, m: number | undefined, options?: DType | TensorOptions): Tensor;
export function eye(...args: unknown[]): Tensor {
  const op = 'eye';
  checkArity(op, args.length, 3, 'eye(n, m?, dtype or { dtype }?)');
  const [numbers, options] = trailingOptions(op, args, 2);
  const dtype = dtypeOption(op, options);
  const rows = parseInteger(op, 'n', numbers[0], { min: 0 });
  const cols = numbers[1] === undefined ? rows : parseInteger(op, 'm', numbers[1], { min: 0 });
  checkSize(op, [rows, cols]);
  const data = allocate(dtype, rows * cols);
  for (let i = 0; i < Math.min(rows, cols); i++) data[i * cols + i] = 1;
  return fromData(Object.freeze([rows, cols]), dtype, data);
}

let lastNumber = 0;
let lastDType: DType = 'float64';
let lastConstant: Tensor = makeScalar(0, 'float64');

/** @internal Converts an op argument to a tensor: numbers become 0-d constants of `dtype`. */
export function asTensor(op: string, x: Tensor | number, dtype: DType = 'float64'): Tensor {
  if (isTensor(x)) {
    // wrappers read the shape to parse axes: it must be the tensor's own
    checkIntact(op, x);
    return x;
  }
  if (typeof x === 'number') {
    // a literal in a loop (`mul(b, 0.1)`) is converted again and again: reuse the last one (tensors
    // are immutable, so sharing is safe). Object.is keeps 0 and -0 apart.
    if (Object.is(x, lastNumber) && dtype === lastDType) return lastConstant;
    lastConstant = makeScalar(x, dtype);
    lastNumber = x;
    lastDType = dtype;
    return lastConstant;
  }
  throw new ArgumentError('NOT_NUMERIC', op, `expected a Tensor or a number, got ${describeValue(x)}; ${Array.isArray(x) ? 'wrap arrays with tensor(...)' : 'pass a tensor or a number'}`);
}

