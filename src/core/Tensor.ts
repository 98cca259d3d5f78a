/**
 * The immutable n-d array every op consumes and produces. A tensor is a shape, a dtype and a private
 * row-major buffer; the buffer is never reachable through the public API, so a tensor cannot change
 * after it is made, and kernels (the only code that sees buffers) write each result into a fresh one.
 *
 * 0-d tensors keep their value in a number field and make a buffer only when a kernel asks for one:
 * scalar programs are common in research code and their speed is decided by per-op overhead.
 *
 * Under a transform, ops receive tracers: tensors with a shape and dtype but no buffer, carrying a
 * tracing state instead. Reading numbers out of one raises `CONCRETIZATION` (see `src/core/Trace.ts`).
 *
 * @since 0.1.0
 */
import { describeValue, setTensorShapeReader } from './args.js';
import { AdjointError, ArgumentError, formatShape, ShapeError } from './errors.js';
import { MAX_ELEMENTS, SCALAR_SHAPE, type Shape, sizeOf } from './shape.js';

/**
 * Element types. `float64` is the default; `float32` halves memory and is what most model code uses.
 * Mixing the two in one op promotes to `float64`.
 *
 * @category model
 * @since 0.1.0
 */
export type DType = 'float64' | 'float32';

/** The buffer types behind the dtypes. */
export type FloatArray = Float64Array | Float32Array;

/** Guards the constructor: only this library's code can wrap a buffer. */
const INTERNAL: unique symbol = Symbol('adjoint.internal');

// The internal accessors below are assigned by the class's static block, the only code that can
// read private fields from outside an instance method. They are the functions themselves, not
// wrappers around them: ops call them on every value, and each wrapper level costs a call.

/**
 * @internal Whether `v` is a tensor this library made: a brand check on its private state, so an
 * `Object.create(Tensor.prototype)` or a `Proxy` of a tensor (which `instanceof` accepts, but whose
 * private state cannot be read) is not one, and is refused as any other non-tensor is. Every place
 * that decides whether an argument is a tensor asks this (or `traceOrNull`), never `instanceof`.
 */
export let isTensor!: (v: unknown) => v is Tensor;

/**
 * @internal The trace of a tracer, undefined for a concrete tensor, and null for anything that is
 * not a tensor (a number, a forged or proxied one): the brand check of the reverse tape's scalar
 * entry, folded into the private read it needs anyway (a separate `#shape in v` costs that hot path
 * a few nanoseconds per operand).
 */
export let traceOrNull!: (v: unknown) => object | undefined | null;

/**
 * @internal The raw buffer of a concrete tensor. Kernels read it and never write it: every consumer
 * of this function treats the array as read-only.
 */
export let dataOf!: (t: Tensor) => FloatArray;

/** @internal The value of a concrete size-1 tensor, without allocating a buffer for 0-d ones. */
export let scalarOf!: (t: Tensor) => number;

/** @internal False for tracers (values under a transform). */
export let isConcrete!: (t: Tensor) => boolean;

/** @internal The trace a tracer belongs to (Trace.ts gives it its type), undefined for a concrete tensor. */
export let traceOfTensor!: (t: Tensor) => object | undefined;

/** @internal A reverse-mode tracer's slot on its tape. */
export let slotOfTensor!: (t: Tensor) => number;

/** @internal A forward-mode tracer's primal and tangents. */
export let auxOfTensor!: (t: Tensor) => object | undefined;

/** @internal The private shape, for messages about a tensor whose public one was tampered with. */
let shapeOfTensor!: (t: Tensor) => Shape;

/** The private dtype (for rendering). */
let dtypeOfTensor!: (t: Tensor) => DType;

/**
 * @internal A concrete 0-d float64 tensor whose public shape, dtype, size and ndim are its own: the
 * values the scalar fast paths take. (They compute from private state, so a redefined getter could
 * not change their result; a tampered tensor is left to the general route, which refuses it.)
 */
