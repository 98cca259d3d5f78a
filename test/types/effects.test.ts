/**
 * Type-level tests of the effect system, checked by `tsc --noEmit` (the tsconfig includes `test/`):
 * each handler removes exactly its tag, `gen` accumulates the union of what it yields, transforms
 * keep the effects of the program they differentiate, and `run` refuses unhandled effects (an unused
 * `@ts-expect-error` fails the type check). The runtime assertions check the same programs run.
 */
import type { Either } from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  AdjointError,
  Checked,
  type Cell,
  type EffectTag,
  Fail,
  grad,
  hessian,
  IO,
  item,
  jacfwd,
  jacrev,
  jvp,
  Log,
  type LogEntry,
  mul,
  observe,
  Observe,
  printTape,
  Program,
  random,
  Random,
  run,
  runPromise,
  State,
  type StateSnapshot,
  type Tensor,
  tensor,
  valueAndGrad,
  vjp,
} from '../../src/index.js';

const n = State.cell<number>('n');
const key = random.key(0);

const stateLog: Program<string, 'State' | 'Log'> = Program.flatMap(State.get(n), (v) => Program.map(Log.value('v', v), () => String(v)));
const all6: Program<number, EffectTag> = Program.of(6);

describe('types: each handler removes exactly its tag', () => {
  it('State.run', () => {
    expectTypeOf(State.run({})(stateLog)).toEqualTypeOf<Program<readonly [string, StateSnapshot<{}>], 'Log'>>();
    expectTypeOf(State.run({})(all6)).toEqualTypeOf<Program<readonly [number, StateSnapshot], 'Random' | 'Log' | 'Observe' | 'Fail' | 'IO'>>();
    expect(run(Log.collect(State.run({ n: 1 })(stateLog)))).toEqual([['1', { n: 1 }], [{ label: 'v', value: 1 }]]);
  });

  it('Random.run', () => {
    expectTypeOf(Random.run(key)(all6)).toEqualTypeOf<Program<number, 'State' | 'Log' | 'Observe' | 'Fail' | 'IO'>>();
  });

  it('Log.collect and Log.print', () => {
    expectTypeOf(Log.collect(stateLog)).toEqualTypeOf<Program<readonly [string, ReadonlyArray<LogEntry>], 'State'>>();
    expectTypeOf(Log.print(stateLog)).toEqualTypeOf<Program<string, 'State'>>();
  });

  it('Observe.run', () => {
    expectTypeOf(Observe.run(all6)).toEqualTypeOf<Program<number, 'State' | 'Random' | 'Log' | 'Fail' | 'IO'>>();
  });

  it('Fail.either', () => {
    expectTypeOf(Fail.either(all6)).toEqualTypeOf<Program<Either<Error, number>, 'State' | 'Random' | 'Log' | 'Observe' | 'IO'>>();
  });

  it('IO.run', () => {
    expectTypeOf(IO.run(all6)).toEqualTypeOf<Program<number, 'State' | 'Random' | 'Log' | 'Observe' | 'Fail'>>();
  });

  it('a handler for an absent tag leaves the effects as they are', () => {
    expectTypeOf(IO.run(stateLog)).toEqualTypeOf<Program<string, 'State' | 'Log'>>();
    expectTypeOf(Observe.run(Program.of(1))).toEqualTypeOf<Program<number, never>>();
  });

  it('all handlers together give a runnable program', () => {
    const p = IO.run(Observe.run(Fail.either(Log.collect(Random.run(key)(State.run({ n: 1 })(Program.map(State.get(n), (v) => v + 1)))))));
    type Snap = StateSnapshot<{ n: number }>;
    expectTypeOf(p).toEqualTypeOf<Program<Either<Error, readonly [readonly [number, Snap], ReadonlyArray<LogEntry>]>, never>>();
    const r = run(p);
    expectTypeOf(r).toEqualTypeOf<Either<Error, readonly [readonly [number, Snap], ReadonlyArray<LogEntry>]>>();
    expect(r).toEqual({ _tag: 'Right', right: [[2, { n: 1 }], []] });
  });
});

