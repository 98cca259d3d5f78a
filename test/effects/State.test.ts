import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  AdjointError,
  add,
  type Cell,
  grad,
  item,
  mul,
  printTape,
  Program,
  run,
  scalar,
  State,
  sum,
  Tensor,
  tensor,
  toArray,
} from '../../src/index.js';

const SEED = { seed: 11, numRuns: 25 } as const;

/**
 * `State.modify` for a cell holding a tensor. The cast works around `Draft<Tensor>` not being
 * assignable to `Tensor` in the recipe's parameter type (see the report).
 */
const modifyTensor = (cell: Cell<Tensor>, f: (t: Tensor) => Tensor): Program<void, 'State'> =>
  State.modify(cell, (d) => f(d as unknown as Tensor));

function thrown(f: () => unknown): AdjointError {
  try {
    f();
  } catch (e) {
    return e as AdjointError;
  }
  throw new Error('expected a throw');
}

/** A concrete tensor: a plain Tensor, not a tracer (tracers are a subclass). */
const isConcrete = (t: unknown): boolean => t instanceof Tensor && Object.getPrototypeOf(t) === Tensor.prototype;

type Params = { readonly w: Tensor; readonly b: readonly Tensor[] };
const paramsCell = State.cell<Params>('params');

const vec = fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 4 });

describe('State: versions', () => {
  test.prop([vec, fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true })], SEED)(
    'a value read earlier is unchanged and frozen after a later immer modify',
    (w, b, k) => {
      const p = Program.gen(function* () {
        const before = yield* State.get(paramsCell);
        yield* State.modify(paramsCell, (draft) => {
          draft.w = mul(draft.w as unknown as Tensor, k) as never;
          draft.b[0] = add(draft.b[0] as unknown as Tensor, 1) as never;
          draft.b.push(tensor(k) as never);
        });
        const after = yield* State.get(paramsCell);
        return [before, after] as const;
      });
      const [[before, after], final] = run(State.run({ params: { w: tensor(w), b: [scalar(b)] } })(p));
      // the earlier version is untouched
      expect(toArray(before.w)).toEqual(w);
      expect(before.b).toHaveLength(1);
      expect(item(before.b[0]!)).toBe(b);
      // and cannot be changed
      expect(Object.isFrozen(before)).toBe(true);
      expect(Object.isFrozen(before.b)).toBe(true);
      // the new version has the edits and is frozen too
      expect(toArray(after.w)).toEqual(w.map((v) => v * k));
      expect(after.b.map((t) => item(t))).toEqual([b + 1, k]);
      expect(Object.isFrozen(after)).toBe(true);
      expect(Object.isFrozen(after.b)).toBe(true);
      expect(final.params).toBe(after);
    },
  );

  test.prop([vec, fc.double({ min: -3, max: 3, noNaN: true })], SEED)(
    'a version produced by modify stays unchanged and frozen after a further modify',
    (w, k) => {
      const p = Program.gen(function* () {
        yield* State.modify(paramsCell, (draft) => {
          draft.w = mul(draft.w as unknown as Tensor, 2) as never;
        });
        const v1 = yield* State.get(paramsCell);
        yield* State.modify(paramsCell, (draft) => {
          draft.w = add(draft.w as unknown as Tensor, k) as never;
          draft.b.pop();
        });
        const v2 = yield* State.get(paramsCell);
        return [v1, v2] as const;
      });
      const [[v1, v2]] = run(State.run({ params: { w: tensor(w), b: [scalar(1)] } })(p));
      expect(toArray(v1.w)).toEqual(w.map((v) => v * 2));
      expect(v1.b).toHaveLength(1);
      expect(Object.isFrozen(v1)).toBe(true);
      expect(Object.isFrozen(v1.b)).toBe(true);
      expect(toArray(v2.w)).toEqual(w.map((v) => v * 2 + k));
      expect(v2.b).toHaveLength(0);
    },
  );

  it('a value written by State.set is not changed by a later modify, and is frozen', () => {
    const written = { w: tensor([1, 2]), b: [scalar(3)] };
    const p = Program.gen(function* () {
      yield* State.set(paramsCell, written);
      const before = yield* State.get(paramsCell);
      yield* State.modify(paramsCell, (draft) => {
        draft.b.push(scalar(4) as never);
      });
      return before;
    });
    const [before, final] = run(State.run({})(p));
    expect(before.b).toHaveLength(1);
    expect((final.params as Params).b).toHaveLength(2);
    expect(Object.isFrozen(before)).toBe(true);
  });

  it('State.version counts the writes (0 for the initial value)', () => {
    const x = State.cell<number>('x');
    const p = Program.gen(function* () {
      const v0 = yield* State.version(x);
      yield* State.set(x, 5);
      const v1 = yield* State.version(x);
      yield* State.modify(x, (n) => n + 1);
      yield* State.modify(x, (n) => n * 2);
      const v3 = yield* State.version(x);
      return [v0, v1, v3];
    });
    expect(run(State.run({ x: 0 })(p))).toEqual([[0, 1, 3], { x: 12 }]);
  });

  it('State.run(initial) returns [result, finalState] (frozen), with untouched cells kept', () => {
    const x = State.cell<number>('x');
    const r = run(State.run({ x: 1, other: 'kept' })(Program.map(State.set(x, 2), () => 'done')));
    expect(r).toEqual(['done', { x: 2, other: 'kept' }]);
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r[1])).toBe(true);
  });

  it('each run starts from the initial state (handler state is private to one run)', () => {
    const x = State.cell<number>('x');
    const p = State.run({ x: 0 })(Program.flatMap(State.modify(x, (n) => n + 1), () => State.get(x)));
    expect(run(p)[0]).toBe(1);
    expect(run(p)[0]).toBe(1);
  });

  it('nested State handlers: the inner one answers', () => {
    const x = State.cell<number>('x');
    const inner = State.run({ x: 10 })(Program.flatMap(State.set(x, 11), () => State.get(x)));
    const outer = State.run({ x: 0 })(Program.flatMap(inner, ([v]) => Program.map(State.get(x), (o) => [v, o])));
    expect(run(outer)).toEqual([[11, 0], { x: 0 }]);
  });

  it('reading, modifying or versioning an unset cell raises STATE_UNSET naming the cell', () => {
    const y = State.cell<number>('missing');
    for (const p of [State.get(y), State.modify(y, (n) => n + 1), State.version(y)] as Program<unknown, 'State'>[]) {
      const e = thrown(() => run(State.run({ x: 1 })(p)));
      expect(e).toBeInstanceOf(AdjointError);
      expect(e.code).toBe('STATE_UNSET');
      expect(e.message).toMatch(/missing/);
    }
  });

  it('modify of a non-draftable value whose recipe returns nothing raises INVALID_ARGUMENT', () => {
    const x = State.cell<Tensor>('x');
    const e = thrown(() => run(State.run({ x: scalar(1) })(State.modify<Tensor>(x, () => undefined))));
    expect(e.code).toBe('INVALID_ARGUMENT');
  });
});

