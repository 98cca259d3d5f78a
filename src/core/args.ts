/**
 * The boundary's parsers: every public function turns its raw arguments into checked values here,
 * once, and then calls code that trusts them (kernels, rules and the tape never re-check). TypeScript
 * types help callers, but JavaScript callers, `any` and configs loaded from JSON reach the library
 * unchecked, so each parser accepts `unknown` and throws a typed error whose message names the
 * function, the parameter, what it got, and what to pass instead. One parser per kind of argument,
 * used everywhere, so a bad axis or a bad option reads the same in every function.
 *
 * @since 0.1.0
 */
import { ArgumentError, AxisError, formatShape, ShapeError } from './errors.js';
import { MAX_ELEMENTS, SCALAR_SHAPE, type Shape } from './shape.js';
import type { DType } from './Tensor.js';

/** A real tensor's (private) shape, undefined for anything else; installed by `Tensor.ts`. */
let tensorShape: (v: object) => Shape | undefined = () => undefined;

/** @internal Installed by `Tensor.ts`, which imports this module (so this one cannot import it). */
export function setTensorShapeReader(f: (v: object) => Shape | undefined): void {
  tensorShape = f;
}

/** How a value is shown in an error message: its kind and, when short, the value itself. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return Number.isNaN(v) ? 'NaN' : `the number ${String(v)}`;
    case 'string':
      return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'boolean':
      return `the boolean ${String(v)}`;
    case 'bigint':
      return `the bigint ${String(v)}n`;
    case 'symbol':
      return `a symbol`;
    case 'function':
      if (isClass(v)) return `the class ${v.name || '(anonymous)'}`;
      return isAsyncFunction(v) ? (v.constructor.name === 'AsyncFunction' ? 'an async function' : 'an async generator function') : 'a function';
  }
  if (Array.isArray(v)) return v.length <= 6 && v.every((e) => typeof e === 'number') ? `the array [${v.join(', ')}]` : `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  const shape = tensorShape(v as object);
  if (shape !== undefined) return `a Tensor of shape ${formatShape(shape)}`;
  // (a getter on a proxy, or a constructor property, may throw: the message must still be built)
  const name = safely(() => (v as object).constructor?.name);
  // not one of this library's tensors: another library's, or a prototype or proxy posing as one
  if (name === 'Tensor') return "a Tensor that is not adjoint's (another library's, or made with Object.create or a Proxy: only adjoint's constructors make tensors)";
  if (typeof name === 'string' && name !== '' && name !== 'Object') return `a ${name}`;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return 'an object that is not a plain object (its prototype is neither Object.prototype nor null)';
  const keys = Object.keys(v as object);
  return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}`;
}

function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** A plain object: `{ ... }` or `Object.create(null)`, not an array, tensor, map or class instance. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Throws `INVALID_ARGUMENT` for parameter `param` of `op`: it got `got`, and needs `want`. */
export function invalidArgument(op: string, param: string, got: unknown, want: string): never {
  throw new ArgumentError('INVALID_ARGUMENT', op, `${param} is ${describeValue(got)}; ${want}`);
}

/**
 * An options object with only the `known` keys: `undefined` becomes `{}`; anything that is not a
 * plain object is `INVALID_ARGUMENT`, and an unknown key (a typo such as `{ axes: 1 }`) is
 * `UNKNOWN_OPTION`, naming the keys that exist. Values are returned unparsed, for the caller's parsers.
 */
export function parseOptions<K extends string>(op: string, param: string, options: unknown, known: ReadonlyArray<K>): { readonly [P in K]?: unknown } {
  if (options === undefined) return {};
  if (!isPlainObject(options)) invalidArgument(op, param, options, `pass an options object with keys ${known.join(', ')} (or omit it)`);
  for (const key of Object.keys(options)) {
    if (!(known as ReadonlyArray<string>).includes(key)) {
      const hint = closest(key, known);
      throw new ArgumentError(
        'UNKNOWN_OPTION',
        op,
        `${param} has an unknown key ${JSON.stringify(key)}${hint === undefined ? '' : ` (did you mean ${JSON.stringify(hint)}?)`}; the known keys are ${known.join(', ')}`,
      );
    }
  }
  return options as { readonly [P in K]?: unknown };
}

/** ` (did you mean 'x'?)` for a string within two edits of one of `known`, else nothing. */
function suggestion(v: unknown, known: ReadonlyArray<string>): string {
  const hint = typeof v === 'string' ? closest(v, known) : undefined;
  return hint === undefined ? '' : ` (did you mean '${hint}'?)`;
}