export let isScalarF64!: (t: Tensor) => boolean;

/**
 * @internal Whether `t`'s public `shape`, `dtype`, `size` and `ndim` are its private ones. Making every
 * tensor non-extensible would cost a runtime call per tensor (several times the price of a scalar op),
 * so the engine instead checks, where a tensor enters it (`checkIntact`), that nothing shadows them
 * (`Object.defineProperty(t, 'shape', ...)`): rules and kernels read the public getters.
 */
export let isIntact!: (t: Tensor) => boolean;

/**
 * An immutable, row-major n-d array of `float64` or `float32`.
 *
 * Make one with `tensor`, `scalar`, `zeros`, ...; read it with `toArray` or `item`.
 *
 * @example
 * import { tensor, add, toArray } from 'adjoint'
 * const t = tensor([[1, 2], [3, 4]])
 * assert.deepEqual(t.shape, [2, 2])
 * assert.deepEqual(toArray(add(t, 1)), [[2, 3], [4, 5]])
 *
 * @category model
 * @since 0.1.0
 */
export class Tensor {
  readonly #shape: Shape;
  readonly #dtype: DType;
  readonly #size: number;
  #data: FloatArray | undefined;
  readonly #scalar: number;
  /** For a tracer: the trace it belongs to (see Trace.ts); undefined for concrete tensors. */
  readonly #trace: object | undefined;
  /** For a forward-mode tracer: its primal and tangents. */
  readonly #aux: object | undefined;

  /** @internal Tensors are made by the library's constructors and ops, never with `new`. */
  constructor(token: typeof INTERNAL, shape: Shape, dtype: DType, size: number, data: FloatArray | undefined, scalar: number, trace: object | undefined, aux: object | undefined) {
    // the error is built elsewhere: a tracer is made per recorded op, and a small constructor inlines
    if (token !== INTERNAL) throw refusedConstruction();
    this.#shape = shape;
    this.#dtype = dtype;
    this.#size = size;
    this.#data = data;
    this.#scalar = scalar;
    this.#trace = trace;
    this.#aux = aux;
  }

  /** Dimensions, outermost first (frozen). */
  get shape(): Shape {
    return this.#shape;
  }
  /** Element type. */
  get dtype(): DType {
    return this.#dtype;
  }
  /** Number of elements. */
  get size(): number {
    return this.#size;
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this.#shape.length;
  }

  /** NumPy-like rendering with shape and dtype; long dimensions are elided. */
  toString(): string {
    return isTensor(this) ? formatTensor(this) : NOT_A_TENSOR_TEXT;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return isTensor(this) ? formatTensor(this) : NOT_A_TENSOR_TEXT;
  }

  /**
   * JavaScript cannot overload operators: `x * y`, `x > 0` or `Math.max(x, 0)` would silently compute
   * with NaN (and under `grad`, give a zero gradient). So a tensor refuses to become a number and
   * throws `TENSOR_COERCION` naming the ops to use; string conversion (`String(t)`, template
   * literals) still renders it.
   */
  [Symbol.toPrimitive](hint: string): string {
    if (hint === 'string') return isTensor(this) ? formatTensor(this) : NOT_A_TENSOR_TEXT;
    throw coercionError(this, hint);
  }

  /** Refused, as for `Symbol.toPrimitive`: read a number with `item(t)`. */
  valueOf(): never {
    throw coercionError(this, 'number');
  }