describe('State: gradients', () => {
  const x = State.cell<Tensor>('x');
  // x = x0; x = x * x; x = x + 1
  const ssa = (x0: Tensor) =>
    Program.gen(function* () {
      yield* State.set(x, x0);
      yield* modifyTensor(x, (v) => mul(v, v));
      yield* modifyTensor(x, (v) => add(v, 1));
      return yield* State.get(x);
    });

  it('the SSA example x = 2; x = x * x; x = x + 1 has d(result)/d(x0) = 4', () => {
    const [g, final] = run(State.run({})(grad(ssa)(scalar(2))));
    expect(item(g)).toBe(4);
    expect(item(final.x as Tensor)).toBe(5);
  });

  test.prop([fc.double({ min: -5, max: 5, noNaN: true })], SEED)('the SSA example: d/dx0 = 2 x0', (x0) => {
    const [g] = run(State.run({})(grad(ssa)(scalar(x0))));
    expect(item(g)).toBeCloseTo(2 * x0, 10);
  });

  it('printTape of the SSA example shows the versions', () => {
    const [text] = run(State.run({})(printTape(ssa)(scalar(2))));
    expect(text).toMatch(/State\.set x@1/);
    expect(text).toMatch(/State\.set x@2/);
    expect(text).toMatch(/State\.get x@2/);
  });

  it('a loop of 10,000 writes differentiates correctly: s <- c s + x^2 gives ds/dx = 2x (1 - c^N) / (1 - c)', () => {
    const s = State.cell<Tensor>('s');
    const n = 10_000;
    const c = 0.999;
    const f = (xv: Tensor) =>
      Program.gen(function* () {
        for (let i = 0; i < n; i++) yield* modifyTensor(s, (v) => add(mul(v, c), mul(xv, xv)));
        return yield* State.get(s);
      });
    for (const x0 of [0.5, -1.25]) {
      const [g, final] = run(State.run({ s: scalar(0) })(grad(f)(scalar(x0))));
      const geometric = (1 - c ** n) / (1 - c);
      expect(item(g)).toBeCloseTo(2 * x0 * geometric, 6);
      expect(item(final.s as Tensor)).toBeCloseTo(x0 * x0 * geometric, 6);
    }
  });

  it('gradients flow through a pytree in a cell (set, then modify with an immer recipe)', () => {
    const f = (w: Tensor) =>
      Program.gen(function* () {
        yield* State.set(paramsCell, { w, b: [scalar(1)] });
        yield* State.modify(paramsCell, (draft) => {
          draft.b[0] = mul(draft.w as unknown as Tensor, draft.w as unknown as Tensor) as never;
        });
        const p = yield* State.get(paramsCell);
        return sum(mul(p.b[0]!, p.w));
      });
    // sum(w^3): gradient 3 w^2
    const [g] = run(State.run({})(grad(f)(tensor([1, 2, 3]))));
    expect(toArray(g)).toEqual([3, 12, 27]);
  });

  it('the final state after grad holds concrete tensors, not tracers', () => {
    const [, final] = run(State.run({})(grad(ssa)(scalar(3))));
    expect(isConcrete(final.x)).toBe(true);
    expect(item(final.x as Tensor)).toBe(10);
    expect(toArray(final.x as Tensor)).toBe(10);
  });

  it('the final state after grad(grad) of a pytree cell holds concrete tensors', () => {
    const f = (w: Tensor) =>
      Program.gen(function* () {
        yield* State.set(paramsCell, { w: mul(w, w), b: [mul(w, 3)] });
        const p = yield* State.get(paramsCell);
        return mul(p.w, w);
      });
    const [g2, final] = run(State.run({})(grad(grad(f))(scalar(2))));
    expect(item(g2)).toBe(12);
    const p = final.params as Params;
    expect(isConcrete(p.w)).toBe(true);
    expect(isConcrete(p.b[0])).toBe(true);
    expect(item(p.w)).toBe(4);
    expect(item(p.b[0]!)).toBe(6);
  });
});

