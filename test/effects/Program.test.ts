import { fc, test } from '@fast-check/vitest';
import { sequenceS, sequenceT } from 'fp-ts/Apply';
import { isLeft } from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import * as RA from 'fp-ts/ReadonlyArray';
import { describe, expect, it } from 'vitest';
import {
  AdjointError,
  add,
  Fail,
  grad,
  IO,
  item,
  Log,
  type LogEntry,
  mul,
  Observe,
  Program,
  random,
  Random,
  run,
  runPromise,
  State,
  type Tensor,
  tensor,
  toArray,
} from '../../src/index.js';

const SEED = { seed: 11, numRuns: 25 } as const;

// ---- monad laws ----------------------------------------------------------------------------------

type Eff = 'State' | 'Log' | 'Random' | 'Fail';
type Arrow = (n: number) => Program<number, Eff>;

const counter = State.cell<number>('counter');

/** A Kleisli arrow chosen by `kind`, parameterised by `c`: pure, State, Log, Random or Fail. */
function arrow(kind: number, c: number): Arrow {
  switch (kind) {
    case 0:
      return (n) => Program.of(n + c);
    case 1:
      return (n) =>
        Program.gen(function* () {
          const k = yield* State.get(counter);
          yield* State.set(counter, k + n);
          return n * c - k;
        });
    case 2:
      return (n) => Program.flatMap(Log.value(`log${c}`, n), () => Program.of(n - c));
    case 3:
      return (n) => Program.map(Random.uniform([]), (u) => n + c * item(u));
    default:
      return (n) => (Math.abs(n) % 3 === c % 3 ? Program.fail(new Error(`fail at ${n}`)) : Program.of(n + 1));
  }
}

/** Handles every effect (Random with a fixed key) and returns a comparable summary. */
function runAll(p: Program<number, Eff>): unknown {
  const [[either, state], logs] = run(Log.collect(State.run({ counter: 0 })(Random.run(random.key(5))(Fail.either(p)))));
  return {
    result: isLeft(either) ? { left: either.left.message } : { right: either.right },
    state,
    logs: logs.map((e: LogEntry) => [e.label, e.value]),
  };
}

/** A pure Kleisli arrow: of, sync, defer or map. */
function pureArrow(kind: number, c: number): (n: number) => Program<number> {
  switch (kind) {
    case 0:
      return (n) => Program.of(n * c);
    case 1:
      return (n) => Program.sync(() => n + c);
    case 2:
      return (n) => Program.defer(() => Program.of(n - c));
    default:
      return (n) => Program.map(Program.of(n), (m) => m * m + c);
  }
}

const intArb = fc.integer({ min: -50, max: 50 });
const kindArb = fc.integer({ min: 0, max: 4 });
const pureKindArb = fc.integer({ min: 0, max: 3 });

