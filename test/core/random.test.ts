import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArgumentError, ShapeError } from '../../src/core/errors.js';
import { bernoulli, foldIn, type Key, key, normal, split, threefry2x32, uniform } from '../../src/core/random.js';
import { dataOf, type Tensor, toArray } from '../../src/core/Tensor.js';
import { thrown } from '../reference.js';
import { expectTyped } from '../typed.js';

const values = (t: Tensor): number[] => Array.from(dataOf(t));

function moments(xs: ArrayLike<number>): { mean: number; variance: number } {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  const mean = sum / xs.length;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i]! - mean) ** 2;
  return { mean, variance: ss / (xs.length - 1) };
}

/** Asserts that `f` throws an instance of `cls` with `code`, and that the message contains `text`. */
function expectError(f: () => unknown, cls: typeof ArgumentError, code: string, text?: string): void {
  const caught = thrown(() => f());
  expect(caught).toBeInstanceOf(cls);
  expect((caught as ArgumentError).code).toBe(code);
  if (text !== undefined) expect((caught as Error).message).toContain(text);
}

describe('threefry2x32', () => {
  it('matches the Random123 known-answer vectors for Threefry-2x32 with 20 rounds', () => {
    // random123/tests/kat_vectors, "threefry2x32 20": counter words, key words, expected output.
    expect(threefry2x32([0, 0], [0, 0])).toEqual([0x6b200159, 0x99ba4efe]);
    expect(threefry2x32([0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])).toEqual([0x1cb996fc, 0xbb002be7]);
    expect(threefry2x32([0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3])).toEqual([0xc4923a9c, 0x483df7a0]);
  });

  it('reproduces the blocks behind the pre-0.5 JAX split of key(0)', () => {
    // jax.random.split(PRNGKey(0)) was [[4146024105, 967050713], [2718843009, 1272950319]]: the halves
    // of the blocks at counters (0, 2) and (1, 3).
    expect(threefry2x32([0, 0], [0, 2])).toEqual([4146024105, 2718843009]);
    expect(threefry2x32([0, 0], [1, 3])).toEqual([967050713, 1272950319]);
  });

  it('returns a frozen pair and rejects words that are not uint32', () => {
    expect(Object.isFrozen(threefry2x32([1, 2], [3, 4]))).toBe(true);
    expectError(() => threefry2x32([0, -1], [0, 0]), ArgumentError, 'INVALID_ARGUMENT', 'random.threefry2x32: key');
    expectError(() => threefry2x32([0, 0], [0, 2 ** 32]), ArgumentError, 'INVALID_ARGUMENT', 'counter');
    expectError(() => threefry2x32([0, 0], [0.5, 0] as unknown as [number, number]), ArgumentError, 'INVALID_ARGUMENT');
  });
});

describe('key', () => {
  it('splits the seed into [hi, lo] words like JAX PRNGKey', () => {
    expect(key(0).words).toEqual([0, 0]);
    expect(key(42).words).toEqual([0, 42]);
    expect(key(2 ** 32 - 1).words).toEqual([0, 2 ** 32 - 1]);
    expect(key(2 ** 32 + 5).words).toEqual([1, 5]);
    expect(key(2 ** 64 - 2048).words).toEqual([2 ** 32 - 1, 2 ** 32 - 2048]);
    expect(key(-1).words).toEqual([2 ** 32 - 1, 2 ** 32 - 1]);
    expect(key(-(2 ** 32)).words).toEqual([2 ** 32 - 1, 0]);
    expect(key(-(2 ** 63)).words).toEqual([2 ** 31, 0]);
  });

  it('is a frozen value', () => {
    const k = key(7);
    expect(k._tag).toBe('Key');
    expect(Object.isFrozen(k)).toBe(true);
    expect(Object.isFrozen(k.words)).toBe(true);
    expect(key(7)).toEqual(k);
  });

  it('rejects seeds that are not 64-bit integers', () => {
    for (const seed of [1.5, Number.NaN, Number.POSITIVE_INFINITY, -Number.POSITIVE_INFINITY, '0', undefined, 2 ** 64, -(2 ** 63) - 4096]) {
      expectError(() => key(seed as number), ArgumentError, 'INVALID_ARGUMENT', 'random.key: seed');
    }
  });
});