/** The known key nearest to a typo, if any is within two edits. */
function closest(key: string, known: ReadonlyArray<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** Bounds of `parseInteger`, both inclusive. */
export interface IntegerRange {
  readonly min?: number;
  readonly max?: number;
}

/** A safe integer within `range`; anything else (a string, NaN, 1.5, out of range) is `INVALID_ARGUMENT`. */
export function parseInteger(op: string, param: string, v: unknown, range: IntegerRange = {}): number {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    const bounds = min === Number.MIN_SAFE_INTEGER ? (max === Number.MAX_SAFE_INTEGER ? '' : ` at most ${max}`) : max === Number.MAX_SAFE_INTEGER ? ` of at least ${min}` : ` in [${min}, ${max}]`;
    invalidArgument(op, param, v, `pass an integer${bounds}`);
  }
  return v;
}

/** A number; `finite` (default true) also refuses NaN and ±Infinity. */
export function parseNumber(op: string, param: string, v: unknown, finite = true): number {
  if (typeof v !== 'number' || (finite && !Number.isFinite(v))) invalidArgument(op, param, v, `pass a ${finite ? 'finite ' : ''}number`);
  return v;
}

/** A boolean; `undefined` gives `fallback` when one is given. */
export function parseBoolean(op: string, param: string, v: unknown, fallback?: boolean): boolean {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'boolean') invalidArgument(op, param, v, 'pass true or false');
  return v;
}

/** A string. */
export function parseString(op: string, param: string, v: unknown): string {
  if (typeof v !== 'string') invalidArgument(op, param, v, 'pass a string');
  return v;
}

/**
 * One of the listed string values. A string that is not one is named with the nearest value (a
 * typo: `'matmul'` for `'matmuls'`); `orElse` says what else the parameter accepts, after the
 * values (`'or a function (name) => boolean'`), for a caller that handles the other kinds itself.
 */
export function parseEnum<T extends string>(op: string, param: string, v: unknown, values: ReadonlyArray<T>, orElse?: string): T {
  if (typeof v !== 'string' || !(values as ReadonlyArray<string>).includes(v)) {
    const quoted = values.map((x) => `'${x}'`);
    const listed = orElse !== undefined || quoted.length === 1 ? quoted.join(', ') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
    invalidArgument(op, param, v, `pass ${listed}${orElse === undefined ? '' : ` ${orElse}`}${suggestion(v, values)}`);
  }
  return v as T;
}

/**
 * True for classes, which cannot be called without `new`. Cheap for everything else, since
 * combinators check their callbacks on every call: a class's `prototype` is read-only, a plain
 * function's is writable and an arrow has none, so only read-only ones have their source read.
 */
export function isClass(v: Function): boolean {
  if (!('prototype' in v) || Object.getOwnPropertyDescriptor(v, 'prototype')?.writable !== false) return false;
  // built-in constructors (String, Date) also have one, and most of them can be called: ask the source
  return /^class\b/.test(Function.prototype.toString.call(v));
}

/** True for `async function`s and `async function*`s (whose calls return promises or async iterators). */
export function isAsyncFunction(v: unknown): boolean {
  if (typeof v !== 'function') return false;
  const c: unknown = v.constructor;
  // the common case first: a plain function or arrow of this realm (checked on every combinator call)
  if (c === Function) return false;
  const name = (c as { name?: unknown } | undefined)?.name;
  return name === 'AsyncFunction' || name === 'AsyncGeneratorFunction';
}

/**
 * A synchronous function (the thing a transform or combinator is applied to). An async function is
 * `ASYNC_FUNCTION`: its result would be a promise, which no transform or program step can use (a
 * program's asynchronous steps are `IO.promise` thunks, the one place that takes an async function).
 */
export function parseFunction<F extends (...args: never[]) => unknown>(op: string, param: string, v: unknown): F {
  if (typeof v !== 'function') invalidArgument(op, param, v, 'pass a function');
  if (isAsyncFunction(v)) {
    throw new ArgumentError(
      'ASYNC_FUNCTION',
      op,
      `${param} is ${describeValue(v)}; ${op} needs a synchronous function (async functions return promises, which it cannot use): ` +
        'load data before the call, or inside a Program with IO.promise and runPromise',
    );
  }
  // a class is a function that cannot be called: refuse it here, not with a TypeError from deep inside
  if (isClass(v)) invalidArgument(op, param, v, 'pass a function (this is a class, which cannot be called without new)');
  return v as F;
}

/**
 * Throws `INVALID_ARGUMENT` when a function is called with more arguments than it takes: a trailing
 * argument it would ignore (`transpose(x, 1, 0)`, `expandDims(x, 0, 1)`) is a misunderstanding that
 * would otherwise give a silently wrong result. `usage` is the signature, for the message.
 */
