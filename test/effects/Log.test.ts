import { fc, test } from '@fast-check/vitest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { add, grad, item, jvp, Log, mul, Program, run, scalar, sin, Tensor, tensor, toArray } from '../../src/index.js';

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
