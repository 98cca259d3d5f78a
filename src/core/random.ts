/**
 * Pure, reproducible random numbers. A `Key` is a plain frozen value of two uint32 words; every sampler
 * is a function of a key and a shape, so there is no hidden global generator to seed, advance or reset,
 * and calling a sampler twice with one key gives the same numbers twice. To get fresh numbers, derive new
 * keys with `split` (or `foldIn` an integer such as a step count) and use each key once. This is what
 * lets the `Random` effect replay exactly the same samples under `checkpoint` recomputation.
 *
 * The generator is counter-based: element `i` of a draw is the Threefry-2x32 block cipher (20 rounds,
 * Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011) applied to the counter `i`
 * under the key. Only 32-bit integer adds, rotates and xors are involved (exact in JavaScript through
 * `| 0` and `>>> 0`), so the bits, and therefore `uniform`, are identical on every platform. Keys,
 * `split` and `foldIn` follow JAX's `jax.random` (`threefry2x32`, `jax_threefry_partitionable`, the
 * default since JAX 0.5): `split(key(0))` here is `jax.random.split(jax.random.key(0))` there.
 *
 * @since 0.1.0
 */
import { checkArity, describeValue, invalidArgument, parseDType, parseDTypeOrOptions, parseInteger, parseNumber, parseShape } from './args.js';
import { ArgumentError, ShapeError } from './errors.js';
import { sizeOf } from './shape.js';
import { allocate, type DType, type FloatArray, fromData, type Tensor } from './Tensor.js';

/**
 * A random key: an opaque, frozen value of two uint32 words. Make one with `key(seed)`, derive more
 * with `split` or `foldIn`, and pass each key to one sampler.
 *
 * @example
 * import { random } from 'adjoint'
 * const k = random.key(7)
 * assert.equal(k._tag, 'Key')
 * assert(Object.isFrozen(k))
 *
 * @category random
 * @since 0.1.0
 */
export interface Key {
  readonly _tag: 'Key';
  readonly words: readonly [number, number];
}

// ---------------------------------------------------------------------------------------------------
// Threefry-2x32, 20 rounds
// ---------------------------------------------------------------------------------------------------

/** Threefish's key-schedule parity constant for 32-bit words. */
const PARITY = 0x1bd11bda;
/** Rotation distances of Threefry-2x32: rounds 1-4 and 5-8, repeated. */
const ROTATIONS: readonly number[] = [13, 15, 26, 6, 17, 29, 16, 24];

/** Output of the last `threefryInto` call; written and read synchronously, never escapes. */
let out0 = 0;
let out1 = 0;

/**
 * One Threefry-2x32-20 block: encrypts the counter `(c0, c1)` under the key `(k0, k1)` into
 * `out0, out1`. Words are held as int32 inside (`| 0` wraps additions mod 2^32) and returned as uint32.
 */
function threefryInto(k0: number, k1: number, c0: number, c1: number): void {
  const k2 = k0 ^ k1 ^ PARITY;
  let x0 = (c0 + k0) | 0;
  let x1 = (c1 + k1) | 0;
  // Five groups of four rounds; after group s the key is injected again, rotated by s, plus s.
  for (let s = 1; s <= 5; s++) {
    const base = (s & 1) === 1 ? 0 : 4;
    for (let r = 0; r < 4; r++) {
      const d = ROTATIONS[base + r]!;
      x0 = (x0 + x1) | 0;
      x1 = ((x1 << d) | (x1 >>> (32 - d))) ^ x0;
    }
    const i = s % 3;
    const j = (s + 1) % 3;
    x0 = (x0 + (i === 0 ? k0 : i === 1 ? k1 : k2)) | 0;
    x1 = (x1 + (j === 0 ? k0 : j === 1 ? k1 : k2) + s) | 0;
  }
  out0 = x0 >>> 0;
  out1 = x1 >>> 0;
}

/** Encrypts the counter `index` (a non-negative integer below 2^53, split into hi/lo words). */
function blockAt(k0: number, k1: number, index: number): void {
  threefryInto(k0, k1, Math.floor(index / TWO_32), index % TWO_32);
}

