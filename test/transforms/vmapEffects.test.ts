/**
 * Effects and branches under vmap (issue 11): what each effect means when a program is mapped over
 * lanes (the README's effect table), and predicates that differ between lanes.
 */
import { describe, expect, it } from 'vitest';
import {
  abs,
  AdjointError,
  add,
  Checked,
  cond,
  cos,
  div,
  Fail,
  grad,
  greater,
  IO,
  jvp,
  Log,
  mul,
  Observe,
  observe,
  Program,
  Random,
  random,
  run,
  sin,
  State,
  sub,
  sum,
  switchCase,
  type Tensor,
  tensor,
  toArray,
  vmap,
  whileLoop,
} from '../../src/index.js';
import { thrown } from '../reference.js';

const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;

describe('Random under vmap', () => {
  const noisy = (x: Tensor) => Program.map(Random.normal([3]), (e) => add(x, e));
  const xs = tensor([0, 10, 20, 30]);

  it("'different' (the default): each lane draws with its own key, the draw an unbatched program makes with that key", () => {
    const out = toArray(run(Random.run(random.key(3))((vmap(noisy)(xs))))) as number[][];
    // the handler splits its key once for the draw, then the draw's key once per lane
    const [, sub0] = random.split(random.key(3), 2) as [random.Key, random.Key];
    const laneKeys = random.split(sub0, 4) as readonly random.Key[];
    out.forEach((lane, i) => {
      const alone = toArray(random.normal(laneKeys[i]!, [3])) as number[];
      lane.forEach((v, j) => expect(v - 10 * i).toBeCloseTo(alone[j]!, 12));
    });
    // lanes differ from each other
    expect(out[0]![0]).not.toBeCloseTo(out[1]![0]! - 10, 6);
  });

  it("'same': one draw shared by every lane; 'error': refused", () => {
    const out = toArray(run(Random.run(random.key(3))((vmap(noisy, { randomness: 'same' })(xs))))) as number[][];
    out.forEach((lane, i) => lane.forEach((v, j) => expect(v - 10 * i).toBeCloseTo(out[0]![j]!, 12)));
    expect(code(() => run(Random.run(random.key(3))((vmap(noisy, { randomness: 'error' })(xs)))))).toBe('EFFECT_REFUSED');
  });

  it('nested vmaps draw independently in every lane of both', () => {
    const out = toArray(run(Random.run(random.key(1))((vmap(vmap((x: Tensor) => Program.map(Random.normal([]), (e) => add(x, e))))(tensor([[0, 0], [0, 0]])))))) as number[][];
    const flat = out.flat();
    expect(new Set(flat.map((v) => v.toFixed(9))).size).toBe(4);
  });
});