describe('split and foldIn', () => {
  it('match jax.random.split and jax.random.fold_in on key(0)', () => {
    // jax.random.key_data(jax.random.split(jax.random.key(0), 8)) with jax_threefry_partitionable=True
    // (the default since JAX 0.5); entries 0, 2 and 4 are also the blocks above and JAX's fold_in test.
    expect(split(key(0), 8).map((k) => k.words)).toEqual([
      [1797259609, 2579123966],
      [928981903, 3453687069],
      [4146024105, 2718843009],
      [2467461003, 3840466878],
      [2285895361, 433833334],
      [1524306142, 1887795613],
      [3792494674, 2909014575],
      [2716826189, 292468403],
    ]);
    // jax.random.fold_in(PRNGKey(0), 4) in JAX's own test suite.
    expect(foldIn(key(0), 4).words).toEqual([2285895361, 433833334]);
  });

  it('is deterministic, frozen, and gives distinct keys', () => {
    const k = key(123);
    const keys = split(k, 5);
    expect(keys).toHaveLength(5);
    expect(Object.isFrozen(keys)).toBe(true);
    for (const sub of keys) expect(Object.isFrozen(sub)).toBe(true);
    expect(split(k, 5)).toEqual(keys);
    expect(split(k)).toEqual(keys.slice(0, 2));
    const distinct = new Set([k, ...keys].map((s) => s.words.join(',')));
    expect(distinct.size).toBe(6);
    expect(split(k, 0)).toEqual([]);
  });

  it('gives different streams for split keys', () => {
    const [a, b] = split(key(0));
    const xa = values(normal(a, [64]));
    const xb = values(normal(b, [64]));
    expect(xa).not.toEqual(xb);
    expect(xa.filter((x, i) => x === xb[i])).toEqual([]);
    expect(values(uniform(a, [64]))).not.toEqual(values(uniform(key(0), [64])));
  });

  it('foldIn is deterministic and differs with the data', () => {
    const k = key(9);
    expect(foldIn(k, 3)).toEqual(foldIn(k, 3));
    const folded = [0, 1, 2, 3, 2 ** 32, -1, 2 ** 40 + 7].map((d) => foldIn(k, d).words.join(','));
    expect(new Set(folded).size).toBe(folded.length);
    expect(foldIn(k, 0)).not.toEqual(k);
    expect(values(uniform(foldIn(k, 1), [8]))).not.toEqual(values(uniform(foldIn(k, 2), [8])));
  });

  it('rejects bad counts and data', () => {
    for (const n of [-1, 1.5, Number.NaN, '2']) {
      expectError(() => split(key(0), n as number), ArgumentError, 'INVALID_ARGUMENT', 'random.split: n');
    }
    expectError(() => foldIn(key(0), 0.5), ArgumentError, 'INVALID_ARGUMENT', 'random.foldIn: data');
    expectError(() => foldIn(key(0), 2 ** 64), ArgumentError, 'INVALID_ARGUMENT', 'random.foldIn');
  });
});