// ---- the boundary and immutability --------------------------------------------------------------------

const bad = (v: unknown): never => v as never;

function expectCode(f: () => unknown, code: string, ...mentions: string[]): AdjointError {
  const e = thrown(f);
  expect(e).toBeInstanceOf(AdjointError);
  expect(e.code).toBe(code);
  for (const m of mentions) expect(e.message).toContain(m);
  return e;
}

describe('State: arguments are checked where the caller passes them', () => {
  const c = State.cell<number>('c');

  it('State.set(cell) with no value, or undefined, is INVALID_ARGUMENT (it wrote undefined)', () => {
    expectCode(() => (State.set as (...a: unknown[]) => unknown)(c), 'INVALID_ARGUMENT', 'State.set: value is undefined', 'State.set(cell, value)');
    expectCode(() => State.set(c, bad(undefined)), 'INVALID_ARGUMENT', 'State.set: value is undefined', 'null');
    expect(run(State.run({})(Program.flatMap(State.set(State.cell<null>('n'), null), () => State.get(State.cell<null>('n')))))).toEqual([null, { n: null }]);
  });

  it('State.modify with a recipe that is not a function (it threw a TypeError when run)', () => {
    expectCode(() => State.modify(c, bad(5)), 'INVALID_ARGUMENT', 'State.modify: recipe is the number 5', 'pass a function');
    expectCode(() => State.modify(c, bad(async (v: number) => v + 1)), 'ASYNC_FUNCTION', 'State.modify: recipe is an async function');
    const promising = State.modify(c, bad((v: number) => Promise.resolve(v + 1)));
    expectCode(() => run(State.run({ c: 1 })(promising)), 'ASYNC_FUNCTION', 'State.modify', 'promise');
  });

  it('a cell that is not a cell, or a bad name', () => {
    for (const [f, op] of [
      [() => State.get(bad('c')), 'State.get'],
      [() => State.set(bad({ name: 'c' }), 1), 'State.set'],
      [() => State.modify(bad(null), (v: number) => v), 'State.modify'],
      [() => State.version(bad({ _tag: 'Cell', name: 3 })), 'State.version'],
    ] as const) {
      expectCode(f, 'INVALID_ARGUMENT', `${op}: cell is`, "State.cell('name')");
    }
    expectCode(() => State.cell(bad(3)), 'INVALID_ARGUMENT', 'State.cell: name is the number 3');
    expectCode(() => State.cell(''), 'INVALID_ARGUMENT', 'non-empty');
  });

  it('State.run of something that is not a plain object of values', () => {
    expectCode(() => State.run(bad(5)), 'INVALID_ARGUMENT', 'State.run: initial is the number 5');
    expectCode(() => State.run(bad([1, 2])), 'INVALID_ARGUMENT', 'the array [1, 2]');
    expectCode(() => State.run({ x: bad(undefined) }), 'INVALID_ARGUMENT', 'State.run: the initial value of cell "x" is undefined');
    class Opt {}
    expectCode(() => State.run({ x: { inner: new Opt() } }), 'INVALID_ARGUMENT', 'at .inner is a Opt');
    // (it said "the the initial value")
    expectCode(() => State.run({ c: new Opt() }), 'INVALID_ARGUMENT', 'State.run: the initial value of cell "c" at the top level is a Opt');
    expectCode(() => run(State.run({ c: 1 })(State.modify(c, () => new Opt() as never))), 'INVALID_ARGUMENT', 'State.modify: the new value at the top level is a Opt');
    expectCode(() => State.set(c, bad(new WeakSet())), 'INVALID_ARGUMENT', 'State.set: the value at the top level is a WeakSet');
  });

  it('functions and symbols are refused as values (initial, set, modify), as in Log: a cell holds data', () => {
    expectCode(() => State.run({ c: () => 1 }), 'INVALID_ARGUMENT', 'State.run: the initial value of cell "c" at the top level is a function, which is not data');
    expectCode(() => State.set(State.cell<unknown>('f'), () => 1), 'INVALID_ARGUMENT', 'State.set: the value at the top level is a function');
    expectCode(() => State.set(State.cell<unknown>('s'), Symbol('s')), 'INVALID_ARGUMENT', 'is a symbol');
    expectCode(() => State.run({ c: { step: (x: number) => x } }), 'INVALID_ARGUMENT', 'at .step is a function');
    const o = State.cell<{ f?: unknown }>('o');
    expectCode(() => run(State.run({ o: {} })(State.modify(o, (d) => void (d.f = Symbol('x'))))), 'INVALID_ARGUMENT', 'State.modify: the new value at .f is a symbol');
  });

  it('a cyclic value (initial, set, modify) is CYCLIC_TREE, not a stack overflow', () => {
    const cyc: Record<string, unknown> = { a: 1 };
    cyc['self'] = cyc;
    expectCode(() => State.run({ x: cyc }), 'CYCLIC_TREE', 'State.run', 'the object at .self is the one at the top level');
    expectCode(() => State.set(State.cell('x'), cyc), 'CYCLIC_TREE', 'State.set');
    const o = State.cell<{ a: unknown[] }>('o');
    const loop = State.modify(o, (d) => {
      d.a.push(d.a);
    });
    expectCode(() => run(State.run({ o: { a: [] } })(loop)), 'CYCLIC_TREE', 'State.modify');
    const returned = State.modify(o, () => cyc as never);
    expectCode(() => run(State.run({ o: { a: [] } })(returned)), 'CYCLIC_TREE', 'State.modify');
  });

  it('a value nested 10,000 deep is stored, read and snapshotted', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const d = State.cell<unknown>('d');
    const [v, snap] = run(State.run({ d: deep })(Program.flatMap(State.modify(d, (x) => [x]), () => State.get(d))));
    let depth = 0;
    for (let x = v; Array.isArray(x); x = x[0]) depth++;
    expect(depth).toBe(10_001);
    expect(snap['d']).toBe(v);
  });
});