export function checkArity(op: string, got: number, max: number, usage: string): void {
  if (got > max) throw new ArgumentError('INVALID_ARGUMENT', op, `got ${got} arguments but takes at most ${max}: ${usage}`);
}

// ---- dtypes ------------------------------------------------------------------------------------------

const DTYPES: ReadonlyArray<DType> = ['float64', 'float32'];

/** A dtype; `undefined` gives `fallback` when one is given (else it is refused). */
export function parseDType(op: string, param: string, v: unknown, fallback?: DType): DType {
  if (v === undefined && fallback !== undefined) return fallback;
  if (v !== 'float64' && v !== 'float32') {
    throw new ArgumentError('INVALID_DTYPE', op, `${param} is ${describeValue(v)}; pass 'float64' or 'float32'${suggestion(v, DTYPES)}`);
  }
  return v;
}

/**
 * The trailing "options" argument of a constructor: a dtype string (`zeros([2], 'float32')`, as in
 * NumPy) or an options object with the `known` keys. Returns the options, with the dtype in `dtype`.
 */
export function parseDTypeOrOptions<K extends string>(op: string, v: unknown, known: ReadonlyArray<K>): { readonly [P in K | 'dtype']?: unknown } {
  if (typeof v === 'string') return { dtype: parseDType(op, 'dtype', v) } as { readonly [P in K | 'dtype']?: unknown };
  return parseOptions(op, 'options', v, [...known, 'dtype']);
}

// ---- shapes ------------------------------------------------------------------------------------------

/**
 * A shape: an array of non-negative safe integers whose element count a buffer can hold. Returns a
 * frozen copy (the caller's array may change later). `INVALID_ARGUMENT` for a non-array,
 * `INVALID_DIMENSION` for a bad entry, `ALLOCATION_TOO_LARGE` for too many elements.
 */
export function parseShape(op: string, param: string, v: unknown): Shape {
  if (!Array.isArray(v)) invalidArgument(op, param, v, `pass an array of dimensions such as [2, 3]${typeof v === 'number' ? ` ([${v}] for one dimension)` : ''}, or [] for a scalar`);
  if (v.length === 0) return SCALAR_SHAPE;
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = parseDimension(op, param, v, i);
  checkSize(op, out);
  return Object.freeze(out);
}

/** Entry `i` of a shape-like array: a non-negative safe integer, else `INVALID_DIMENSION`. */
export function parseDimension(op: string, param: string, list: ReadonlyArray<unknown>, i: number): number {
  const d = list[i];
  if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
    throw new ShapeError(
      'INVALID_DIMENSION',
      op,
      `${param} [${Array.from(list, String).join(', ')}]: dimension ${i} is ${describeValue(d)}; every dimension must be a non-negative integer`,
    );
  }
  return d;
}

/** Throws `ALLOCATION_TOO_LARGE` when a shape has more elements than one buffer can hold. */
export function checkSize(op: string, shape: ReadonlyArray<number>): void {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  if (n > MAX_ELEMENTS) throw allocationTooLarge(op, shape, n);
}

/** The error for a shape whose element count no buffer can hold. */
function allocationTooLarge(op: string, shape: ReadonlyArray<number> | undefined, n: number): ShapeError {
  return new ShapeError(
    'ALLOCATION_TOO_LARGE',
    op,
    `${shape === undefined ? 'a result' : `shape ${formatShape(shape)}`} has ${n} elements, more than the ${MAX_ELEMENTS} a buffer can hold; use smaller dimensions`,
  );
}

// ---- axes --------------------------------------------------------------------------------------------

/**
 * What an axis indexes, for messages: a tensor's shape, or a description such as `a result of rank 3`
 * (expandDims and stack index the result).
 */
export type AxisContext = Shape | string;

function axisRange(ndim: number, context: AxisContext): { where: string; want: string } {
  const where = typeof context === 'string' ? context : `a tensor of shape ${formatShape(context)} (rank ${ndim})`;
  return { where, want: ndim === 0 ? 'a 0-d tensor has no axes' : `an axis is an integer in [${-ndim}, ${ndim - 1}] (negative axes count from the end)` };
}

/**
 * One axis of a tensor of rank `ndim`, as NumPy writes it: an integer in `[-ndim, ndim)`, negative
 * ones counting from the end. Returns it in `[0, ndim)`. Anything but an integer is
 * `INVALID_ARGUMENT`; an integer out of range is `AXIS_OUT_OF_RANGE`.
 */