const TWO_32 = 4294967296;
const TWO_20 = 1048576;
const TWO_21 = 2097152;
const TWO_53 = 9007199254740992;

/**
 * The raw Threefry-2x32 block cipher with 20 rounds: encrypts a counter of two uint32 words under a
 * key of two uint32 words. Every sampler is built on it; it is exported for known-answer tests and for
 * code that needs the bits themselves.
 *
 * `threefry2x32 : ([k0, k1], [c0, c1]) -> [y0, y1]`
 *
 * @example
 * import { random } from 'adjoint'
 * // Random123 known-answer vector: key (0, 0), counter (0, 0)
 * assert.deepEqual(random.threefry2x32([0, 0], [0, 0]), [0x6b200159, 0x99ba4efe])
 *
 * @category random
 * @since 0.1.0
 */
export function threefry2x32(key: readonly [number, number], counter: readonly [number, number]): readonly [number, number] {
  const op = 'random.threefry2x32';
  checkArity(op, arguments.length, 2, 'random.threefry2x32([k0, k1], [c0, c1])');
  const [k0, k1] = checkWordPair(op, 'key', key);
  const [c0, c1] = checkWordPair(op, 'counter', counter);
  threefryInto(k0, k1, c0, c1);
  return Object.freeze([out0, out1] as const);
}

// ---------------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------------

function makeKey(w0: number, w1: number): Key {
  return Object.freeze({ _tag: 'Key' as const, words: Object.freeze([w0, w1] as const) });
}

const isUint32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < TWO_32;

function isKey(x: unknown): x is Key {
  if (typeof x !== 'object' || x === null) return false;
  const k = x as { readonly _tag?: unknown; readonly words?: unknown };
  return k._tag === 'Key' && Array.isArray(k.words) && k.words.length === 2 && isUint32(k.words[0]) && isUint32(k.words[1]);
}

function checkKey(op: string, x: unknown): Key {
  if (!isKey(x)) {
    throw new ArgumentError(
      'INVALID_ARGUMENT',
      op,
      `expected a key from random.key(seed), got ${describeValue(x)}; ` +
        'make one with random.key(seed) and derive fresh ones with random.split(key) or random.foldIn(key, i)',
    );
  }
  return x;
}

function checkWordPair(op: string, name: string, x: unknown): readonly [number, number] {
  if (!Array.isArray(x) || x.length !== 2 || !isUint32(x[0]) || !isUint32(x[1])) {
    throw new ArgumentError('INVALID_ARGUMENT', op, `${name} must be a pair of uint32 integers [hi, lo], got ${describeValue(x)}`);
  }
  return [x[0], x[1]];
}

/**
 * Splits an integer in [-2^63, 2^64) into 64-bit two's-complement words [hi, lo], like JAX's
 * `threefry_seed`: `0 -> [0, 0]`, `42 -> [0, 42]`, `2^32 + 5 -> [1, 5]`, `-1 -> [2^32 - 1, 2^32 - 1]`.
 */
function integerWords(op: string, name: string, value: unknown): readonly [number, number] {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ArgumentError(
      'INVALID_ARGUMENT',
      op,
      `${name} must be an integer, got ${describeValue(value)}; pass an integer such as 0 or 42 ` +
        '(to seed from a string or a float, hash it to an integer first)',
    );
  }
  if (value < -(2 ** 63) || value >= 2 ** 64) {
    throw new ArgumentError('INVALID_ARGUMENT', op, `${name} ${value} does not fit in 64 bits; use an integer in [-2^63, 2^64)`);
  }
  // Division by 2^32 and the subtraction are exact for every integer-valued double in range.
  const hi = Math.floor(value / TWO_32);
  const lo = value - hi * TWO_32;
  return [hi >>> 0, lo];
}

/**
 * Makes a key from an integer seed. Seeds are split into two 32-bit words like JAX's `PRNGKey`, so
 * seeds up to 2^64 (and negative seeds, in two's complement) give distinct keys.
 *
 * @example
 * import { random, toArray } from 'adjoint'
 * assert.deepEqual(random.key(42).words, [0, 42])
 * assert.deepEqual(toArray(random.uniform(random.key(1), [3])), toArray(random.uniform(random.key(1), [3])))
 *
 * @category random
 * @since 0.1.0
 */