describe('Program: monad laws', () => {
  test.prop([intArb, pureKindArb, intArb], SEED)('left identity, pure: of(a).flatMap(f) = f(a)', (a, kind, c) => {
    const f = pureArrow(kind, c);
    expect(run(Program.flatMap(Program.of(a), f))).toBe(run(f(a)));
  });

  test.prop([pureKindArb, intArb, intArb], SEED)('right identity, pure: m.flatMap(of) = m', (kind, c, a) => {
    const m = pureArrow(kind, c)(a);
    expect(run(Program.flatMap(m, Program.of))).toBe(run(m));
  });

  test.prop([intArb, pureKindArb, intArb, pureKindArb, intArb], SEED)('associativity, pure', (a, k1, c1, k2, c2) => {
    const f = pureArrow(k1, c1);
    const g = pureArrow(k2, c2);
    const m = Program.of(a);
    expect(run(Program.flatMap(Program.flatMap(m, f), g))).toBe(run(Program.flatMap(m, (x) => Program.flatMap(f(x), g))));
  });

  test.prop([intArb, kindArb, intArb], SEED)('left identity with State, Log, Random (fixed key) and Fail handled', (a, kind, c) => {
    const f = arrow(kind, c);
    expect(runAll(Program.flatMap(Program.of(a), f))).toEqual(runAll(f(a)));
  });

  test.prop([kindArb, intArb, intArb], SEED)('right identity with effects', (kind, c, a) => {
    const m = arrow(kind, c)(a);
    expect(runAll(Program.flatMap(m, Program.of))).toEqual(runAll(m));
  });

  test.prop([intArb, kindArb, intArb, kindArb, intArb, kindArb, intArb], SEED)(
    'associativity with effects',
    (a, k0, c0, k1, c1, k2, c2) => {
      const m = arrow(k0, c0)(a);
      const f = arrow(k1, c1);
      const g = arrow(k2, c2);
      const lhs = Program.flatMap(Program.flatMap(m, f), g);
      const rhs = Program.flatMap(m, (x) => Program.flatMap(f(x), g));
      expect(runAll(lhs)).toEqual(runAll(rhs));
    },
  );

  it('the effectful arrows really perform their effects (the laws above are not vacuous)', () => {
    expect(runAll(arrow(1, 2)(3))).toEqual({ result: { right: 6 }, state: { counter: 3 }, logs: [] });
    expect(runAll(arrow(2, 2)(3))).toEqual({ result: { right: 1 }, state: { counter: 0 }, logs: [['log2', 3]] });
    const r = runAll(arrow(3, 1)(0)) as { result: { right: number } };
    expect(r.result.right).toBeGreaterThanOrEqual(0);
    expect(r.result.right).toBeLessThan(1);
    expect(runAll(arrow(4, 0)(3))).toEqual({ result: { left: 'fail at 3' }, state: { counter: 0 }, logs: [] });
  });
});

// ---- combinators and fp-ts interop ---------------------------------------------------------------

const logged = (label: string, n: number): Program<number, 'Log'> => Program.map(Log.value(label, n), () => n);