export function parseAxis(op: string, param: string, v: unknown, ndim: number, context: AxisContext): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= -ndim && v < ndim) return v < 0 ? v + ndim : v;
  const { where, want } = axisRange(ndim, context);
  if (typeof v === 'number' && Number.isInteger(v)) {
    throw new AxisError('AXIS_OUT_OF_RANGE', op, `axis ${v}${param === 'axis' ? '' : ` (${param})`} is out of range for ${where}; ${want}`);
  }
  throw new ArgumentError('INVALID_ARGUMENT', op, `${param} is ${describeValue(v)}, not an integer, for ${where}; ${want}`);
}

/**
 * An axis or an array of distinct axes, as the reductions take them: returned sorted and in
 * `[0, ndim)`. `undefined` means every axis when `all` is true (reductions), and is refused otherwise.
 * A repeated axis (also `[1, -1]` on a matrix) is `AXIS_OUT_OF_RANGE`.
 */
export function parseAxes(op: string, param: string, v: unknown, ndim: number, context: AxisContext, all = true): ReadonlyArray<number> {
  if (v === undefined && all) return allAxes(ndim);
  if (!Array.isArray(v)) {
    if (typeof v === 'number' || v === undefined) return Object.freeze([parseAxis(op, param, v, ndim, context)]);
    const { where, want } = axisRange(ndim, context);
    throw new ArgumentError('INVALID_ARGUMENT', op, `${param} is ${describeValue(v)}, not an axis or an array of axes, for ${where}${all ? ' (omit it for every axis)' : ''}; ${want}`);
  }
  return Object.freeze([...parseAxisList(op, param, v, ndim, context)].sort((p, q) => p - q));
}

/**
 * An array of distinct axes in the order given (`norm`'s `[row, column]`, where order matters), each
 * in `[0, ndim)`. A repeated axis (also `[1, -1]` on a matrix) is `AXIS_OUT_OF_RANGE`.
 */
export function parseAxisList(op: string, param: string, v: ReadonlyArray<unknown>, ndim: number, context: AxisContext): ReadonlyArray<number> {
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) {
    const a = parseAxis(op, `${param}[${i}]`, v[i], ndim, context);
    if (out.includes(a)) throw new AxisError('AXIS_OUT_OF_RANGE', op, `axis ${a} is repeated in ${param === 'axis' ? '' : `${param} `}[${v.join(', ')}]; list each axis once`);
    out[i] = a;
  }
  return Object.freeze(out);
}

const ALL_AXES: Array<ReadonlyArray<number>> = [];
function allAxes(ndim: number): ReadonlyArray<number> {
  return (ALL_AXES[ndim] ??= Object.freeze(Array.from({ length: ndim }, (_, i) => i)));
}

/** An object meant as options: anything but an array (of axes) or a tensor (an axis given as one is refused by the axis parser). */
const isOptionsLike = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && tensorShape(v) === undefined;

/**
 * The axis argument of an op, in either form NumPy, JAX and tfjs users write: positional,
 * `op(x, axis, rest)`, where `rest` is the positional value of `restKey` (`keepdims` for the
 * reductions) or an options object with the `keys`; or one options object, `op(x, { axis, ...keys })`.
 * Returns the raw values for the caller's parsers. An options object with an unknown key is
 * `UNKNOWN_OPTION`; anything after a leading options object is `INVALID_ARGUMENT`.
 */
export function parseAxisArguments<K extends string>(
  op: string,
  axisOrOptions: unknown,
  rest: unknown,
  keys: ReadonlyArray<K>,
  restKey?: K,
): { readonly axis?: unknown } & { readonly [P in K]?: unknown } {
  if (isOptionsLike(axisOrOptions)) {
    // (parseOptions refuses an object that is not plain, such as Object.create({ axis: 1 }))
    const options = parseOptions(op, 'options', axisOrOptions, ['axis', ...keys]);
    if (rest !== undefined) invalidArgument(op, 'the argument after the options object', rest, 'put every option in the one options object');
    return options;
  }
  if (rest === undefined) return { axis: axisOrOptions } as { readonly axis?: unknown };
  if (isOptionsLike(rest)) {
    if (keys.length === 0) invalidArgument(op, 'the argument after the axis', rest, 'omit it');
    return { ...parseOptions(op, 'options', rest, keys), axis: axisOrOptions };
  }
  if (restKey === undefined) invalidArgument(op, 'the argument after the axis', rest, 'omit it');
  return { axis: axisOrOptions, [restKey]: rest } as { readonly axis?: unknown } & { readonly [P in K]?: unknown };
}
