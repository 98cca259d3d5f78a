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
import { AdjointError, ArgumentError, formatShape } from './errors.js';
import { SCALAR_SHAPE, type Shape, sizeOf } from './shape.js';

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
    return formatTensor(this);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatTensor(this);
  }

  static {
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
  }
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

/** @internal A fresh buffer of the dtype. */
export function allocate(dtype: DType, size: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
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
  if (!(t instanceof Tensor)) {
    throw new ArgumentError('INVALID_ARGUMENT', op, `expected a Tensor, got ${Array.isArray(t) ? 'an array' : t === null ? 'null' : typeof t}; wrap values with tensor(...)`);
  }
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
  const data = dataOf(t);
  const shape = t.shape;
  const build = (dim: number, offset: number, stride: number): NestedArray => {
    const n = shape[dim]!;
    const inner = stride / (n === 0 ? 1 : n);
    const out: NestedArray[] = new Array(n);
    if (dim === shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = data[offset + i]!;
    } else {
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * inner, inner);
    }
    return out;
  };
  return build(0, 0, sizeOf(shape));
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

function formatTensor(t: Tensor): string {
  const suffix = `shape=${formatShape(t.shape)}, dtype=${t.dtype}`;
  if (!isConcrete(t)) return `Tracer(${suffix})`;
  if (t.ndim === 0) return `tensor(${formatNumber(scalarOf(t), t.dtype)}, ${suffix})`;
  const data = dataOf(t);
  const shape = t.shape;
  const elide = t.size > ELIDE_ABOVE;
  const strides: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const indent = '       ';
  const render = (dim: number, offset: number): string => {
    const n = shape[dim]!;
    const idx: Array<number | null> = [];
    if (elide && n > 2 * EDGE) {
      for (let i = 0; i < EDGE; i++) idx.push(i);
      idx.push(null);
      for (let i = n - EDGE; i < n; i++) idx.push(i);
    } else for (let i = 0; i < n; i++) idx.push(i);
    if (dim === shape.length - 1) {
      return `[${idx.map((i) => (i === null ? '...' : formatNumber(data[offset + i]!, t.dtype))).join(', ')}]`;
    }
    const sep = `,${'\n'.repeat(shape.length - 1 - dim)}${indent}${' '.repeat(dim + 1)}`;
    return `[${idx.map((i) => (i === null ? '...' : render(dim + 1, offset + i * strides[dim]!))).join(sep)}]`;
  };
  return `tensor(${render(0, 0)}, ${suffix})`;
}
