import { fc, test } from '@fast-check/vitest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AdjointError, add, grad, item, jvp, Log, mul, Program, run, scalar, sin, Tensor, tensor, toArray } from '../../src/index.js';

const SEED = { seed: 11, numRuns: 25 } as const;

/** A concrete tensor: a plain Tensor, not a tracer (tracers are a subclass). */
const isConcrete = (t: unknown): boolean => t instanceof Tensor && Object.getPrototypeOf(t) === Tensor.prototype;

/** y = x^2, z = y * x, w = sin(z); logs y, z, w and a pytree; returns z + w. */
const f = (x: Tensor) =>
  Program.gen(function* () {
    const y = mul(x, x);
    yield* Log.value('y', y);
    const z = mul(y, x);
    yield* Log.value('z', z);
    const w = sin(z);
    yield* Log.value('w', w);
    yield* Log.value('tree', { y, parts: [z, 7] });
    return add(z, w);
  });

describe('Log', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('collect returns [result, entries] in program order, frozen', () => {
    const [r, logs] = run(Log.collect(f(scalar(2))));
    expect(item(r)).toBeCloseTo(8 + Math.sin(8), 12);
    expect(logs.map((e) => e.label)).toEqual(['y', 'z', 'w', 'tree']);
    expect(item(logs[0]!.value as Tensor)).toBe(4);
    expect(Object.isFrozen(logs)).toBe(true);
    expect(Object.isFrozen(logs[0])).toBe(true);
  });

  test.prop([fc.double({ min: -2, max: 2, noNaN: true })], SEED)(
    'under grad(grad(f)) each Log.value is emitted once, in order, with concrete primal values',
    (x0) => {
      const [g2, logs] = run(Log.collect(grad(grad(f))(scalar(x0))));
      // d2/dx2 (x^3 + sin x^3) = 6x + 6x cos(x^3) - 9x^4 sin(x^3)
      const x3 = x0 ** 3;
      expect(item(g2)).toBeCloseTo(6 * x0 + 6 * x0 * Math.cos(x3) - 9 * x0 ** 4 * Math.sin(x3), 8);
      expect(logs.map((e) => e.label)).toEqual(['y', 'z', 'w', 'tree']);
      const [y, z, w, tree] = logs.map((e) => e.value) as [Tensor, Tensor, Tensor, { y: Tensor; parts: [Tensor, number] }];
      for (const v of [y, z, w, tree.y, tree.parts[0]]) expect(isConcrete(v)).toBe(true);
      expect(item(y)).toBeCloseTo(x0 * x0, 12);
      expect(item(z)).toBeCloseTo(x3, 12);
      expect(item(w)).toBeCloseTo(Math.sin(x3), 12);
      expect(item(tree.parts[0])).toBeCloseTo(x3, 12);
      expect(tree.parts[1]).toBe(7);
    },
  );

  it('under grad and jvp the entries are concrete too, and the result is the derivative', () => {
    const [g, logs] = run(Log.collect(grad(f)(scalar(1))));
    expect(item(g)).toBeCloseTo(3 + 3 * Math.cos(1), 12);
    expect(logs.map((e) => isConcrete(e.value))).toEqual([true, true, true, false]);
    const [[y, dy], logs2] = run(Log.collect(jvp(f, [scalar(1)], [scalar(2)])));
    expect(item(y)).toBeCloseTo(1 + Math.sin(1), 12);
    expect(item(dy)).toBeCloseTo(2 * (3 + 3 * Math.cos(1)), 12);
    expect(logs2).toHaveLength(4);
    expect(isConcrete(logs2[1]!.value)).toBe(true);
  });

  it('each run of the program logs again (once per forward execution)', () => {
    const p = Log.collect(grad(f)(scalar(1)));
    expect(run(p)[1]).toHaveLength(4);
    expect(run(p)[1]).toHaveLength(4);
  });

  it('print prints each entry as `label: value` and returns the result (not a pair)', () => {
    const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const p = Program.gen(function* () {
      yield* Log.value('a', 1);
      yield* Log.value('t', tensor([1, 2]));
      return 'done';
    });
    const r = run(Log.print(p));
    expect(r).toBe('done');
    expect(spy).toHaveBeenCalledTimes(2);
    expect(spy.mock.calls[0]).toEqual(['a: 1']);
    expect(String(spy.mock.calls[1]![0])).toMatch(/^t: /);
  });

  it('print under grad prints primal values and returns the gradient', () => {
    const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const h = (x: Tensor) => Program.map(Log.value('sq', mul(x, x)), () => mul(x, mul(x, x)));
    const g = run(Log.print(grad(h)(scalar(3))));
    expect(item(g)).toBe(27);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(String(spy.mock.calls[0]![0])).toMatch(/^sq: /);
    expect(String(spy.mock.calls[0]![0])).toMatch(/9/);
  });

  it('values logged are the values at that point (later computations do not change them)', () => {
    const p = Program.gen(function* () {
      let acc = tensor([0, 0]);
      for (let i = 1; i <= 3; i++) {
        acc = add(acc, i);
        yield* Log.value(`acc${i}`, acc);
      }
      return acc;
    });
    const [, logs] = run(Log.collect(p));
    expect(logs.map((e) => toArray(e.value as Tensor))).toEqual([
      [1, 1],
      [3, 3],
      [6, 6],
    ]);
  });
});

// ---- the boundary and immutability --------------------------------------------------------------------

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