export function key(seed: number): Key {
  checkArity('random.key', arguments.length, 1, 'random.key(seed)');
  const [hi, lo] = integerWords('random.key', 'seed', seed);
  return makeKey(hi, lo);
}

/** The most keys one `split` makes: each is a frozen object, and `foldIn` derives keys on demand instead. */
const MAX_SPLIT = 2 ** 20;

/**
 * `n` keys as a tuple when `n` is a small literal (`split(key)` is `readonly [Key, Key]`), so
 * `const [a, b] = random.split(key)` needs no `!`; an array for any other `number`.
 *
 * @category random
 * @since 0.1.0
 */
export type Keys<N extends number> = number extends N ? ReadonlyArray<Key> : `${N}` extends `${Digit}` | `${Digit}${Digit}` ? KeyTuple<N> : ReadonlyArray<Key>;
type Digit = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
type KeyTuple<N extends number, Acc extends ReadonlyArray<Key> = readonly []> = Acc['length'] extends N ? Acc : KeyTuple<N, readonly [...Acc, Key]>;

/**
 * Derives `n` new keys (default 2) from a key. The result is deterministic and each new key starts an
 * independent stream; use one of them for the next draw and keep another to split again. The old key
 * should not be used again. Key `i` is `threefry2x32(key, [0, i])`, which is JAX's split. For a literal
 * `n` below 100 the result is a tuple of that length.
 *
 * @example
 * import { random, toArray } from 'adjoint'
 * const [a, b] = random.split(random.key(0))
 * assert.notDeepEqual(toArray(random.normal(a, [2])), toArray(random.normal(b, [2])))
 * assert.deepEqual(random.split(random.key(0)), random.split(random.key(0)))
 * assert.equal(random.split(random.key(0), 3).length, 3)
 *
 * @category random
 * @since 0.1.0
 */
export function split<const N extends number = 2>(key: Key, n?: N): Keys<N> {
  const op = 'random.split';
  checkArity(op, arguments.length, 2, 'random.split(key, n?)');
  const [k0, k1] = checkKey(op, key).words;
  const count = n === undefined ? 2 : parseInteger(op, 'n', n, { min: 0 });
  if (count > MAX_SPLIT) {
    throw new ShapeError('ALLOCATION_TOO_LARGE', op, `n is ${count}, more than the ${MAX_SPLIT} keys one split makes; derive keys on demand with random.foldIn(key, i)`);
  }
  const keys = new Array<Key>(count);
  for (let i = 0; i < count; i++) {
    blockAt(k0, k1, i);
    keys[i] = makeKey(out0, out1);
  }
  return Object.freeze(keys) as unknown as Keys<N>;
}

/**
 * Derives a new key from a key and an integer (a step, a layer index, an effect's sequence number), so
 * code can name its streams without threading `split` results around. Different integers give
 * unrelated keys. `foldIn(key, i)` equals `split(key, n)[i]` (as in JAX), so fold a key that is not
 * also split.
 *
 * @example
 * import { random, toArray } from 'adjoint'
 * const k = random.key(0)
 * assert.notDeepEqual(random.foldIn(k, 1).words, random.foldIn(k, 2).words)
 * assert.deepEqual(toArray(random.uniform(random.foldIn(k, 3), [2])), toArray(random.uniform(random.foldIn(k, 3), [2])))
 *
 * @category random
 * @since 0.1.0
 */
export function foldIn(key: Key, data: number): Key {
  const op = 'random.foldIn';
  checkArity(op, arguments.length, 2, 'random.foldIn(key, data)');
  const [k0, k1] = checkKey(op, key).words;
  const [hi, lo] = integerWords(op, 'data', data);
  threefryInto(k0, k1, hi, lo);
  return makeKey(out0, out1);
}

// ---------------------------------------------------------------------------------------------------
// Samplers
// ---------------------------------------------------------------------------------------------------

