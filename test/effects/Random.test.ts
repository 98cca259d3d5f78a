import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { AdjointError, add, grad, item, mean, mul, Program, random, Random, run, scalar, sum, type Tensor, tensor, toArray, toTypedArray } from '../../src/index.js';

const SEED = { seed: 11, numRuns: 25 } as const;

const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const flat = (t: Tensor): number[] => Array.from(toTypedArray(t));

/** The reparameterised objective mean(mu + sigma * eps), eps ~ N(0, 1) of shape [n]. */
const objective = (n: number) => (mu: Tensor, sigma: Tensor) =>
  Program.gen(function* () {
    const eps = yield* Random.normal([n]);
    return mean(add(mu, mul(sigma, eps)));
  });

describe('Random', () => {
  test.prop([seedArb], SEED)('the same key gives the same samples', (seed) => {
    const p = Program.all([Random.normal([3]), Random.uniform([2, 2])] as const);
    const [a1, b1] = run(Random.run(random.key(seed))(p));
    const [a2, b2] = run(Random.run(random.key(seed))(p));
    expect(flat(a1)).toEqual(flat(a2));
    expect(flat(b1)).toEqual(flat(b2));
  });

  test.prop([seedArb, seedArb], SEED)('different keys give different samples', (s1, s2) => {
    fc.pre(s1 !== s2);
    const a = run(Random.run(random.key(s1))(Random.normal([4])));
    const b = run(Random.run(random.key(s2))(Random.normal([4])));
    expect(flat(a)).not.toEqual(flat(b));
  });

  it('successive draws in one program differ (the key is split at each draw)', () => {
    const [a, b] = run(Random.run(random.key(0))(Program.all([Random.normal([4]), Random.normal([4])] as const)));
    expect(flat(a)).not.toEqual(flat(b));
  });

  it('draws follow random.split of the handler key: the first draw uses the second key of split(key)', () => {
    const key = random.key(3);
    const [, sub] = random.split(key);
    expect(flat(run(Random.run(key)(Random.normal([5]))))).toEqual(flat(random.normal(sub!, [5])));
    expect(flat(run(Random.run(key)(Random.uniform([5]))))).toEqual(flat(random.uniform(sub!, [5])));
  });

  it('Random.split gives a key usable with the random module, deterministically', () => {
    const p = Program.map(Random.split(), (k) => random.normal(k, [3]));
    expect(flat(run(Random.run(random.key(9))(p)))).toEqual(flat(run(Random.run(random.key(9))(p))));
    const k = run(Random.run(random.key(9))(Random.split()));
    expect(k._tag).toBe('Key');
  });

  it('uniform honours its range and normal its shape and options', () => {
    const u = run(Random.run(random.key(1))(Random.uniform([1000], { minval: 2, maxval: 3 })));
    expect(Math.min(...flat(u))).toBeGreaterThanOrEqual(2);
    expect(Math.max(...flat(u))).toBeLessThan(3);
    const n = run(Random.run(random.key(1))(Random.normal([2, 3], { dtype: 'float32' })));
    expect(n.shape).toEqual([2, 3]);
    expect(n.dtype).toBe('float32');
  });

  test.prop([seedArb, fc.double({ min: -3, max: 3, noNaN: true })], SEED)('the same key gives the same gradient', (seed, x) => {
    const f = (w: Tensor) =>
      Program.gen(function* () {
        const eps = yield* Random.normal([3]);
        return sum(mul(mul(w, w), eps));
      });
    const g1 = run(Random.run(random.key(seed))(grad(f)(scalar(x))));
    const g2 = run(Random.run(random.key(seed))(grad(f)(scalar(x))));
    expect(item(g1)).toBe(item(g2));
    // and it is the gradient for those samples: 2 w sum(eps)
    const eps = run(Random.run(random.key(seed))(Random.normal([3])));
    expect(item(g1)).toBeCloseTo(2 * x * item(sum(eps)), 9);
  });

  test.prop(
    [seedArb, fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0.1, max: 3, noNaN: true }), fc.integer({ min: 1, max: 16 })],
    SEED,
  )('the reparameterisation gradient of mean(mu + sigma * eps) is d/dmu = 1, d/dsigma = mean(eps)', (seed, mu, sigma, n) => {
    const [gmu, gsigma] = run(Random.run(random.key(seed))(grad(objective(n), { argnums: [0, 1] })(scalar(mu), scalar(sigma)))) as [Tensor, Tensor];
    // the same samples: the first draw with the same key
    const eps = run(Random.run(random.key(seed))(Random.normal([n])));
    expect(item(gmu)).toBeCloseTo(1, 12);
    expect(item(gsigma)).toBeCloseTo(item(mean(eps)), 12);
  });

  it('samples are constants: the gradient does not depend on them beyond the reparameterised arithmetic', () => {
    const f = (x: Tensor) =>
      Program.gen(function* () {
        const eps = yield* Random.normal([4]);
        return add(sum(x), mul(0, sum(eps)));
      });
    const g = run(Random.run(random.key(2))(grad(f)(tensor([1, 2, 3]))));
    expect(toArray(g)).toEqual([1, 1, 1]);
  });
});

