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
import { ArgumentError } from './errors.js';

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
      return isAsyncFunction(v) ? (v.constructor.name === 'AsyncFunction' ? 'an async function' : 'an async generator function') : 'a function';
  }
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  const name = (v as object).constructor?.name;
  if (name !== undefined && name !== 'Object') return `a ${name}`;
  const keys = Object.keys(v as object);
  return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}`;
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

/** One of the listed string values. */
export function parseEnum<T extends string>(op: string, param: string, v: unknown, values: ReadonlyArray<T>): T {
  if (typeof v !== 'string' || !(values as ReadonlyArray<string>).includes(v)) invalidArgument(op, param, v, `pass one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
  return v as T;
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
  return v as F;
}
