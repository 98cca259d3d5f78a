import { fc, test } from '@fast-check/vitest';
import { isLeft } from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import {
  AdjointError,
  add,
  checkGrads,
  Checked,
  type EffectTag,
  Fail,
  grad,
  hessian,
  hvp,
  IO,
  item,
  jacfwd,
  jacrev,
  jvp,
  Log,
  log,
  log1p,
  mul,
  observe,
  Observe,
  printTape,
  Program,
  random,
  Random,
  run,
  scalar,
  sin,
  State,
  sum,
  type Tensor,
  tensor,
  toTypedArray,
  valueAndGrad,
  vjp,
} from '../../src/index.js';

const SEED = { seed: 11, numRuns: 25 } as const;
const KEY = 17;

const flat = (t: Tensor): number[] => Array.from(toTypedArray(t));

/** Handles every effect (Random with a fixed key) and returns the result; a failure is a test error. */
function handleAll<A>(p: Program<A, EffectTag>): A {
  const [[either]] = run(IO.run(Observe.run(Log.collect(State.run({})(Random.run(random.key(KEY))(Fail.either(p)))))));
  if (isLeft(either)) throw either.left;
  return either.right;
}

/** Like handleAll, also returning the log entries. */
function handleAllWithLogs<A>(p: Program<A, EffectTag>): [A, ReadonlyArray<unknown>] {
  const [[either], logs] = run(IO.run(Observe.run(Log.collect(State.run({})(Random.run(random.key(KEY))(Fail.either(p)))))));
  if (isLeft(either)) throw either.left;
  return [either.right, logs];
}

/** The first sample of a normal draw under Random.run(key(KEY)). */
const eps = (): Tensor => run(Random.run(random.key(KEY))(Random.normal([3])));

const IO_CONST = tensor([0.5, -1, 2]);

interface Case {
  readonly name: string;
  /** The computation with effects: vector output. */
  readonly eff: (x: Tensor) => Program<Tensor, EffectTag>;
  /** The same computation without effects, given the concrete input (for what an effect would have read). */
  readonly pure: (x0: Tensor) => (x: Tensor) => Tensor;
}

const a = State.cell<Tensor>('a');

const cases: ReadonlyArray<Case> = [
  {
    name: 'State',
    eff: (x) =>
      Program.gen(function* () {
        yield* State.set(a, x);
        yield* State.modify(a, (v) => mul(sin(v as unknown as Tensor), x));
        const v1 = yield* State.get(a);
        yield* State.set(a, add(v1, mul(x, x)));
        return yield* State.get(a);
      }),
    pure: () => (x) => add(mul(sin(x), x), mul(x, x)),
  },
  {
    name: 'Random (reparameterised)',
    eff: (x) =>
      Program.gen(function* () {
        const e = yield* Random.normal([3]);
        return mul(sin(add(x, e)), x);
      }),
    pure: () => {
      const e = eps();
      return (x) => mul(sin(add(x, e)), x);
    },
  },
  {
    name: 'Log',
    eff: (x) =>
      Program.gen(function* () {
        const y = mul(sin(x), x);
        yield* Log.value('y', y);
        const z = add(y, mul(x, x));
        yield* Log.value('z', z);
        return z;
      }),
    pure: () => (x) => add(mul(sin(x), x), mul(x, x)),
  },
  {
    name: 'Observe (on a branch)',
    eff: (x) =>
      Program.gen(function* () {
        const s = yield* observe(sum(x));
        return s > 0 ? mul(mul(x, x), x) : sin(x);
      }),
    pure: (x0) => {
      const positive = flat(x0).reduce((p, q) => p + q, 0) > 0;
      return (x) => {
        sum(x); // the op observe read, so that tapes match
        return positive ? mul(mul(x, x), x) : sin(x);
      };
    },
  },
  {
    name: 'Fail (success path)',
    eff: (x) =>
      Program.gen(function* () {
        const l = yield* Checked.log(add(mul(x, x), 1));
        return mul(l, x);
      }),
    pure: () => (x) => mul(log(add(mul(x, x), 1)), x),
  },
  {
    name: 'IO (a constant)',
    eff: (x) =>
      Program.gen(function* () {
        const c = yield* IO.call(() => IO_CONST);
        return mul(mul(x, c), sin(x));
      }),
    pure: () => (x) => mul(mul(x, IO_CONST), sin(x)),
  },
  {
    name: 'all effects at once',
    eff: (x) =>
      Program.gen(function* () {
        const e = yield* Random.normal([3]);
        yield* State.set(a, mul(x, e));
        const c = yield* IO.call(() => IO_CONST);
        const v = yield* State.get(a);
        yield* Log.value('v', v);
        const s = yield* observe(sum(v));
        const l = yield* Checked.log1p(mul(x, x));
        return s > 0 ? add(mul(v, c), l) : mul(v, l);
      }),
    pure: (x0) => {
      const e = eps();
      const positive = flat(mul(x0, e)).reduce((p, q) => p + q, 0) > 0;
      return (x) => {
        const v = mul(x, e);
        sum(v);
        const l = log1p(mul(x, x));
        return positive ? add(mul(v, IO_CONST), l) : mul(v, l);
      };
    },
  },
];