/**
 * Options of `uniform`.
 *
 * @category random
 * @since 0.1.0
 */
export interface UniformOptions {
  readonly dtype?: DType;
  /** Inclusive lower bound (default 0). */
  readonly minval?: number;
  /** Exclusive upper bound (default 1). */
  readonly maxval?: number;
}

/**
 * Options of `normal`.
 *
 * @category random
 * @since 0.1.0
 */
export interface NormalOptions {
  readonly dtype?: DType;
  /** Mean (default 0). */
  readonly mean?: number;
  /** Standard deviation, non-negative (default 1). */
  readonly std?: number;
}

/** A sampler's options: a dtype string (`random.normal(k, [2], 'float32')`, as in JAX) or an object with `keys`. */
function samplerOptions<K extends string>(op: string, options: unknown, keys: ReadonlyArray<K>): { readonly dtype: DType } & { readonly [P in K]?: unknown } {
  const o = parseDTypeOrOptions(op, options, keys);
  return { ...o, dtype: parseDType(op, 'dtype', o.dtype, 'float64') } as { readonly dtype: DType } & { readonly [P in K]?: unknown };
}

/** Scratch for stepping to the next float below a bound; DataView fixes the byte order. */
const scratch = new DataView(new ArrayBuffer(8));

/** The largest float64 below `x` (finite `x`). */
function nextDown64(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  scratch.setFloat64(0, x);
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  if (x > 0) {
    // Decrement the bit pattern, borrowing from the high word.
    scratch.setUint32(4, (lo - 1) >>> 0);
    if (lo === 0) scratch.setUint32(0, hi - 1);
  } else {
    scratch.setUint32(4, (lo + 1) >>> 0);
    if (lo === 0xffffffff) scratch.setUint32(0, hi + 1);
  }
  return scratch.getFloat64(0);
}

/** The largest float32 below `x` (a finite float32 value). */
function nextDown32(x: number): number {
  if (x === 0) return -(2 ** -149);
  scratch.setFloat32(0, x);
  const bits = scratch.getUint32(0);
  scratch.setUint32(0, x > 0 ? bits - 1 : bits + 1);
  return scratch.getFloat32(0);
}

/**
 * Samples uniformly from `[minval, maxval)` (default `[0, 1)`). A float64 draw uses the top 53 bits of
 * the element's 64-bit block, so every multiple of 2^-53 in [0, 1) is equally likely; a float32 draw
 * uses the top 24 bits of the same block (the float64 draw rounded down to the float32 grid). The
 * upper bound is never returned, even when scaling rounds up to it.
 *
 * @example
 * import { random, toArray } from 'adjoint'
 * const xs = toArray(random.uniform(random.key(0), [1000], { minval: -2, maxval: 3 })) as number[]
 * assert(xs.every((x) => x >= -2 && x < 3))
 *
 * @category random
 * @since 0.1.0
 */
export function uniform(key: Key, shape: ReadonlyArray<number>, options?: DType | UniformOptions): Tensor {
  const op = 'random.uniform';
  checkArity(op, arguments.length, 3, "random.uniform(key, shape, dtype or { dtype, minval, maxval }?)");
  const [k0, k1] = checkKey(op, key).words;
  const dims = parseShape(op, 'shape', shape);
  const { dtype, minval, maxval } = samplerOptions(op, options, ['minval', 'maxval']);
  let lo = minval === undefined ? 0 : parseNumber(op, 'minval', minval);
  let hi = maxval === undefined ? 1 : parseNumber(op, 'maxval', maxval);
  if (dtype === 'float32') {
    lo = Math.fround(lo);
    hi = Math.fround(hi);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      throw new ArgumentError('INVALID_ARGUMENT', op, `minval ${lo} and maxval ${hi} must be finite as float32; use dtype 'float64'`);
    }
  }
  if (!(lo < hi)) {
    throw new ArgumentError(
      'INVALID_ARGUMENT',
      op,
      `minval ${String(minval ?? 0)} must be less than maxval ${String(maxval ?? 1)}` +
        (dtype === 'float32' ? ' after rounding to float32' : '') +
        '; the interval [minval, maxval) must not be empty',
    );
  }
  const n = sizeOf(dims);
  const data = allocate(dtype, n);
  const unit = lo === 0 && hi === 1;
  const span = hi - lo;
  const below = dtype === 'float64' ? nextDown64(hi) : nextDown32(hi);
  for (let i = 0; i < n; i++) {
    blockAt(k0, k1, i);
    const u = dtype === 'float64' ? (out0 * TWO_21 + (out1 >>> 11)) / TWO_53 : (out0 >>> 8) / 16777216;
    if (unit) {
      data[i] = u;
      continue;
    }
    // lo(1 - u) + hi u when the span overflows; 1 - u is exact on the 2^-53 grid.
    let v = Number.isFinite(span) ? lo + span * u : lo * (1 - u) + hi * u;
    if (dtype === 'float32') v = Math.fround(v);
    data[i] = v >= hi ? below : v < lo ? lo : v;
  }
  return fromData(dims, dtype, data);
}