// ---- arguments are checked where the caller passes them ----------------------------------------------

const bad = (v: unknown): never => v as never;

function expectCode(f: () => unknown, code: string, ...mentions: string[]): void {
  let e: unknown;
  try {
    f();
  } catch (caught) {
    e = caught;
  }
  expect(e).toBeInstanceOf(AdjointError);
  expect((e as AdjointError).code).toBe(code);
  for (const m of mentions) expect((e as AdjointError).message).toContain(m);
}

describe('Random: arguments', () => {
  it('Random.run of something that is not a key fails at Random.run, not at the first draw', () => {
    expectCode(() => Random.run(bad(5)), 'INVALID_ARGUMENT', 'Random.run: ', 'random.key(seed)');
    expectCode(() => Random.run(bad({ _tag: 'Key', words: [1] })), 'INVALID_ARGUMENT', 'Random.run: ');
    // a program that never draws was run with a bad key silently
    expectCode(() => run(Random.run(bad('seed'))(Program.of(1))), 'INVALID_ARGUMENT', 'Random.run: ');
  });

  it("Random.normal and Random.uniform check shape and options with the samplers' rules, naming themselves", () => {
    expectCode(() => Random.normal(bad(5)), 'INVALID_ARGUMENT', 'Random.normal: shape is the number 5');
    expectCode(() => Random.normal([2, -1]), 'INVALID_DIMENSION', 'Random.normal: ', 'dimension 1');
    expectCode(() => Random.uniform([1.5]), 'INVALID_DIMENSION', 'Random.uniform: ');
    expectCode(() => Random.normal([2], bad(3)), 'INVALID_ARGUMENT', 'Random.normal: options is the number 3');
    expectCode(() => Random.normal([2], { std: -1 }), 'INVALID_ARGUMENT', 'Random.normal: ', 'std');
    expectCode(() => Random.normal([2], { mean: NaN }), 'INVALID_ARGUMENT', 'Random.normal: ', 'mean');
    expectCode(() => Random.normal([2], bad({ dtype: 'int8' })), 'INVALID_DTYPE', 'Random.normal: ');
    expectCode(() => Random.uniform([2], { minval: 1, maxval: 0 }), 'INVALID_ARGUMENT', 'Random.uniform: ', 'minval');
    expectCode(() => (Random.split as (...a: unknown[]) => unknown)(3), 'INVALID_ARGUMENT', 'Random.split', 'takes no arguments');
  });

  it('the shape and options are kept as they were when the program was built', () => {
    const shape = [2];
    const options = { mean: 0, std: 1 };
    const p = Random.normal(shape, options);
    shape.push(3);
    options.mean = 1e6;
    const x = run(Random.run(random.key(0))(p));
    expect(x.shape).toEqual([2]);
    expect(toArray(x)).toEqual(toArray(run(Random.run(random.key(0))(Random.normal([2])))));
  });
});