const effScalar = (c: Case) => (x: Tensor) => Program.map(c.eff(x), (y) => sum(y));
const pureScalar = (c: Case, x0: Tensor) => {
  const pf = c.pure(x0);
  return (x: Tensor) => sum(pf(x));
};

const vec3 = fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 });
const num = fc.double({ min: -2, max: 2, noNaN: true });

function expectClose(actual: Tensor, expected: Tensor, digits = 10): void {
  expect(actual.shape).toEqual(expected.shape);
  const e = flat(expected);
  flat(actual).forEach((v, i) => expect(v).toBeCloseTo(e[i]!, digits));
}

describe.each(cases)('transforms over an effectful program: $name', (c) => {
  it('the effectful program computes the pure value', () => {
    const x = tensor([0.3, -0.7, 1.1]);
    expectClose(handleAll(c.eff(x)), c.pure(x)(x));
  });

  test.prop([vec3], SEED)('grad equals the pure gradient', (xs) => {
    const x = tensor(xs);
    expectClose(handleAll(grad(effScalar(c))(x)), grad(pureScalar(c, x))(x));
  });

  test.prop([num], SEED)('grad(grad(f)) equals the pure second derivative', (x0) => {
    const x = scalar(x0);
    expectClose(handleAll(grad(grad(effScalar(c)))(x)), grad(grad(pureScalar(c, x)))(x), 8);
  });

  test.prop([vec3], SEED)('valueAndGrad equals the pure one', (xs) => {
    const x = tensor(xs);
    const [v, g] = handleAll(valueAndGrad(effScalar(c))(x));
    const [pv, pg] = valueAndGrad(pureScalar(c, x))(x);
    expectClose(v, pv);
    expectClose(g, pg);
  });

  test.prop([vec3, vec3], SEED)('jvp equals the pure one', (xs, ts) => {
    const x = tensor(xs);
    const [y, dy] = handleAll(jvp(c.eff, [x], [tensor(ts)]));
    const [py, pdy] = jvp(c.pure(x), [x], [tensor(ts)]);
    expectClose(y, py);
    expectClose(dy, pdy);
  });

  test.prop([vec3, vec3], SEED)('vjp equals the pure one', (xs, cts) => {
    const x = tensor(xs);
    const [y, pullback] = handleAll(vjp(c.eff, x));
    const [py, ppullback] = vjp(c.pure(x), x);
    expectClose(y, py);
    expectClose(pullback(tensor(cts))[0], ppullback(tensor(cts))[0]);
  });

  test.prop([vec3], SEED)('jacrev and jacfwd equal the pure Jacobian', (xs) => {
    const x = tensor(xs);
    const J = jacrev(c.pure(x))(x) as Tensor;
    expectClose(handleAll(jacrev(c.eff)(x)), J);
    expectClose(handleAll(jacfwd(c.eff)(x)), J);
  });

  test.prop([vec3], SEED)('hessian equals the pure Hessian', (xs) => {
    const x = tensor(xs);
    expectClose(handleAll(hessian(effScalar(c))(x)), hessian(pureScalar(c, x))(x), 8);
  });

  it('printTape lists the same Wengert list as the pure function, plus effect lines', () => {
    const x = tensor([0.3, -0.7, 1.1]);
    const text = handleAll(printTape(effScalar(c))(x));
    const pureText = printTape(pureScalar(c, x))(x);
    const withoutEffects = text
      .split('\n')
      .filter((l) => !l.startsWith('-- '))
      .join('\n');
    expect(withoutEffects).toBe(pureText);
  });
});