/**
 * Samples from the normal distribution with `mean` and `std` (default 0 and 1), by inverting the
 * normal CDF (Wichura's AS241, accurate to about 1e-16) at one uniform per element. The uniform is the
 * midpoint of a cell of a 2^-52 grid (top 52 bits of the element's block), so it is never 0 or 1 and
 * the result is always finite (|z| < 8.3). A float32 draw is the float64 draw rounded to float32.
 *
 * The central 85% of draws use only `+ - * /`, so they are identical everywhere; the tails also use
 * `Math.log` and `Math.sqrt`.
 *
 * @example
 * import { random, toArray } from 'adjoint'
 * const k = random.key(0)
 * assert.deepEqual(toArray(random.normal(k, [3])), toArray(random.normal(k, [3])))
 * const xs = toArray(random.normal(k, [2000], { mean: 10, std: 0.5 })) as number[]
 * assert(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 10) < 0.1)
 *
 * @category random
 * @since 0.1.0
 */
export function normal(key: Key, shape: ReadonlyArray<number>, options?: DType | NormalOptions): Tensor {
  const op = 'random.normal';
  checkArity(op, arguments.length, 3, 'random.normal(key, shape, dtype or { dtype, mean, std }?)');
  const [k0, k1] = checkKey(op, key).words;
  const dims = parseShape(op, 'shape', shape);
  const o = samplerOptions(op, options, ['mean', 'std']);
  const dtype = o.dtype;
  const mean = o.mean === undefined ? 0 : parseNumber(op, 'mean', o.mean);
  const std = o.std === undefined ? 1 : parseNumber(op, 'std', o.std);
  if (std < 0) invalidArgument(op, 'std', std, 'pass a non-negative standard deviation');
  // every draw is mean + std·z with |z| < MAX_Z: refuse parameters for which that can overflow
  const bound = Math.abs(mean) + std * MAX_Z;
  if (!(bound <= (dtype === 'float32' ? MAX_FLOAT32 : Number.MAX_VALUE))) {
    throw new ArgumentError(
      'INVALID_ARGUMENT',
      op,
      `mean ${mean} and std ${std} give samples beyond the largest ${dtype} (|mean| + ${MAX_Z}·std = ${bound}), which would be Infinity; scale the samples after drawing, or pass smaller values`,
    );
  }
  const n = sizeOf(dims);
  const data: FloatArray = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    blockAt(k0, k1, i);
    const k = out0 * TWO_20 + (out1 >>> 12);
    data[i] = mean + std * normalQuantile((2 * k + 1) / TWO_53);
  }
  return fromData(dims, dtype, data);
}

/**
 * Samples 0/1 values (float64) that are 1 with probability `p`: `uniform(key, shape) < p`.
 *
 * @example
 * import { random, toArray } from 'adjoint'
 * const xs = toArray(random.bernoulli(random.key(0), 0.3, [1000])) as number[]
 * assert(xs.every((x) => x === 0 || x === 1))
 * assert(Math.abs(xs.reduce((a, b) => a + b, 0) / 1000 - 0.3) < 0.06)
 *
 * @category random
 * @since 0.1.0
 */