describe('Program: combinators', () => {
  it('map, flatMap/chain and pipe from fp-ts', () => {
    const p = pipe(
      Program.of(2),
      (q) => Program.map(q, (n) => n * 10),
      (q) => Program.chain(q, (n) => logged('n', n + 1)),
    );
    expect(run(Log.collect(p))).toEqual([21, [{ label: 'n', value: 21 }]]);
  });

  it('ap applies the function program to the value program, left to right', () => {
    const pf = Program.map(logged('f', 1), () => (n: number) => n * 3);
    const [r, logs] = run(Log.collect(Program.ap(pf, logged('a', 7))));
    expect(r).toBe(21);
    expect(logs.map((e) => e.label)).toEqual(['f', 'a']);
  });

  it('tap runs an effect and keeps the original result', () => {
    const [r, logs] = run(Log.collect(Program.tap(Program.of(5), (n) => Log.value('seen', n * 2))));
    expect(r).toBe(5);
    expect(logs).toEqual([{ label: 'seen', value: 10 }]);
  });

  it('Program.all over an array: results in order, effects in order, frozen', () => {
    const [r, logs] = run(Log.collect(Program.all([logged('a', 1), Program.of('two'), logged('c', 3)] as const)));
    expect(r).toEqual([1, 'two', 3]);
    expect(Object.isFrozen(r)).toBe(true);
    expect(logs.map((e) => e.label)).toEqual(['a', 'c']);
  });

  it('Program.all over a record: results by key, effects in key order, frozen', () => {
    const [r, logs] = run(Log.collect(Program.all({ x: logged('x', 1), y: Program.of(true), z: logged('z', 3) })));
    expect(r).toEqual({ x: 1, y: true, z: 3 });
    expect(Object.isFrozen(r)).toBe(true);
    expect(logs.map((e) => e.label)).toEqual(['x', 'z']);
  });

  it('Program.all of an empty array / record', () => {
    expect(run(Program.all([] as const))).toEqual([]);
    expect(run(Program.all({}))).toEqual({});
  });

  it('Program.traverse maps with the index and runs in order', () => {
    const [[r, state], logs] = run(
      Log.collect(
        State.run({ counter: 100 })(
          Program.traverse(['a', 'b', 'c'], (s, i) =>
            Program.gen(function* () {
              const k = yield* State.get(counter);
              yield* State.set(counter, k + 1);
              yield* Log.value(s, i);
              return `${s}${k}`;
            }),
          ),
        ),
      ),
    );
    expect(r).toEqual(['a100', 'b101', 'c102']);
    expect(state).toEqual({ counter: 103 });
    expect(logs).toEqual([
      { label: 'a', value: 0 },
      { label: 'b', value: 1 },
      { label: 'c', value: 2 },
    ]);
  });

  it('a program is a description: building it runs nothing, each run re-runs it', () => {
    let calls = 0;
    const p = Program.sync(() => ++calls);
    const q = Program.map(p, (n) => n * 2);
    expect(calls).toBe(0);
    expect(run(q)).toBe(2);
    expect(run(q)).toBe(4);
    expect(calls).toBe(2);
  });

  it('sequenceT(Program.Apply) from fp-ts collects a tuple, effects left to right', () => {
    const ps: [Program<number, 'Log'>, Program<number, 'Log'>, Program<number, 'Log'>] = [logged('a', 1), logged('b', 2), logged('c', 3)];
    const [r, logs] = run(Log.collect(sequenceT(Program.Apply)(...ps)));
    expect(r).toEqual([1, 2, 3]);
    expect(logs.map((e) => e.label)).toEqual(['a', 'b', 'c']);
  });

  it('sequenceS(Program.Apply) from fp-ts collects a record', () => {
    const [r, logs] = run(Log.collect(sequenceS(Program.Apply)({ a: logged('a', 1), b: logged('b', 2) })));
    expect(r).toEqual({ a: 1, b: 2 });
    expect(logs.map((e) => e.label).sort()).toEqual(['a', 'b']);
  });

  it('ReadonlyArray.traverse(Program.Applicative) from fp-ts', () => {
    const p = pipe(
      [1, 2, 3] as ReadonlyArray<number>,
      RA.traverse(Program.Applicative)((n) => logged(`n${n}`, n * n)),
    );
    const [r, logs] = run(Log.collect(p));
    expect(r).toEqual([1, 4, 9]);
    expect(logs.map((e) => e.label)).toEqual(['n1', 'n2', 'n3']);
  });

  it('Program.Monad.chain and Program.Functor.map are the same operations', () => {
    expect(run(Program.Monad.chain(Program.Monad.of(4), (n) => Program.of(n + 1)))).toBe(5);
    expect(run(Program.Functor.map(Program.of(4), (n) => n * 2))).toBe(8);
    expect(Program.Monad.URI).toBe(Program.URI);
  });

  it('isProgram tells programs from values', () => {
    expect(Program.isProgram(Program.of(1))).toBe(true);
    expect(Program.isProgram(State.get(counter))).toBe(true);
    expect(Program.isProgram(tensor(1))).toBe(false);
    expect(Program.isProgram({ node: { _tag: 'Pure', value: 1 } })).toBe(false);
  });
});

// ---- deep programs -------------------------------------------------------------------------------

const N = 1_000_000;

describe('Program: deep programs run in constant stack', () => {
  it(`${N} left-nested flatMaps`, () => {
    let p: Program<number> = Program.of(0);
    for (let i = 0; i < N; i++) p = Program.flatMap(p, (n) => Program.of(n + 1));
    expect(run(p)).toBe(N);
  });

  it(`${N} right-nested flatMaps (a recursive loop)`, () => {
    const loop = (i: number, acc: number): Program<number> => (i === 0 ? Program.of(acc) : Program.flatMap(Program.of(i), (k) => loop(k - 1, acc + 1)));
    expect(run(loop(N, 0))).toBe(N);
  });

  it(`Program.gen with ${N} yield*`, () => {
    const p = Program.gen(function* () {
      let s = 0;
      for (let i = 0; i < N; i++) s += yield* Program.of(1);
      return s;
    });
    expect(run(p)).toBe(N);
  });

  it('Program.gen with 200,000 State effects under a handler', () => {
    const p = Program.gen(function* () {
      for (let i = 0; i < 200_000; i++) {
        const k = yield* State.get(counter);
        yield* State.set(counter, k + 1);
      }
      return yield* State.version(counter);
    });
    expect(run(State.run({ counter: 0 })(p))).toEqual([200_000, { counter: 200_000 }]);
  });

  it(`Program.traverse over ${N / 10} items`, () => {
    const xs = Array.from({ length: N / 10 }, (_, i) => i);
    const r = run(Program.traverse(xs, (x) => Program.of(x * 2)));
    expect(r.length).toBe(N / 10);
    expect(r[N / 10 - 1]).toBe((N / 10 - 1) * 2);
  });
});