describe('Log: arguments and entries', () => {
  it('a label that is not a string is INVALID_ARGUMENT (it was recorded as is)', () => {
    expectCode(() => Log.value(bad(5), 1), 'INVALID_ARGUMENT', 'Log.value: label is the number 5', 'pass a string');
    expectCode(() => Log.value(bad(undefined), 1), 'INVALID_ARGUMENT', 'label is undefined');
    expectCode(() => Log.value(bad({ toString: () => 'x' }), 1), 'INVALID_ARGUMENT', 'label is an object with keys toString');
  });

  it('a missing value is refused, as State.set refuses it (it logged undefined)', () => {
    expectCode(() => (Log.value as (...a: unknown[]) => unknown)('loss'), 'INVALID_ARGUMENT', 'Log.value: value is undefined', 'Log.value(label, value)');
    expectCode(() => Log.value('loss', undefined), 'INVALID_ARGUMENT', 'Log.value: value is undefined', 'null');
    expectCode(() => (Log.value as (...a: unknown[]) => unknown)('loss', 1, 2), 'INVALID_ARGUMENT', 'got 3 arguments');
    expect(run(Log.collect(Log.value('nothing', null)))[1]).toEqual([{ label: 'nothing', value: null }]);
  });

  it('functions and symbols are refused, as in State: effects keep data (they were kept as is)', () => {
    expectCode(() => Log.value('f', () => 1), 'INVALID_ARGUMENT', 'Log.value: the value at the top level is a function, which is not data', 'effects keep data');
    expectCode(() => Log.value('s', { tag: Symbol('t') }), 'INVALID_ARGUMENT', 'the value at .tag is a symbol');
    expectCode(() => Log.value('m', new Map([[Symbol('k'), 1]])), 'INVALID_ARGUMENT', 'a symbol');
    // every other primitive is data
    expect(run(Log.collect(Log.value('p', { n: 1, s: 'a', b: true, i: 2n, u: undefined, z: null })))[1][0]!.value).toEqual({ n: 1, s: 'a', b: true, i: 2n, u: undefined, z: null });
  });

  it('a Map or typed array in an entry is the caller\'s own copy: changing it changes no other entry, run or printed line', () => {
    const p = Log.value('m', { m: new Map([['k', 1]]), data: new Float64Array([1]) });
    const [, first] = run(Log.collect(p));
    const [, second] = run(Log.collect(p));
    const a = first[0]!.value as { m: Map<string, number>; data: Float64Array };
    const b = second[0]!.value as typeof a;
    expect(a.m).not.toBe(b.m);
    a.m.set('k', 55);
    a.data[0] = 55;
    expect([...b.m]).toEqual([['k', 1]]);
    expect(Array.from((run(Log.collect(p))[1][0]!.value as typeof a).data)).toEqual([1]);
    // the entry itself and its plain parts are frozen; a Map or typed array cannot be
    expect(Object.isFrozen(first[0]) && Object.isFrozen(a)).toBe(true);
  });

  it('a cyclic payload is CYCLIC_TREE; a class instance or a promise is refused', () => {
    const cyc: unknown[] = [1];
    cyc.push({ back: cyc });
    expectCode(() => Log.value('c', cyc), 'CYCLIC_TREE', 'Log.value: the value contains itself', 'the array at [1].back is the one at the top level');
    class Model {}
    expectCode(() => Log.value('m', { model: new Model() }), 'INVALID_ARGUMENT', 'Log.value: the value at .model is a Model');
    expectCode(() => Log.value('p', Promise.resolve(1)), 'ASYNC_FUNCTION', 'Log.value');
  });

  it("an entry holds a frozen copy: changing the caller's object later does not change the log (it did)", () => {
    const payload = { loss: 1, hist: [1, 2] };
    const p = Program.flatMap(Log.value('state', payload), () => {
      payload.loss = 99;
      payload.hist.push(3);
      return Program.of('done');
    });
    const [, logs] = run(Log.collect(p));
    expect(logs[0]!.value).toEqual({ loss: 1, hist: [1, 2] });
    expect(Object.isFrozen(logs[0]!.value)).toBe(true);
    expect(Object.isFrozen((logs[0]!.value as { hist: number[] }).hist)).toBe(true);
    expect(Object.isFrozen(payload)).toBe(false);
    expect(Object.isFrozen(logs[0])).toBe(true);
  });

  it('typed arrays and Maps in a payload: the log keeps a copy, and each run hands out its own', () => {
    const data = new Float64Array([1, 2]);
    const p = Log.value('data', { data, counts: new Map([['a', 1]]) });
    data[0] = 50;
    const [, logs] = run(Log.collect(p));
    const v = logs[0]!.value as { data: Float64Array; counts: Map<string, number> };
    expect(Array.from(v.data)).toEqual([1, 2]);
    v.data[1] = -1;
    v.counts.set('b', 2);
    const [, again] = run(Log.collect(p));
    const w = again[0]!.value as typeof v;
    expect(Array.from(w.data)).toEqual([1, 2]);
    expect([...w.counts]).toEqual([['a', 1]]);
  });

  it('Log.print prints a value with no string form (a null-prototype object) instead of throwing a TypeError', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const bare = Object.create(null) as Record<string, number>;
    bare['a'] = 1;
    run(Log.print(Log.value('bare', bare)));
    expect(lines).toEqual(['bare: [object Object]']);
  });

  it('a payload nested 10,000 deep is logged', () => {
    let deep: unknown = tensor(1);
    for (let i = 0; i < 10_000; i++) deep = { inner: deep };
    const [, logs] = run(Log.collect(grad((x: Tensor) => Program.map(Log.value('deep', { x, deep }), () => mul(x, 2)))(3)));
    let v = (logs[0]!.value as { deep: unknown }).deep;
    let depth = 0;
    while (!(v instanceof Tensor)) {
      v = (v as { inner: unknown }).inner;
      depth++;
    }
    expect(depth).toBe(10_000);
    expect(isConcrete((logs[0]!.value as { x: Tensor }).x)).toBe(true);
  });
});