describe('types: constructors and combinators', () => {
  it('effect constructors carry their tag', () => {
    expectTypeOf(State.get(n)).toEqualTypeOf<Program<number, 'State'>>();
    expectTypeOf(State.set(n, 1)).toEqualTypeOf<Program<void, 'State'>>();
    expectTypeOf(State.version(n)).toEqualTypeOf<Program<number, 'State'>>();
    expectTypeOf(Random.normal([2])).toEqualTypeOf<Program<Tensor, 'Random'>>();
    expectTypeOf(Random.split()).toEqualTypeOf<Program<random.Key, 'Random'>>();
    expectTypeOf(Log.value('a', 1)).toEqualTypeOf<Program<void, 'Log'>>();
    expectTypeOf(observe(1)).toEqualTypeOf<Program<number, 'Observe'>>();
    expectTypeOf(Checked.log(1)).toEqualTypeOf<Program<Tensor, 'Fail'>>();
    expectTypeOf(Fail.raise(new Error('x'))).toEqualTypeOf<Program<never, 'Fail'>>();
    expectTypeOf(IO.call(() => 'x')).toEqualTypeOf<Program<string, 'IO'>>();
    expectTypeOf(Program.of(1)).toEqualTypeOf<Program<number, never>>();
    expectTypeOf(State.cell<Tensor>('w')).toEqualTypeOf<Cell<Tensor>>();
  });

  it('flatMap, ap, tap and all take the union of effects; map keeps them', () => {
    expectTypeOf(Program.flatMap(State.get(n), (v) => Log.value('v', v))).toEqualTypeOf<Program<void, 'State' | 'Log'>>();
    expectTypeOf(Program.map(State.get(n), String)).toEqualTypeOf<Program<string, 'State'>>();
    expectTypeOf(Program.tap(State.get(n), () => observe(1))).toEqualTypeOf<Program<number, 'State' | 'Observe'>>();
    expectTypeOf(Program.ap(Program.map(Random.normal([1]), () => (v: number) => v > 0), State.get(n))).toEqualTypeOf<Program<boolean, 'Random' | 'State'>>();
    expectTypeOf(Program.all([State.get(n), Log.value('a', 1)] as const)).toEqualTypeOf<Program<[number, void], 'State' | 'Log'>>();
    expectTypeOf(Program.all({ a: State.get(n), b: IO.call(() => 'x') })).toEqualTypeOf<Program<{ readonly a: number; readonly b: string }, 'State' | 'IO'>>();
    expectTypeOf(Program.traverse([1, 2], (v) => Program.map(Log.value('v', v), () => v))).toEqualTypeOf<Program<ReadonlyArray<number>, 'Log'>>();
  });

  it('gen accumulates the union of the effects it yields', () => {
    const p = Program.gen(function* () {
      const v = yield* State.get(n);
      yield* Log.value('v', v);
      const k = yield* observe(v);
      return k > 0 ? 'pos' : 'neg';
    });
    expectTypeOf(p).toEqualTypeOf<Program<'pos' | 'neg', 'State' | 'Log' | 'Observe'>>();
    const pure = Program.gen(function* () {
      return (yield* Program.of(2)) + 1;
    });
    expectTypeOf(pure).toEqualTypeOf<Program<number, never>>();
    expect(run(pure)).toBe(3);
    expect(run(Observe.run(Log.collect(State.run({ n: 5 })(p))))).toEqual([[('pos' as const), { n: 5 }], [{ label: 'v', value: 5 }]]);
  });
});

describe('types: transforms keep the effects', () => {
  const w = State.cell<Tensor>('w');
  const f = (x: Tensor) =>
    Program.gen(function* () {
      const e = yield* Random.normal([]);
      const wv = yield* State.get(w);
      return mul(mul(x, wv), e);
    });

  it('grad, valueAndGrad, jacrev, jacfwd, hessian, jvp, vjp and printTape of an effectful function are programs with its effects', () => {
    expectTypeOf(f).returns.toEqualTypeOf<Program<Tensor, 'Random' | 'State'>>();
    expectTypeOf(grad(f)(tensor(1))).toEqualTypeOf<Program<Tensor, 'State' | 'Random'>>();
    expectTypeOf(grad(grad(f))(tensor(1))).toEqualTypeOf<Program<Tensor, 'State' | 'Random'>>();
    expectTypeOf(valueAndGrad(f)(tensor(1))).toEqualTypeOf<Program<readonly [Tensor, Tensor], 'State' | 'Random'>>();
    expectTypeOf(jacrev(f)(tensor(1))).toEqualTypeOf<Program<Tensor, 'State' | 'Random'>>();
    expectTypeOf(jacfwd(f)(tensor(1))).toEqualTypeOf<Program<Tensor, 'State' | 'Random'>>();
    expectTypeOf(hessian(f)(tensor(1))).toEqualTypeOf<Program<Tensor, 'State' | 'Random'>>();
    expectTypeOf(jvp(f, [tensor(1)], [tensor(1)])).toEqualTypeOf<Program<readonly [Tensor, Tensor], 'State' | 'Random'>>();
    expectTypeOf(vjp(f, tensor(1))).toEqualTypeOf<Program<readonly [Tensor, (ct: Tensor | number) => readonly [Tensor]], 'State' | 'Random'>>();
    expectTypeOf(printTape(f)(tensor(1))).toEqualTypeOf<Program<string, 'State' | 'Random'>>();
  });

  it('the gradient program runs once its effects are handled', () => {
    const [g] = run(State.run({ w: tensor(3) })(Random.run(key)(grad(f)(tensor(1)))));
    const e = run(Random.run(key)(Random.normal([])));
    expect(item(g)).toBeCloseTo(3 * item(e), 12);
  });
});