// ---- errors --------------------------------------------------------------------------------------

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('Program: unhandled effects and programmer errors', () => {
  it('an effect with no handler (types bypassed by a cast) throws UNHANDLED_EFFECT naming the effect and its handler', () => {
    const e = thrown(() => run(State.get(counter) as unknown as Program<number>));
    expect(e).toBeInstanceOf(AdjointError);
    expect((e as AdjointError).code).toBe('UNHANDLED_EFFECT');
    expect((e as AdjointError).message).toMatch(/State/);
    expect((e as AdjointError).message).toMatch(/State\.run/);
  });

  it('a handler for another effect does not catch it', () => {
    const p = Program.flatMap(Log.value('a', 1), () => Random.normal([1]));
    const e = thrown(() => run(Log.collect(p) as unknown as Program<unknown>));
    expect((e as AdjointError).code).toBe('UNHANDLED_EFFECT');
    expect((e as AdjointError).message).toMatch(/Random/);
  });

  it('an unhandled effect inside grad throws UNHANDLED_EFFECT and leaves no trace open', () => {
    const f = (x: Tensor) => Program.map(State.get(State.cell<Tensor>('w')), (w) => mul(x, w));
    const e = thrown(() => run(grad(f)(tensor(2)) as unknown as Program<unknown>));
    expect((e as AdjointError).code).toBe('UNHANDLED_EFFECT');
    expect(toArray(grad((x: Tensor) => mul(x, x))(tensor(3)))).toBe(6);
  });

  it('a throw inside a program under grad propagates and leaves no trace active', () => {
    let leaked: Tensor | undefined;
    const boom = true;
    const f = (x: Tensor) =>
      Program.gen(function* () {
        const y = mul(x, x);
        leaked = y;
        yield* Log.value('y', y);
        if (boom) throw new TypeError('boom');
        return y;
      });
    expect(() => run(Log.collect(grad(f)(tensor(3))))).toThrow('boom');
    // the trace of the failed grad is closed: its tracer is leaked, not live
    expect(leaked).toBeDefined();
    expect((thrown(() => item(leaked!)) as AdjointError).code).toBe('LEAKED_TRACER');
    // plain ops are plain again, and a new grad works
    const plain = add(tensor(1), tensor(2));
    expect(plain.constructor.name).toBe('Tensor');
    expect(item(plain)).toBe(3);
    expect(item(grad((x: Tensor) => mul(x, mul(x, x)))(tensor(2)))).toBe(12);
    const [g, logs] = run(Log.collect(grad((x: Tensor) => Program.flatMap(Log.value('x', x), () => Program.of(mul(x, 5))))(tensor(1))));
    expect(item(g)).toBe(5);
    expect(logs).toHaveLength(1);
  });

  it('a throw while building the program under grad (before any effect) also leaves no trace active', () => {
    const f = (x: Tensor) => Program.defer((): Program<Tensor> => {
      mul(x, 2);
      throw new RangeError('early');
    });
    expect(() => run(grad(f)(tensor(1)))).toThrow('early');
    expect(item(grad((x: Tensor) => mul(x, 7))(tensor(1)))).toBe(7);
  });
});

// ---- the boundary: every argument checked where the caller passes it ------------------------------