describe('State, Log, IO, Observe and Fail under vmap', () => {
  it('a State cell written inside holds the batched value, lanes first once vmap returns', () => {
    const cell = State.cell<Tensor>('y');
    const f = (x: Tensor) =>
      Program.gen(function* () {
        yield* State.set(cell, mul(x, 3));
        const y = yield* State.get(cell);
        return add(y, 1);
      });
    const [out, snapshot] = run(State.run({})((vmap(f)(tensor([1, 2, 3])))));
    expect(toArray(out)).toEqual([4, 7, 10]);
    expect(toArray(snapshot.y as Tensor)).toEqual([3, 6, 9]);
  });

  it('Log records one entry holding every lane’s value, once', () => {
    const f = (x: Tensor) => Program.map(Log.value('square', mul(x, x)), () => x);
    const [, entries] = run(Log.collect((vmap(f)(tensor([1, 2, 3])))));
    expect(entries.length).toBe(1);
    expect(toArray(entries[0]!.value as Tensor)).toEqual([1, 4, 9]);
  });

  it('IO is refused unless marked batch-safe, then runs once for every lane', () => {
    let calls = 0;
    const f = (safe: boolean) => (x: Tensor) => Program.map(IO.call(() => ++calls, { batchSafe: safe }), (k) => mul(x, k));
    expect(code(() => run(IO.run((vmap(f(false))(tensor([1, 2]))))))).toBe('EFFECT_REFUSED');
    expect(calls).toBe(0);
    expect(toArray(run(IO.run((vmap(f(true))(tensor([1, 2]))))))).toEqual([1, 2]);
    expect(calls).toBe(1);
  });

  it('observe of a batched value is refused, pointing to cond and where; of an unbatched one it reads it', () => {
    const f = (x: Tensor) => Program.map(observe(x), (v) => mul(x, v));
    const e = thrown(() => run(Observe.run((vmap(f)(tensor([1, 2])))))) as AdjointError;
    expect(e.code).toBe('EFFECT_REFUSED');
    expect(e.message).toMatch(/cond/);
    const g = (x: Tensor) => Program.map(observe(tensor(2)), (v) => mul(x, v));
    expect(toArray(run(Observe.run((vmap(g)(tensor([1, 2]))))))).toEqual([2, 4]);
  });

  it('under vmap(grad(f)), f’s effects see the lanes through the grad’s tracers: a log entry has lanes first, a batched observe is refused', () => {
    const f = (x: Tensor) => Program.map(Log.value('x', x), () => sum(mul(x, x)));
    // lanes along axis 1 of the argument: the entry holds them first, as without the grad
    const [, plain] = run(Log.collect(vmap(f, { inAxes: 1 })(tensor([[1, 2, 3], [4, 5, 6]]))));
    const [, graded] = run(Log.collect(vmap(grad(f), { inAxes: 1 })(tensor([[1, 2, 3], [4, 5, 6]]))));
    expect(toArray(plain[0]!.value as Tensor)).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(toArray(graded[0]!.value as Tensor)).toEqual([[1, 4], [2, 5], [3, 6]]);
    const g = (x: Tensor) => Program.map(observe(x), (v) => mul(x, v));
    expect(code(() => run(Observe.run(vmap(grad(g))(tensor([1, 2])))))).toBe('EFFECT_REFUSED');
  });

  it('a failure ends the program when every lane fails; lanes that disagree are refused', () => {
    expect(run(Fail.either((vmap(Checked.log)(tensor([1, 2])))))._tag).toBe('Right');
    expect(run(Fail.either((vmap(Checked.log)(tensor([-1, -2])))))._tag).toBe('Left');
    expect(code(() => run(Fail.either((vmap(Checked.log)(tensor([1, -2]))))))).toBe('EFFECT_REFUSED');
  });
});