describe('uniform', () => {
  it('gives identical values for the same key, in both dtypes', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const a = uniform(key(5), [3, 4], { dtype });
      const b = uniform(key(5), [3, 4], { dtype });
      expect(a).not.toBe(b);
      expect(a.dtype).toBe(dtype);
      expect(a.shape).toEqual([3, 4]);
      expect(toArray(a)).toEqual(toArray(b));
      expect(dataOf(a)).toBeInstanceOf(dtype === 'float64' ? Float64Array : Float32Array);
    }
  });

  it('pins the first float64 values for key(0)', () => {
    // Top 53 bits of the blocks at counters (0, 0), (0, 1), ... (this implementation's own output).
    expect(values(uniform(key(0), [4]))).toEqual([0.41845711171638655, 0.21629545460551136, 0.9653214611189975, 0.5745005337275048]);
  });

  it('depends on the element index only, not on the shape', () => {
    const k = key(11);
    expect(values(uniform(k, [2, 3]))).toEqual(values(uniform(k, [6])));
    expect(values(uniform(k, [10])).slice(0, 4)).toEqual(values(uniform(k, [4])));
    expect(toArray(uniform(k, []))).toBe(values(uniform(k, [1]))[0]);
  });

  it('float32 is the float64 draw rounded down to 24 bits', () => {
    const k = key(13);
    const f64 = values(uniform(k, [1000]));
    const f32 = values(uniform(k, [1000], { dtype: 'float32' }));
    expect(f32).toEqual(f64.map((u) => Math.floor(u * 2 ** 24) / 2 ** 24));
  });

  it('lies in [0, 1) with mean 1/2 and variance 1/12', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const xs = dataOf(uniform(key(2024), [100000], { dtype }));
      let lo = Infinity;
      let hi = -Infinity;
      for (const x of xs) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThan(1);
      const { mean, variance } = moments(xs);
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
      expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
    }
  });

  it('respects minval and maxval', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const xs = values(uniform(key(1), [20000], { dtype, minval: -3, maxval: 5 }));
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(-3);
      expect(Math.max(...xs)).toBeLessThan(5);
      expect(Math.abs(moments(xs).mean - 1)).toBeLessThan(0.1);
    }
    const negative = values(uniform(key(1), [1000], { minval: -1, maxval: 0 }));
    expect(negative.every((x) => x >= -1 && x < 0)).toBe(true);
    const wide = values(uniform(key(1), [1000], { minval: -1e308, maxval: 1e308 }));
    expect(wide.every((x) => Number.isFinite(x) && x >= -1e308 && x < 1e308)).toBe(true);
  });

  it('never returns maxval when scaling rounds up to it', () => {
    // Near 2^52 (float64) and 2^24 (float32) the spacing equals the span, so lo + span * u rounds to
    // maxval for about half of the draws; those are stepped down below maxval.
    const f64 = values(uniform(key(3), [1000], { minval: 2 ** 52, maxval: 2 ** 52 + 1 }));
    expect(f64.every((x) => x === 2 ** 52)).toBe(true);
    const f32 = values(uniform(key(3), [1000], { dtype: 'float32', minval: 2 ** 24, maxval: 2 ** 24 + 2 }));
    expect(f32.every((x) => x === 2 ** 24)).toBe(true);
  });

  it('rejects bad bounds', () => {
    expectError(() => uniform(key(0), [2], { minval: 1, maxval: 1 }), ArgumentError, 'INVALID_ARGUMENT', 'random.uniform: minval');
    expectError(() => uniform(key(0), [2], { minval: 2, maxval: 1 }), ArgumentError, 'INVALID_ARGUMENT');
    expectError(() => uniform(key(0), [2], { maxval: Number.POSITIVE_INFINITY }), ArgumentError, 'INVALID_ARGUMENT', 'maxval');
    expectError(() => uniform(key(0), [2], { minval: Number.NaN }), ArgumentError, 'INVALID_ARGUMENT', 'minval');
    expectError(() => uniform(key(0), [2], { dtype: 'float32', minval: 1, maxval: 1 + 2 ** -40 }), ArgumentError, 'INVALID_ARGUMENT', 'float32');
    expectError(() => uniform(key(0), [2], { dtype: 'float32', maxval: 1e300 }), ArgumentError, 'INVALID_ARGUMENT', 'float32');
  });
});

describe('normal', () => {
  it('pins normal(key(0), [4]) (float64)', () => {
    // This implementation's own output (Threefry-2x32 blocks at counters (0, i), AS241 quantile); the
    // quantiles agree bit for bit with CPython's pure-Python AS241 (statistics._normal_dist_inv_cdf).
    expect(values(normal(key(0), [4]))).toEqual([-0.2058421394796433, -0.784765776446741, 1.8160866726679847, 0.18784401289378885]);
  });

  it('gives identical values for the same key, in both dtypes', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const a = normal(key(8), [2, 5], { dtype, mean: 1, std: 2 });
      const b = normal(key(8), [2, 5], { dtype, mean: 1, std: 2 });
      expect(a.dtype).toBe(dtype);
      expect(a.shape).toEqual([2, 5]);
      expect(toArray(a)).toEqual(toArray(b));
    }
  });

  it('float32 is the float64 draw rounded to float32', () => {
    const f64 = values(normal(key(4), [500], { mean: 0.5, std: 3 }));
    const f32 = values(normal(key(4), [500], { mean: 0.5, std: 3, dtype: 'float32' }));
    expect(f32).toEqual(f64.map(Math.fround));
  });

  it('has mean 0 and variance 1 over 100000 draws', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const xs = dataOf(normal(key(0), [100000], { dtype }));
      const { mean, variance } = moments(xs);
      expect(Math.abs(mean)).toBeLessThan(0.02);
      expect(Math.abs(variance - 1)).toBeLessThan(0.02);
      expect(xs.every(Number.isFinite)).toBe(true);
      // About 4.55% of draws fall outside ±2σ.
      const outside = xs.filter((x) => Math.abs(x) > 2).length / xs.length;
      expect(Math.abs(outside - 0.0455)).toBeLessThan(0.003);
    }
  });

  it('applies mean and std', () => {
    const xs = dataOf(normal(key(6), [50000], { mean: -4, std: 0.25 }));
    const { mean, variance } = moments(xs);
    expect(Math.abs(mean + 4)).toBeLessThan(0.01);
    expect(Math.abs(Math.sqrt(variance) - 0.25)).toBeLessThan(0.005);
    expect(values(normal(key(6), [3], { mean: 2, std: 0 }))).toEqual([2, 2, 2]);
  });

  it('rejects bad parameters', () => {
    expectError(() => normal(key(0), [2], { std: -1 }), ArgumentError, 'INVALID_ARGUMENT', 'random.normal: std');
    expectError(() => normal(key(0), [2], { mean: Number.NaN }), ArgumentError, 'INVALID_ARGUMENT', 'mean');
  });
});