/** Runs `f`, expecting an `AdjointError` with `code` whose message contains each of `mentions`. */
function expectCode(f: () => unknown, code: string, ...mentions: string[]): AdjointError {
  const e = thrown(f);
  expect(e).toBeInstanceOf(AdjointError);
  expect((e as AdjointError).code).toBe(code);
  for (const m of mentions) expect((e as AdjointError).message).toContain(m);
  return e as AdjointError;
}

// a value typed as anything, as JavaScript callers and `any` pass them
const bad = (v: unknown): never => v as never;

describe('Program: arguments are checked where the caller passes them', () => {
  it('run of a value that is not a program is NOT_A_PROGRAM (it returned undefined)', () => {
    expectCode(() => run(bad(5)), 'NOT_A_PROGRAM', 'run: program is the number 5', 'Program.of');
    expectCode(() => run(bad(undefined)), 'NOT_A_PROGRAM', 'run: program is undefined');
    expectCode(() => run(bad({ node: { _tag: 'Pure', value: 1 } })), 'NOT_A_PROGRAM', 'an object with keys node');
    expectCode(() => run(bad(Promise.resolve(1))), 'ASYNC_FUNCTION', 'runPromise');
  });

  it('run, runPromise and every handler refuse an extra argument (run(p, 2) ignored the 2)', () => {
    const loose = (f: unknown) => f as (...a: unknown[]) => unknown;
    const p = Program.of(1);
    const calls: ReadonlyArray<readonly [string, () => unknown]> = [
      ['run', () => loose(run)(p, 2)],
      ['runPromise', () => loose(runPromise)(p, 2)],
      ['Log.collect', () => loose(Log.collect)(p, 2)],
      ['Log.print', () => loose(Log.print)(p, 2)],
      ['Fail.either', () => loose(Fail.either)(p, 2)],
      ['IO.run', () => loose(IO.run)(p, 2)],
      ['Observe.run', () => loose(Observe.run)(p, 2)],
      ['State.run', () => loose(State.run)({}, {})],
      ['State.run', () => loose(State.run({}))(p, 2)],
      ['Random.run', () => loose(Random.run)(random.key(0), 1)],
      ['Random.run', () => loose(Random.run(random.key(0)))(p, 2)],
    ];
    for (const [op, call] of calls) expectCode(call, 'INVALID_ARGUMENT', `${op}: got 2 arguments but takes at most 1`);
    // one argument, as before, and the handlers still compose in pipe and as fp-ts arrows
    expect(run(pipe(p, Log.collect, Fail.either))).toEqual({ _tag: 'Right', right: [1, []] });
  });

  it('Program.all of something that is not an array or record of programs', () => {
    expectCode(() => Program.all(bad(5)), 'INVALID_ARGUMENT', 'Program.all: programs is the number 5');
    expectCode(() => Program.all(bad('ab')), 'INVALID_ARGUMENT', 'the string "ab"');
    expectCode(() => Program.all(bad(new Map())), 'INVALID_ARGUMENT', 'a Map');
    expectCode(() => Program.all(bad([Program.of(1), 2])), 'NOT_A_PROGRAM', 'programs[1] is the number 2');
    expectCode(() => Program.all(bad({ a: Program.of(1), b: null })), 'NOT_A_PROGRAM', 'programs.b is null');
    // eslint-disable-next-line no-sparse-arrays
    expectCode(() => Program.all(bad([Program.of(1), , Program.of(3)])), 'NOT_A_PROGRAM', 'programs[1] is undefined');
  });

  it('a flatMap / chain continuation that returns a non-program (it was silently ignored)', () => {
    expectCode(() => run(Program.flatMap(Program.of(1), () => bad(5))), 'NOT_A_PROGRAM', 'Program.flatMap', 'continuation', 'the number 5');
    expectCode(() => run(Program.chain(Program.of(1), () => bad(undefined))), 'NOT_A_PROGRAM', 'is undefined');
    expectCode(() => run(Program.Monad.chain(Program.of(1), () => bad('x'))), 'NOT_A_PROGRAM', 'the string "x"');
    expectCode(() => run(Program.tap(Program.of(1), () => bad(2))), 'NOT_A_PROGRAM', 'Program.tap: the result of f is the number 2');
    expectCode(() => run(Program.traverse([1, 2], (n) => bad(n === 2 ? 0 : Program.of(n)))), 'NOT_A_PROGRAM', 'Program.traverse: the result of f for items[1]');
    expectCode(() => run(Program.defer(() => bad(4))), 'NOT_A_PROGRAM', 'Program.defer: the result of the thunk is the number 4');
  });

  it('Program.gen yielding a non-program, or a body that is not a generator', () => {
    const p = Program.gen(function* () {
      yield bad(5);
      return 1;
    });
    expectCode(() => run(p), 'NOT_A_PROGRAM', 'Program.gen', 'use yield* with a program, not yield', 'the number 5');
    expectCode(() => run(Program.gen(bad(() => 3)) as Program<unknown>), 'NOT_A_PROGRAM', 'Program.gen', 'should be a generator');
    expectCode(() => Program.gen(bad(7)), 'INVALID_ARGUMENT', 'Program.gen: body is the number 7');
    expectCode(() => Program.gen(bad(async function* () {})), 'ASYNC_FUNCTION', 'Program.gen: body is an async generator function');
  });

  it('every combinator checks its program and function arguments at once', () => {
    const p = Program.of(1);
    expectCode(() => Program.flatMap(bad(1), () => p), 'NOT_A_PROGRAM', 'Program.flatMap: p is the number 1');
    expectCode(() => Program.flatMap(p, bad(1)), 'INVALID_ARGUMENT', 'Program.flatMap: k is the number 1', 'pass a function');
    expectCode(() => Program.map(p, bad(undefined)), 'INVALID_ARGUMENT', 'Program.map: f is undefined');
    expectCode(() => Program.map(bad(p)), 'INVALID_ARGUMENT', 'Program.map: f is a Program');
    expectCode(() => Program.map(bad((n: number) => n))(bad(3)), 'NOT_A_PROGRAM', 'Program.map: p is the number 3');
    expectCode(() => Program.tap(p, bad(null)), 'INVALID_ARGUMENT', 'Program.tap: f is null');
    expectCode(() => Program.chain(bad('p'), () => p), 'NOT_A_PROGRAM', 'Program.chain: p is the string "p"');
    expectCode(() => Program.ap(bad(1), p), 'NOT_A_PROGRAM', 'Program.ap: pf is the number 1');
    expectCode(() => Program.ap(Program.of((n: number) => n), bad(1)), 'NOT_A_PROGRAM', 'Program.ap: pa is the number 1');
    expectCode(() => run(Program.ap(bad(Program.of(5)), p)), 'INVALID_ARGUMENT', 'Program.ap: the result of pf is the number 5');
    expectCode(() => Program.sync(bad(5)), 'INVALID_ARGUMENT', 'Program.sync: thunk is the number 5');
    expectCode(() => Program.defer(bad({})), 'INVALID_ARGUMENT', 'Program.defer: thunk is an empty object');
    expectCode(() => Program.traverse(bad(3), (n: number) => Program.of(n)), 'INVALID_ARGUMENT', 'Program.traverse: items is the number 3');
    expectCode(() => Program.traverse([1], bad('f')), 'INVALID_ARGUMENT', 'Program.traverse: f is the string "f"');
    expectCode(() => Program.fail(bad('oops')), 'INVALID_ARGUMENT', 'Fail.raise: error is the string "oops"', 'pass an Error');
  });

  it('async functions are ASYNC_FUNCTION wherever a program step is given', () => {
    expectCode(() => Program.flatMap(Program.of(1), bad(async () => Program.of(2))), 'ASYNC_FUNCTION', 'Program.flatMap: k is an async function');
    expectCode(() => Program.map(Program.of(1), bad(async (n: number) => n)), 'ASYNC_FUNCTION', 'Program.map');
    expectCode(() => Program.sync(async () => 1), 'ASYNC_FUNCTION', 'Program.sync', 'IO.promise');
    // a plain function that returns a promise is caught when it runs
    expectCode(() => run(Program.sync(() => Promise.resolve(1))), 'ASYNC_FUNCTION', 'Program.sync: the thunk returned a promise', 'runPromise');
    expectCode(() => run(Program.flatMap(Program.of(1), () => bad(Promise.resolve(Program.of(2))))), 'ASYNC_FUNCTION', 'Program.flatMap', 'IO.promise');
  });

  it('a refused promise that later rejects is handled, not an unhandled rejection', async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: unknown): void => void rejections.push(e);
    process.on('unhandledRejection', onRejection);
    try {
      expectCode(() => run(Program.sync(() => Promise.reject(new Error('late')))), 'ASYNC_FUNCTION');
      expectCode(() => run(Program.flatMap(Program.of(1), () => bad(Promise.reject(new Error('late'))))), 'ASYNC_FUNCTION');
      await new Promise((r) => setTimeout(r, 20));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('handlers check the program they are given', () => {
    const key = random.key(0);
    expectCode(() => State.run({})(bad(1)), 'NOT_A_PROGRAM', 'State.run: program is the number 1');
    expectCode(() => Random.run(key)(bad(() => Program.of(1))), 'NOT_A_PROGRAM', 'Random.run: program is a function');
    expectCode(() => Log.collect(bad(undefined)), 'NOT_A_PROGRAM', 'Log.collect');
    expectCode(() => Log.print(bad([])), 'NOT_A_PROGRAM', 'Log.print');
    expectCode(() => Fail.either(bad('x')), 'NOT_A_PROGRAM', 'Fail.either');
  });
});

describe('Program: programs and the companions cannot be changed', () => {
  it('assigning to a program changes nothing it does (it used to replace its node)', () => {
    const p = Program.of(1);
    const q = Program.map(p, (n) => n + 1);
    expect(() => {
      (q as unknown as { node: unknown }).node = { _tag: 'Pure', value: 99 };
    }).not.toThrow();
    expect(run(q)).toBe(2);
    expect(Object.keys(q)).toEqual(['node']);
    // the prototype all programs share is frozen: its iterator cannot be replaced
    const proto = Object.getPrototypeOf(p) as Record<symbol, unknown>;
    expect(Object.isFrozen(proto)).toBe(true);
    expect(() => {
      proto[Symbol.iterator] = null;
    }).toThrow(TypeError);
    expect(run(Program.gen(function* () { return (yield* p) + 1; }))).toBe(2);
  });

  it('the companion objects and fp-ts instances are frozen (a replaced Program.map changed every caller)', () => {
    for (const o of [Program, State, Log, Random, Fail, Program.Functor, Program.Apply, Program.Applicative, Program.Chain, Program.Monad]) {
      expect(Object.isFrozen(o)).toBe(true);
    }
    expect(() => {
      (Program as { map: unknown }).map = null;
    }).toThrow(TypeError);
  });

  it('Program.traverse and Program.all keep what they were given when built', () => {
    const items = [1, 2];
    const t = Program.traverse(items, (n) => Program.of(n * 10));
    items.push(3);
    expect(run(t)).toEqual([10, 20]);
    const list = [Program.of('a')];
    const a = Program.all(list);
    list.push(Program.of('b'));
    expect(run(a)).toEqual(['a']);
  });
});

describe('Program: data-last combinators for pipe', () => {
  it('map, flatMap, chain, tap and ap work in pipe', () => {
    const p = pipe(
      Program.of(2),
      Program.map((n: number) => n * 10),
      Program.flatMap((n: number) => logged('n', n + 1)),
      Program.tap((n: number) => Log.value('tapped', n)),
      Program.chain((n: number) => Program.of(`${n}!`)),
    );
    expect(run(Log.collect(p))).toEqual([
      '21!',
      [
        { label: 'n', value: 21 },
        { label: 'tapped', value: 21 },
      ],
    ]);
    expect(run(pipe(Program.of((n: number) => n * 3), Program.ap(Program.of(7))))).toBe(21);
  });

  it('data-first and data-last give the same program results', () => {
    const f = (n: number): number => n - 1;
    expect(run(Program.map(f)(Program.of(5)))).toBe(run(Program.map(Program.of(5), f)));
  });
});