describe('predicates that differ between lanes', () => {
  it('cond runs both branches and selects per lane, in value and gradient', () => {
    const f = (x: Tensor) => cond(greater(x, 0), (y: Tensor) => mul(y, y), (y: Tensor) => sin(y), x);
    expect(toArray(vmap(f)(tensor([2, -1])))).toEqual([4, Math.sin(-1)]);
    expect(toArray(vmap(grad(f))(tensor([2, -1])))).toEqual([4, Math.cos(-1)]);
    const bad = (x: Tensor) => cond(greater(x, 0), (y: Tensor) => Program.of(y), (y: Tensor) => Program.of(y), x);
    expect(code(() => vmap(bad)(tensor([1, -1])))).toBe('EFFECT_REFUSED');
  });

  it('a NaN in any lane of a batched cond predicate is refused, as an unbatched NaN predicate is (where would read it as true)', () => {
    const f = (p: Tensor, x: Tensor) => cond(p, sin, cos, x);
    expect(code(() => cond(tensor(NaN), sin, cos, tensor(1)))).toBe('INVALID_ARGUMENT');
    const e = thrown(() => vmap(f)(tensor([0, NaN, 1]), tensor([1, 2, 3]))) as AdjointError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/^cond: lane 1's predicate is NaN/);
    expect(code(() => vmap(grad(f, 1))(tensor([0, NaN, 1]), tensor([1, 2, 3])))).toBe('INVALID_ARGUMENT');
    expect(toArray(vmap(f)(tensor([0, 0.5, 1]), tensor([1, 2, 3])))).toEqual([Math.cos(1), Math.sin(2), Math.sin(3)]);
    // a batched predicate or index of a lane shape other than 0-d is refused (where would broadcast it)
    expect(code(() => vmap(f)(tensor([[0], [1]]), tensor([1, 2])))).toBe('SHAPE_MISMATCH');
    expect(code(() => vmap((i: Tensor, x: Tensor) => switchCase(i, [sin, cos], x))(tensor([[0, 1], [1, 0]]), tensor([1, 2])))).toBe('SHAPE_MISMATCH');
  });

  it('switchCase selects per lane, and checks every lane’s index', () => {
    const h = (i: Tensor, x: Tensor) => switchCase(i, [sin, cos, (y: Tensor) => mul(y, y)], x);
    expect(toArray(vmap(h)(tensor([0, 1, 2]), tensor([1, 1, 3])))).toEqual([Math.sin(1), Math.cos(1), 9]);
    expect(code(() => vmap(h)(tensor([0, 3]), tensor([1, 1])))).toBe('INDEX_OUT_OF_RANGE');
    // a non-integer lane is refused as an unbatched non-integer index is, naming the lane
    expect(code(() => switchCase(tensor(0.5), [sin, cos], tensor(1)))).toBe('INVALID_ARGUMENT');
    expect((thrown(() => vmap(h)(tensor([0, 1.5]), tensor([1, 1]))) as AdjointError).message).toMatch(/^switchCase: lane 1's index is 1.5/);
    expect(code(() => vmap(h)(tensor([NaN, 1]), tensor([1, 1])))).toBe('INVALID_ARGUMENT');
  });

  it('whileLoop whose predicate becomes batched after the first step (the body closes over a batched value) stops each lane at its own step', () => {
    // c ↦ c·w from 1 while c < 10: w = 2 stops at 16 (4 steps), w = 3 at 27 (3), w = 11 at 11 (1)
    const loop = (w: Tensor) => whileLoop((c: Tensor) => greater(10, c), (c: Tensor) => mul(c, w), tensor(1));
    expect(toArray(vmap(loop)(tensor([2, 3, 11])))).toEqual([16, 27, 11]);
    // d/dw w^k = k w^(k-1), each lane with its own k
    expect(toArray(vmap(grad(loop))(tensor([2, 3, 11])))).toEqual([32, 27, 1]);
    const [, tangents] = jvp(vmap(loop), [tensor([2, 3, 11])], [tensor([1, 1, 1])]);
    expect(toArray(tangents)).toEqual([32, 27, 1]);
  });

  it('whileLoop with a Program body and a batched predicate is refused (its effects would run for lanes that are done), at the first step or a later one', () => {
    const fromStart = (w: Tensor) => whileLoop((c: Tensor) => greater(10, c), (c: Tensor) => Program.of(mul(c, 2)), w);
    const e = thrown(() => run(vmap(fromStart)(tensor([1, 3, 6])))) as AdjointError;
    expect(e.code).toBe('EFFECT_REFUSED');
    expect(e.message).toMatch(/whileLoop.*batched under vmap.*make the body pure/);
    const later = (w: Tensor) => whileLoop((c: Tensor) => greater(10, c), (c: Tensor) => Program.of(mul(c, w)), tensor(1));
    expect(code(() => run(vmap(later)(tensor([2, 3, 11]))))).toBe('EFFECT_REFUSED');
    // with a predicate every lane shares, the Program body runs (one trip count for all lanes)
    const shared = (w: Tensor) => whileLoop((c: readonly [Tensor, Tensor]) => greater(3, c[0]), (c: readonly [Tensor, Tensor]) => Program.of([add(c[0], 1), mul(c[1], w)] as const), [tensor(0), tensor(1)] as const);
    expect(toArray(run(vmap(shared)(tensor([2, 3])))[1])).toEqual([8, 27]);
  });

  it('a NaN in any lane of a batched whileLoop predicate is a typed error naming the lane', () => {
    const loop = (a: Tensor) => whileLoop((c: Tensor) => mul(greater(c, 1), a), (c: Tensor) => mul(c, 0.5), tensor(4));
    expect(toArray(vmap(loop)(tensor([1, 2])))).toEqual([1, 1]);
    const e = thrown(() => vmap(loop)(tensor([1, 0 / 0, 2]))) as AdjointError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/lane 1's predicate is NaN/);
    // a non-zero, non-integer value is true, as for an unbatched predicate
    expect(toArray(vmap((a: Tensor) => whileLoop((c: Tensor) => mul(greater(c, a), 0.25), (c: Tensor) => sub(c, 1), tensor(3)))(tensor([0, 1])))).toEqual([0, 1]);
  });

  it('whileLoop runs until every lane is done, lanes that are done keeping their carry', () => {
    const sqrt = (a: Tensor) => whileLoop((x: Tensor) => greater(abs(sub(mul(x, x), a)), 1e-12), (x: Tensor) => sub(x, div(sub(mul(x, x), a), mul(2, x))), a);
    const r = toArray(vmap(sqrt)(tensor([4, 9, 2, 1e6]))) as number[];
    [2, 3, Math.SQRT2, 1000].forEach((v, i) => expect(r[i]).toBeCloseTo(v, 10));
    const g = toArray(vmap(grad(sqrt))(tensor([4, 9]))) as number[];
    expect(g[0]).toBeCloseTo(0.25, 10);
    expect(g[1]).toBeCloseTo(1 / 6, 10);
  });
});