describe('transforms over effectful programs: effects happen once per forward execution', () => {
  const logging = (x: Tensor) =>
    Program.gen(function* () {
      const y = mul(x, x);
      yield* Log.value('y', y);
      const z = mul(y, x);
      yield* Log.value('z', z);
      return sum(z);
    });

  it('jacfwd logs once (one forward execution for all directions)', () => {
    const [J, logs] = handleAllWithLogs(jacfwd((x: Tensor) => Program.map(logging(x), () => mul(x, x)))(tensor([1, 2, 3])));
    expect(flat(J)).toEqual([2, 0, 0, 0, 4, 0, 0, 0, 6]);
    expect(logs).toHaveLength(2);
  });

  it('hessian logs once', () => {
    const [H, logs] = handleAllWithLogs(hessian(logging)(tensor([1, 2])));
    expect(flat(H)).toEqual([6, 0, 0, 12]);
    expect(logs).toHaveLength(2);
  });

  it('jacrev logs once (one forward pass, one pullback per row)', () => {
    const [, logs] = handleAllWithLogs(jacrev((x: Tensor) => Program.map(logging(x), () => mul(x, 2)))(tensor([1, 2, 3])));
    expect(logs).toHaveLength(2);
  });

  it('printTape of the State SSA example contains State.set x@1 lines', () => {
    const x = State.cell<Tensor>('x');
    const f = (x0: Tensor) =>
      Program.gen(function* () {
        yield* State.set(x, x0);
        yield* State.modify(x, (v) => mul(v as unknown as Tensor, v as unknown as Tensor));
        yield* State.modify(x, (v) => add(v as unknown as Tensor, 1));
        return yield* State.get(x);
      });
    const [text] = run(State.run({})(printTape(f)(scalar(2))));
    expect(text).toMatch(/^-- State\.set x@1 := w2$/m);
    expect(text).toMatch(/^w1 +=\s*input 0.* 4$/m);
  });
});

// ---- async functions under transforms -----------------------------------------------------------------

describe('transforms refuse async functions and promises, synchronously, leaving no rejection behind', () => {
  const later = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  // the shape that killed the process: the body goes on after an await, with the trace closed
  const asyncSquare = async (x: Tensor): Promise<Tensor> => {
    await later(1);
    return sum(mul(x, x));
  };
  // not async in name, but returns a promise of the same
  const promiseSquare = (x: Tensor): Promise<Tensor> => later(1).then(() => sum(mul(x, x)));
  const x = tensor([1, 2]);
  type F = (x: Tensor) => Tensor;
  const calls: Array<[string, (f: F) => unknown]> = [
    ['grad', (f) => grad(f)(x)],
    ['valueAndGrad', (f) => valueAndGrad(f)(x)],
    ['vjp', (f) => vjp(f, x)],
    ['jvp', (f) => jvp(f, [x], [x])],
    ['jacrev', (f) => jacrev(f)(x)],
    ['jacfwd', (f) => jacfwd(f)(x)],
    ['hessian', (f) => hessian(f)(x)],
    ['hvp', (f) => hvp(f, [x], [x])],
    ['printTape', (f) => printTape(f)(x)],
    ['checkGrads', (f) => checkGrads(f, [x])],
  ];

  const code = (f: () => unknown): [string | undefined, string] => {
    try {
      f();
    } catch (e) {
      return [(e as AdjointError).code, (e as Error).message];
    }
    return [undefined, ''];
  };

  it('every transform: ASYNC_FUNCTION, thrown at the call, and no unhandled LEAKED_TRACER later', async () => {
    const unhandled: unknown[] = [];
    const on = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', on);
    try {
      for (const [name, call] of calls) {
        for (const f of [asyncSquare, promiseSquare]) {
          // a direct async function, and one wrapped in a plain lambda (seen only by its result)
          for (const g of [f, (y: Tensor) => f(y)]) {
            const [c, message] = code(() => call(g as unknown as F));
            expect(c, `${name} of ${f.name}`).toBe('ASYNC_FUNCTION');
            expect(message).toMatch(/async|promise/);
          }
        }
      }
      await later(40);
    } finally {
      process.off('unhandledRejection', on);
    }
    expect(unhandled).toEqual([]);
    // nothing was left open
    expect(item(grad((y: Tensor) => mul(y, y))(3))).toBe(6);
  });

  it('an async function given to grad names async functions and the way out', () => {
    const [c, message] = code(() => grad(asyncSquare as never)(2));
    expect(c).toBe('ASYNC_FUNCTION');
    expect(message).toContain('grad: f is an async function');
    expect(message).toContain('IO.promise and runPromise');
  });

  it('a function returning a program whose body turns out to return a promise when the program runs', () => {
    let first = true;
    const f = (w: Tensor): unknown => {
      if (first) {
        first = false;
        return Program.of(w);
      }
      return Promise.resolve(w);
    };
    const p = grad(f as (w: Tensor) => Program<Tensor, never>)(2);
    const [c] = code(() => run(p));
    expect(c).toBe('ASYNC_FUNCTION');
    expect(item(grad((y: Tensor) => mul(y, 4))(1))).toBe(4);
  });
});