describe('State: nothing handed out can change a version, and no caller can reach one', () => {
  it('State.set keeps the value as it was when the program was built', () => {
    const arr = [1, 2];
    const c = State.cell<number[]>('c');
    const p = Program.flatMap(State.set(c, arr), () => State.get(c));
    arr.push(3);
    const [v] = run(State.run({})(p));
    expect(v).toEqual([1, 2]);
    expect(Object.isFrozen(v)).toBe(true);
    expect(Object.isFrozen(arr)).toBe(false);
  });

  it('a typed array: the snapshot is not the caller buffer, and neither get nor the snapshot can change a version', () => {
    const buf = new Float64Array([1, 2]);
    const w = State.cell<Float64Array>('w');
    const p = Program.gen(function* () {
      const a = yield* State.get(w);
      a[0] = 100; // a copy: the version is unchanged
      const b = yield* State.get(w);
      yield* State.modify(w, (x) => {
        x[1] = 20; // edits its own copy, which becomes version 1
      });
      const c = yield* State.get(w);
      return [a, b, c] as const;
    });
    const [[a, b, c], snap] = run(State.run({ w: buf })(p));
    expect(Array.from(a)).toEqual([100, 2]);
    expect(Array.from(b)).toEqual([1, 2]);
    expect(Array.from(c)).toEqual([1, 20]);
    expect(snap['w']).not.toBe(buf);
    expect(Array.from(snap['w'] as Float64Array)).toEqual([1, 20]);
    (snap['w'] as Float64Array)[0] = -1;
    buf[0] = -2;
    // a second run starts from the initial value as it was passed
    const [[, b2]] = run(State.run({ w: buf })(p));
    expect(Array.from(b2)).toEqual([-2, 2]);
    const again = State.run({ w: new Float64Array([5]) })(Program.flatMap(State.get(w), (x) => Program.of(x[0])));
    expect(run(again)[0]).toBe(5);
  });

  it('a Map or Set (alone or inside an object): each get hands out a copy; modify edits through immer', () => {
    const m = State.cell<{ seen: Map<string, number>; tags: Set<string> }>('m');
    const p = Program.gen(function* () {
      const v = yield* State.get(m);
      v.seen.set('evil', 666);
      v.tags.add('evil');
      yield* State.modify(m, (d) => {
        d.seen.set('b', 2);
        d.tags.add('t2');
      });
      return yield* State.get(m);
    });
    const initial = { seen: new Map([['a', 1]]), tags: new Set(['t1']) };
    const [v, snap] = run(State.run({ m: initial })(p));
    expect([...v.seen]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect([...v.tags]).toEqual(['t1', 't2']);
    expect(snap['m']).not.toBe(v);
    expect((snap['m'] as typeof v).seen).not.toBe(v.seen);
    expect([...initial.seen]).toEqual([['a', 1]]);
  });

  it('a value a modify recipe returns is copied as State.set copies it: the caller\'s object is neither frozen nor kept', () => {
    const c = State.cell<{ step: number; hist: number[] }>('c');
    const mine = { step: 5, hist: [1, 2] };
    const [v] = run(State.run({ c: { step: 0, hist: [] } })(Program.flatMap(State.modify(c, () => mine), () => State.get(c))));
    expect(Object.isFrozen(mine)).toBe(false);
    expect(Object.isFrozen(mine.hist)).toBe(false);
    mine.step = 6;
    mine.hist.push(3);
    expect(v).toEqual({ step: 5, hist: [1, 2] });
    expect(v).not.toBe(mine);
    expect(Object.isFrozen(v) && Object.isFrozen(v.hist)).toBe(true);
    // a returned object holding part of the draft, and a non-draftable (tensor) cell's recipe result
    const nested = { inner: [7] };
    const [w] = run(State.run({ c: { step: 0, hist: [9] } })(Program.flatMap(State.modify(c, (d) => ({ step: d.step + 1, hist: d.hist, extra: nested }) as never), () => State.get(c))));
    expect(w).toEqual({ step: 1, hist: [9], extra: { inner: [7] } });
    expect(Object.isFrozen(nested) || Object.isFrozen(nested.inner)).toBe(false);
    const n = State.cell<number[]>('n');
    const list = [1];
    run(State.run({ n: 0 as never })(State.modify(n, () => list)));
    expect(Object.isFrozen(list)).toBe(false);
  });

  it('values without Maps, Sets or typed arrays are handed out as they are: frozen, shared, no copy', () => {
    const c = State.cell<{ w: Tensor; hist: number[] }>('c');
    const [[a, b], snap] = run(State.run({ c: { w: tensor([1]), hist: [1] } })(Program.all([State.get(c), State.get(c)] as const)));
    expect(a).toBe(b);
    expect(snap['c']).toBe(a);
    expect(Object.isFrozen(a.hist)).toBe(true);
  });

  it('the snapshot is typed by the initial state', () => {
    const [, snap] = run(State.run({ x: 1, w: tensor([1, 2]) })(Program.of('done')));
    const x: number = snap.x;
    const w: Tensor = snap.w;
    expect(x).toBe(1);
    expect(toArray(w)).toEqual([1, 2]);
  });
});