describe('types: run refuses unhandled effects', () => {
  it('run of a program with an effect is a type error (and throws UNHANDLED_EFFECT if forced)', () => {
    // @ts-expect-error State is not handled
    expect(() => run(State.get(n))).toThrow(AdjointError);
    // @ts-expect-error Log is handled, State is not
    expect(() => run(Log.collect(State.get(n)))).toThrow(/State/);
    // @ts-expect-error Random is not handled
    expect(() => run(State.run({})(Random.normal([1])))).toThrow(/Random/);
    // @ts-expect-error the effects of a differentiated program must be handled outside grad
    expect(() => run(grad((x: Tensor) => Program.map(observe(x), () => x))(tensor(1)))).toThrow(/Observe/);
    // @ts-expect-error Fail is not handled
    expect(() => run(Checked.log(-1))).toThrow(/Fail/);
    // @ts-expect-error IO is not handled
    expect(() => run(IO.call(() => 1))).toThrow(/IO/);
  });

  it('a pure program runs', () => {
    expectTypeOf(run(Program.of(1))).toEqualTypeOf<number>();
    expect(run(Program.map(Program.of(20), (v) => v + 22))).toBe(42);
  });
});

describe('types: State.run types the initial state and the snapshot', () => {
  it('the snapshot has the initial cells with their types; cells first written in the program are unknown', () => {
    const w = State.cell<Tensor>('w');
    const p = State.run({ x: 1, w: tensor([1, 2]), hist: [0.5] })(Program.flatMap(State.set(w, tensor(3)), () => State.get(n)));
    type Snap = StateSnapshot<{ x: number; w: Tensor; hist: number[] }>;
    expectTypeOf(p).toEqualTypeOf<Program<readonly [number, Snap], never>>();
    const snap = {} as Snap;
    expectTypeOf(snap.x).toEqualTypeOf<number>();
    expectTypeOf(snap.w).toEqualTypeOf<Tensor>();
    expectTypeOf(snap.hist).toEqualTypeOf<number[]>();
    expectTypeOf(snap['other']).toEqualTypeOf<unknown>();
    // @ts-expect-error the snapshot is read-only
    snap.x = 2;
    const [[, s]] = [run(State.run({ x: 1, n: 2 })(State.get(n)))];
    expectTypeOf(s.x).toEqualTypeOf<number>();
    expect(s.x).toBe(1);
  });
});

describe('types: pipe, Program.of, async', () => {
  it('map, flatMap, chain, tap and ap are data-last in pipe, and keep the effects', () => {
    const c = State.cell<number>('c');
    const p = pipe(
      Program.of(2),
      Program.map((k) => k * 2),
      Program.flatMap((k) => Log.value('k', k)),
      Program.tap(() => State.get(c)),
    );
    expectTypeOf(p).toEqualTypeOf<Program<void, 'Log' | 'State'>>();
    expectTypeOf(pipe(Program.of(2), Program.chain((k) => Program.of(String(k))))).toEqualTypeOf<Program<string, never>>();
    expectTypeOf(pipe(Program.of((k: number) => k > 1), Program.ap(IO.call(() => 3)))).toEqualTypeOf<Program<boolean, 'IO'>>();
    expectTypeOf(Program.map((k: number) => String(k))).toEqualTypeOf<<E>(p: Program<number, E>) => Program<string, E>>();
    expect(run(Log.collect(State.run({ c: 0 })(p)))).toEqual([[undefined, { c: 0 }], [{ label: 'k', value: 4 }]]);
  });

  it('Program.of has no effects', () => {
    expectTypeOf(Program.of(tensor(1))).toEqualTypeOf<Program<Tensor, never>>();
    expectTypeOf(Program.of({ a: [1] })).toEqualTypeOf<Program<{ a: number[] }, never>>();
    expectTypeOf(run(Program.of('x'))).toEqualTypeOf<string>();
  });

  it('IO.promise gives the awaited type; runPromise a promise; IO.call refuses promise-returning thunks', async () => {
    expectTypeOf(IO.promise(async () => 5)).toEqualTypeOf<Program<number, 'IO'>>();
    expectTypeOf(IO.promise(() => Promise.resolve(tensor(1)))).toEqualTypeOf<Program<Tensor, 'IO'>>();
    expectTypeOf(runPromise(IO.run(IO.promise(async () => 'a')))).toEqualTypeOf<Promise<string>>();
    // @ts-expect-error IO is not handled
    await expect(runPromise(IO.promise(async () => 1))).rejects.toThrow(/IO\.run/);
    // @ts-expect-error an async thunk belongs in IO.promise
    expect(() => IO.call(async () => 5)).toThrow(AdjointError);
    // @ts-expect-error so does a thunk returning a promise
    const p = IO.call(() => Promise.resolve(5));
    expect(() => run(IO.run(p))).toThrow(/IO\.promise/);
    expect(await runPromise(IO.run(IO.promise(async () => 'a')))).toBe('a');
  });
});