describe('bernoulli', () => {
  it('gives 0/1 values with frequency p', () => {
    const xs = dataOf(bernoulli(key(0), 0.3, [100000]));
    expect(xs.every((x) => x === 0 || x === 1)).toBe(true);
    expect(Math.abs(moments(xs).mean - 0.3)).toBeLessThan(0.005);
    expect(values(bernoulli(key(0), 0, [100])).every((x) => x === 0)).toBe(true);
    expect(values(bernoulli(key(0), 1, [100])).every((x) => x === 1)).toBe(true);
    expect(toArray(bernoulli(key(1), 0.5, [20]))).toEqual(toArray(bernoulli(key(1), 0.5, [20])));
  });

  it('rejects p outside [0, 1]', () => {
    for (const p of [-0.1, 1.1, Number.NaN]) {
      expectError(() => bernoulli(key(0), p, [2]), ArgumentError, 'INVALID_ARGUMENT', 'random.bernoulli: p');
    }
  });
});

describe('shapes and validation', () => {
  const samplers: ReadonlyArray<readonly [string, (k: Key, shape: ReadonlyArray<number>) => Tensor]> = [
    ['random.uniform', (k, s) => uniform(k, s)],
    ['random.normal', (k, s) => normal(k, s)],
    ['random.bernoulli', (k, s) => bernoulli(k, 0.5, s)],
  ];

  it('stores a frozen copy of the shape', () => {
    for (const [, sample] of samplers) {
      const shape = [2, 3];
      const t = sample(key(0), shape);
      shape[0] = 7;
      expect(t.shape).toEqual([2, 3]);
      expect(Object.isFrozen(t.shape)).toBe(true);
      expect(Object.isFrozen(sample(key(0), []).shape)).toBe(true);
      expect(sample(key(0), [0, 4]).size).toBe(0);
    }
  });

  it('rejects anything that is not a key, naming the op', () => {
    const notKeys: unknown[] = [0, null, undefined, [0, 0], {}, { _tag: 'Key', words: [1.5, 0] }, { _tag: 'Key', words: [0, 2 ** 32] }, { words: [0, 0] }];
    for (const bad of notKeys) {
      for (const [op, sample] of samplers) {
        expectError(() => sample(bad as Key, [2]), ArgumentError, 'INVALID_ARGUMENT', `${op}: expected a key from random.key(seed)`);
      }
      expectError(() => split(bad as Key), ArgumentError, 'INVALID_ARGUMENT', 'random.split: expected a key');
      expectError(() => foldIn(bad as Key, 1), ArgumentError, 'INVALID_ARGUMENT', 'random.foldIn: expected a key');
    }
    // A structurally valid key (e.g. one that went through JSON) is accepted.
    const roundTripped = JSON.parse(JSON.stringify(key(3))) as Key;
    expect(values(normal(roundTripped, [3]))).toEqual(values(normal(key(3), [3])));
  });

  it('rejects bad shapes and dtypes', () => {
    for (const [op, sample] of samplers) {
      for (const shape of [[-1], [1.5], [2, Number.NaN]]) {
        expectError(() => sample(key(0), shape), ShapeError, 'INVALID_DIMENSION', op);
      }
      expectError(() => sample(key(0), 3 as unknown as number[]), ArgumentError, 'INVALID_ARGUMENT', `${op}: shape`);
    }
    expectError(() => uniform(key(0), [2], { dtype: 'int32' as 'float32' }), ArgumentError, 'INVALID_DTYPE', 'random.uniform');
    expectError(() => normal(key(0), [2], { dtype: 'float16' as 'float32' }), ArgumentError, 'INVALID_DTYPE', 'random.normal');
  });
});