  static {
    isTensor = (v: unknown): v is Tensor => typeof v === 'object' && v !== null && #shape in v;
    traceOrNull = (v) => {
      try {
        return (v as Tensor).#trace;
      } catch {
        return null;
      }
    };
    dataOf = (t) => {
      if (t.#data !== undefined) return t.#data;
      if (t.#trace !== undefined) throw concretizationError(t);
      const buf = t.#dtype === 'float64' ? new Float64Array(1) : new Float32Array(1);
      buf[0] = t.#scalar;
      t.#data = buf;
      return buf;
    };
    scalarOf = (t) => {
      if (t.#trace !== undefined) throw concretizationError(t);
      return t.#shape.length === 0 ? t.#scalar : t.#data![0]!;
    };
    isConcrete = (t) => t.#trace === undefined;
    traceOfTensor = (t) => t.#trace;
    // a tracer has no value, so the scalar field holds its slot on a reverse tape
    slotOfTensor = (t) => t.#scalar;
    auxOfTensor = (t) => t.#aux;
    shapeOfTensor = (t) => t.#shape;
    dtypeOfTensor = (t) => t.#dtype;
    isScalarF64 = (t) =>
      t.#shape.length === 0 && t.#dtype === 'float64' && t.#trace === undefined && t.shape === t.#shape && t.dtype === 'float64' && t.size === 1 && t.ndim === 0;
    isIntact = (t) => t.shape === t.#shape && t.dtype === t.#dtype && t.size === t.#size && t.ndim === t.#shape.length;
  }
}

// The class and its prototype are frozen, so no getter or method can be redefined under the engine.
Object.freeze(Tensor.prototype);
Object.freeze(Tensor);

// messages describe a tensor by its own shape (and a forged one as not a tensor)
setTensorShapeReader((v) => (isTensor(v) ? shapeOfTensor(v) : undefined));

/** @internal Throws unless `t`'s public shape, dtype, size and ndim are its own (see `isIntact`). */
export function checkIntact(op: string, t: Tensor): void {
  if (!isIntact(t)) throw tamperedError(op, t);
}

function tamperedError(op: string, t: Tensor): ArgumentError {
  return new ArgumentError(
    'INVALID_ARGUMENT',
    op,
    `a tensor whose shape, dtype, size or ndim was redefined (with Object.defineProperty or a new prototype) was passed; tensors are immutable: make a new one with reshape or astype (its real shape is ${formatShape(shapeOfTensor(t))})`,
  );
}

function coercionError(t: Tensor, hint: string): ArgumentError {
  return new ArgumentError(
    'TENSOR_COERCION',
    'Tensor',
    `a tensor${isTensor(t) ? ` of shape ${formatShape(shapeOfTensor(t))}` : ''} was used as a ${hint === 'number' ? 'number' : 'primitive value'} (a JavaScript operator such as x * y, x + 1, x > 0, x == y, or Math.max(x, 0)); ` +
      'JavaScript cannot overload operators, so this would compute with NaN: use the ops instead (add, sub, mul, div, neg, pow; greater, less, equal with where for x > 0 ? a : b; maximum, minimum for Math.max, Math.min), ' +
      'item(x) to read a number, or String(x) for text',
  );
}

/** @internal Wraps a buffer the caller just filled and will never touch again. */
export function fromData(shape: Shape, dtype: DType, data: FloatArray): Tensor {
  return new Tensor(INTERNAL, shape, dtype, shape.length === 0 ? 1 : sizeOf(shape), data, shape.length === 0 ? data[0]! : 0, undefined, undefined);
}

/** @internal A 0-d tensor; no buffer until a kernel needs one. */
export function makeScalar(value: number, dtype: DType): Tensor {
  return new Tensor(INTERNAL, SCALAR_SHAPE, dtype, 1, undefined, dtype === 'float32' ? Math.fround(value) : value, undefined, undefined);
}

/**
 * @internal A tracer: a tensor with a shape and dtype but no numbers, carrying its trace, its slot
 * (reverse mode) or `aux` (forward mode: primal and tangents). Tracers are plain `Tensor` instances,
 * not a subclass with a state object: one is made per op, and constructing a subclass of a class
 * with private fields is several times slower in V8.
 */
export function makeTracer(shape: Shape, dtype: DType, trace: object, slot: number, aux: object | undefined): Tensor {
  return new Tensor(INTERNAL, shape, dtype, shape.length === 0 ? 1 : sizeOf(shape), undefined, slot, trace, aux);
}

/** @internal A 0-d float64 reverse-mode tracer: the one made per op on the scalar path. */
export function makeScalarTracer(trace: object, slot: number): Tensor {
  return new Tensor(INTERNAL, SCALAR_SHAPE, 'float64', 1, undefined, slot, trace, undefined);
}

function refusedConstruction(): ArgumentError {
  return new ArgumentError('INVALID_ARGUMENT', 'Tensor', 'use tensor(), zeros() or another constructor instead of new Tensor()');
}

/**
 * @internal A fresh buffer of the dtype. Sizes come from shapes that passed the boundary's parsers,
 * but a product of valid shapes (broadcasting `[n, 1]` with `[1, n]`, padding) can still be too large
 * to hold, or the memory can run out: both are `ALLOCATION_TOO_LARGE`, never a bare RangeError.
 */
export function allocate(dtype: DType, size: number): FloatArray {
  if (size > MAX_ELEMENTS) throw tooLarge(size);
  try {
    return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
  } catch (e) {
    if (e instanceof RangeError) throw tooLarge(size);
    throw e;
  }
}

function tooLarge(size: number): ShapeError {
  return new ShapeError('ALLOCATION_TOO_LARGE', 'allocate', `cannot allocate a buffer of ${size} elements (at most ${MAX_ELEMENTS}, and as many as memory allows); use smaller shapes`);
}

/**
 * The error for reading numbers out of a tracer. The trace machinery replaces it so the error names
 * the transform, and reports a tracer whose transform has returned as a leak.
 */
let tracerReadError: (t: Tensor) => AdjointError = (t) =>
  new AdjointError('CONCRETIZATION', 'read', `cannot read the numbers of a traced value of shape ${formatShape(t.shape)}`);

/** @internal Installed by `Trace.ts`. */
export function setTracerReadError(f: (t: Tensor) => AdjointError): void {
  tracerReadError = f;
}

function concretizationError(t: Tensor): AdjointError {
  return tracerReadError(t);
}

/** @internal Throws unless `t` is a Tensor (a clear error instead of a private-field TypeError). */
export function checkTensor(op: string, t: unknown): asserts t is Tensor {
  if (!isTensor(t)) {
    throw new ArgumentError('INVALID_ARGUMENT', op, `expected a Tensor, got ${describeValue(t)}; wrap values with tensor(...)`);
  }
  checkIntact(op, t);
}

/**
 * The contents as nested arrays (a plain number for a 0-d tensor). The result is a fresh copy.
 *
 * @example
 * import { tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(tensor([[1, 2], [3, 4]])), [[1, 2], [3, 4]])
 * assert.equal(toArray(tensor(5)), 5)
 *
 * @category read-out
 * @since 0.1.0
 */
export function toArray(t: Tensor): NestedArray {
  checkTensor('toArray', t);
  if (t.ndim === 0) return scalarOf(t);
  // built bottom-up, one dimension at a time (no recursion: the rank is not limited by the call stack)
  const shape = t.shape;
  let level: NestedArray[] = Array.from(dataOf(t));
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    let groups = 1;
    for (let e = 0; e < d; e++) groups *= shape[e]!;
    const next = new Array<NestedArray>(groups);
    for (let g = 0; g < groups; g++) next[g] = level.slice(g * n, (g + 1) * n);
    level = next;
  }
  return level[0]!;
}

/**
 * A number or arbitrarily nested arrays of numbers.
 *
 * @category model
 * @since 0.1.0
 */
export type NestedArray = number | NestedArray[];

/**
 * The single element of a size-1 tensor, as a number. Throws `NOT_SIZE_ONE` otherwise.
 *
 * @example
 * import { sum, tensor, item } from 'adjoint'
 * assert.equal(item(sum(tensor([1, 2, 3]))), 6)
 *
 * @category read-out
 * @since 0.1.0
 */
export function item(t: Tensor): number {
  checkTensor('item', t);
  if (t.size !== 1) {
    throw new AdjointError(
      'NOT_SIZE_ONE',
      'item',
      `item needs a tensor with exactly one element, got shape ${formatShape(t.shape)} (${t.size} elements); ` +
        'reduce it first (sum, mean) or use toArray',
    );
  }
  return scalarOf(t);
}

/**
 * A copy of the contents as a flat row-major typed array of the tensor's dtype.
 *
 * @example
 * import { tensor, toTypedArray } from 'adjoint'
 * assert.deepEqual(Array.from(toTypedArray(tensor([[1, 2], [3, 4]]))), [1, 2, 3, 4])
 *
 * @category read-out
 * @since 0.1.0
 */
export function toTypedArray(t: Tensor): FloatArray {
  checkTensor('toTypedArray', t);
  return dataOf(t).slice();
}

const EDGE = 3;
const ELIDE_ABOVE = 1000;

function formatNumber(v: number, dtype: DType): string {
  if (Number.isInteger(v)) return String(v);
  if (!Number.isFinite(v)) return String(v);
  const s = v.toPrecision(dtype === 'float32' ? 6 : 8);
  return String(Number(s));
}

/** What a tensor method prints when called on an object that is not a tensor (`Object.create(Tensor.prototype)`, a `Proxy`). */
const NOT_A_TENSOR_TEXT = "Tensor(not adjoint's: made with Object.create or a Proxy, it has no contents)";

/**
 * The rendering of `toString` and `inspect`, from the tensor's private state (a redefined public
 * `shape` or `dtype` cannot make it print what the tensor does not hold).
 */
function formatTensor(t: Tensor): string {
  const shape = shapeOfTensor(t);
  const dtype = dtypeOfTensor(t);
  const suffix = `shape=${formatShape(shape)}, dtype=${dtype}`;
  if (!isConcrete(t)) return `Tracer(${suffix})`;
  if (shape.length === 0) return `tensor(${formatNumber(scalarOf(t), dtype)}, ${suffix})`;
  const data = dataOf(t);
  const elide = data.length > ELIDE_ABOVE;
  const strides: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const indent = '       ';
  const ndim = shape.length;
  const kept = (n: number): Array<number | null> => {
    if (!(elide && n > 2 * EDGE)) return Array.from({ length: n }, (_, i) => i);
    return [...Array.from({ length: EDGE }, (_, i) => i), null, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)];
  };
  // depth-first with an explicit stack (no recursion: the rank is not limited by the call stack)
  interface Frame {
    readonly dim: number;
    readonly offset: number;
    readonly idx: Array<number | null>;
    k: number;
    readonly parts: string[];
  }
  const frame = (dim: number, offset: number): Frame => ({ dim, offset, idx: kept(shape[dim]!), k: 0, parts: [] });
  const stack: Frame[] = [frame(0, 0)];
  let rendered = '';
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    let done: string | undefined;
    if (f.dim === ndim - 1) {
      done = `[${f.idx.map((i) => (i === null ? '...' : formatNumber(data[f.offset + i]!, dtype))).join(', ')}]`;
    } else if (f.k === f.idx.length) {
      done = `[${f.parts.join(`,${'\n'.repeat(ndim - 1 - f.dim)}${indent}${' '.repeat(f.dim + 1)}`)}]`;
    } else {
      const i = f.idx[f.k++]!;
      if (i === null) f.parts.push('...');
      else stack.push(frame(f.dim + 1, f.offset + i * strides[f.dim]!));
      continue;
    }
    stack.pop();
    if (stack.length === 0) rendered = done;
    else stack[stack.length - 1]!.parts.push(done);
  }
  return `tensor(${rendered}, ${suffix})`;
}
