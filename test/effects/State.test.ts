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