describe('purity', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('never calls Math.random', () => {
    const spy = vi.spyOn(Math, 'random').mockImplementation(() => {
      throw new Error('Math.random was called');
    });
    const [a, b] = split(key(1)) as [Key, Key];
    uniform(a, [10]);
    normal(b, [10], { dtype: 'float32' });
    bernoulli(foldIn(a, 2), 0.5, [10]);
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('the boundary: sampler arguments (issue 8 §2)', () => {
  const loose = (v: unknown): never => v as never;

  it('normal: mean and std whose samples would overflow to Infinity are refused (std 1e308 used to give Infinity)', () => {
    expectTyped(() => normal(key(0), [4], { std: 1e308 }), 'INVALID_ARGUMENT', 'random.normal', ['std 1e+308', 'Infinity'], ArgumentError);
    expectTyped(() => normal(key(0), [4], { mean: -1.7e308, std: 1e307 }), 'INVALID_ARGUMENT', 'random.normal', ['mean'], ArgumentError);
    expectTyped(() => normal(key(0), [4], { std: 1e38, dtype: 'float32' }), 'INVALID_ARGUMENT', 'random.normal', ['float32'], ArgumentError);
    // the largest std that fits still gives finite samples
    expect(values(normal(key(0), [1000], { std: 1e307 })).every(Number.isFinite)).toBe(true);
    expect(values(normal(key(0), [1000], { std: 4e37, dtype: 'float32' })).every(Number.isFinite)).toBe(true);
  });

  it('options: unknown keys, a dtype string, NaN and non-numbers', () => {
    expectTyped(() => normal(key(0), [2], loose({ sd: 1 })), 'UNKNOWN_OPTION', 'random.normal', ['"sd"', 'mean, std, dtype'], ArgumentError);
    expectTyped(() => uniform(key(0), [2], loose({ min: 0 })), 'UNKNOWN_OPTION', 'random.uniform', ['"min"'], ArgumentError);
    expect(normal(key(0), [2], 'float32').dtype).toBe('float32');
    expect(uniform(key(0), [2], 'float32').dtype).toBe('float32');
    expectTyped(() => normal(key(0), [2], { mean: NaN }), 'INVALID_ARGUMENT', 'random.normal', ['mean is NaN'], ArgumentError);
    expectTyped(() => uniform(key(0), [2], loose({ maxval: '1' })), 'INVALID_ARGUMENT', 'random.uniform', ['maxval is the string "1"'], ArgumentError);
    expectTyped(() => normal(key(0), [2], loose('float16')), 'INVALID_DTYPE', 'random.normal', ['"float16"'], ArgumentError);
  });

  it('shapes: arrays of non-negative integers a buffer can hold', () => {
    expectTyped(() => normal(key(0), [1e10, 1e10]), 'ALLOCATION_TOO_LARGE', 'random.normal', [], ShapeError);
    expectTyped(() => uniform(key(0), loose(4)), 'INVALID_ARGUMENT', 'random.uniform', ['[4]'], ArgumentError);
    expectTyped(() => bernoulli(key(0), 0.5, [-1]), 'INVALID_DIMENSION', 'random.bernoulli', [], ShapeError);
  });

  it('split: n keys as a tuple; more than a split should make is ALLOCATION_TOO_LARGE, not an endless loop', () => {
    const [a, b] = split(key(0));
    expect([a._tag, b._tag]).toEqual(['Key', 'Key']);
    expect(split(key(0), 3)).toHaveLength(3);
    expectTyped(() => split(key(0), 1e10), 'ALLOCATION_TOO_LARGE', 'random.split', ['foldIn'], ShapeError);
    expectTyped(() => (split as (...a: unknown[]) => unknown)(key(0), 2, 3), 'INVALID_ARGUMENT', 'random.split', ['got 3 arguments'], ArgumentError);
  });

  it('every function refuses extra arguments rather than ignoring them', () => {
    expectTyped(() => (key as (...a: unknown[]) => unknown)(0, 1), 'INVALID_ARGUMENT', 'random.key', ['got 2 arguments'], ArgumentError);
    expectTyped(() => (normal as (...a: unknown[]) => unknown)(key(0), [2], {}, 'extra'), 'INVALID_ARGUMENT', 'random.normal', ['got 4 arguments'], ArgumentError);
  });
});