export function bernoulli(key: Key, p: number, shape: ReadonlyArray<number>): Tensor {
  const op = 'random.bernoulli';
  checkArity(op, arguments.length, 3, 'random.bernoulli(key, p, shape)');
  const [k0, k1] = checkKey(op, key).words;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) invalidArgument(op, 'p', p, 'pass a probability in [0, 1]');
  const dims = parseShape(op, 'shape', shape);
  const n = sizeOf(dims);
  const data = allocate('float64', n);
  for (let i = 0; i < n; i++) {
    blockAt(k0, k1, i);
    data[i] = (out0 * TWO_21 + (out1 >>> 11)) / TWO_53 < p ? 1 : 0;
  }
  return fromData(dims, 'float64', data);
}

/** A bound on |z| for every normal draw: the quantile of the extreme grid points is below 8.3. */
const MAX_Z = 8.3;
/** The largest finite float32. */
const MAX_FLOAT32 = 3.4028234663852886e38;

/**
 * The standard normal quantile Φ⁻¹(p) for 0 < p < 1: Wichura, "Algorithm AS241: The percentage points
 * of the normal distribution", Applied Statistics 37(3), 1988 (PPND16, relative error about 1e-16).
 * Coefficients are listed highest degree first; `horner` evaluates them in the published order.
 */
function normalQuantile(p: number): number {
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (horner(CENTRAL_NUM, r) * q) / horner(CENTRAL_DEN, r);
  }
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  const x = r <= 5 ? horner(TAIL_NUM, r - 1.6) / horner(TAIL_DEN, r - 1.6) : horner(FAR_NUM, r - 5) / horner(FAR_DEN, r - 5);
  return q < 0 ? -x : x;
}

function horner(c: readonly number[], r: number): number {
  let v = c[0]!;
  for (let i = 1; i < c.length; i++) v = v * r + c[i]!;
  return v;
}

/** AS241 for |p - 0.5| <= 0.425, in r = 0.180625 - (p - 0.5)². */
const CENTRAL_NUM: readonly number[] = [
  2.5090809287301226727e+3, 3.3430575583588128105e+4, 6.7265770927008700853e+4, 4.5921953931549871457e+4,
  1.3731693765509461125e+4, 1.9715909503065514427e+3, 1.3314166789178437745e+2, 3.3871328727963666080e+0,
];
const CENTRAL_DEN: readonly number[] = [
  5.2264952788528545610e+3, 2.8729085735721942674e+4, 3.9307895800092710610e+4, 2.1213794301586595867e+4,
  5.3941960214247511077e+3, 6.8718700749205790830e+2, 4.2313330701600911252e+1, 1,
];
/** AS241 tails with sqrt(-log(min(p, 1 - p))) <= 5, in r - 1.6. */
const TAIL_NUM: readonly number[] = [
  7.74545014278341407640e-4, 2.27238449892691845833e-2, 2.41780725177450611770e-1, 1.27045825245236838258e+0,
  3.64784832476320460504e+0, 5.76949722146069140550e+0, 4.63033784615654529590e+0, 1.42343711074968357734e+0,
];
const TAIL_DEN: readonly number[] = [
  1.05075007164441684324e-9, 5.47593808499534494600e-4, 1.51986665636164571966e-2, 1.48103976427480074590e-1,
  6.89767334985100004550e-1, 1.67638483018380384940e+0, 2.05319162663775882187e+0, 1,
];
/** AS241 far tails (min(p, 1 - p) < e^-25), in r - 5. */
const FAR_NUM: readonly number[] = [
  2.01033439929228813265e-7, 2.71155556874348757815e-5, 1.24266094738807843860e-3, 2.65321895265761230930e-2,
  2.96560571828504891230e-1, 1.78482653991729133580e+0, 5.46378491116411436990e+0, 6.65790464350110377720e+0,
];
const FAR_DEN: readonly number[] = [
  2.04426310338993978564e-15, 1.42151175831644588870e-7, 1.84631831751005468180e-5, 7.86869131145613259100e-4,
  1.48753612908506148525e-2, 1.36929880922735805310e-1, 5.99832206555887937690e-1, 1,
];
