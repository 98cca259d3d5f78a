/**
 * Effects under recomputation (issue 9): `checkpoint` of a Program, and loops whose bodies return
 * Programs, with and without checkpointing, must be observationally equal: the same results and
 * gradients, the same draws, IO thunks run once, log entries emitted once, the same state versions;
 * a non-deterministic branch is REPLAY_DIVERGED; a failure closes every trace.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  add,
  AdjointError,
  checkpoint,
  Fail,
  foriLoop,
  grad,
  greater,
  IO,
  item,
  Log,
  mul,
  Observe,
  observe,
  Program,
  Random,
  random,
  run,
  scan,
  sin,
  State,
  sum,
  type Tensor,
  tensor,
  toArray,
  whileLoop,
} from '../../src/index.js';
import { thrown } from '../reference.js';

type Effects = 'Random' | 'State' | 'Log' | 'IO' | 'Observe' | 'Fail';
const cell = State.cell<Tensor>('s');

/** Runs a program with every handler; returns the value, the final state, the log and the IO count. */
function runAll<A>(program: Program<A, Effects>, io: { calls: number }): { value: A; state: Tensor; log: number[] } {
  io.calls = 0;
  const out = run(Fail.either(Observe.run(Log.collect(State.run({})(Random.run(random.key(11))(IO.run(program)))))));
  if (out._tag === 'Left') throw out.left;
  const [[value, snapshot], entries] = out.right;
  return { value, state: snapshot.s as Tensor, log: entries.map((e) => item(e.value as Tensor)) };
}

describe('checkpoint of a Program', () => {
  const io = { calls: 0 };
  const body = (x: Tensor) =>
    Program.gen(function* () {
      const e = yield* Random.normal([]);
      const k = yield* IO.call(() => ++io.calls);
      const s = yield* State.get(cell);
      yield* Log.value('x', x);
      const branch = yield* observe(x);
      const y = branch > 0 ? mul(sin(add(x, e)), k) : mul(x, e);
      yield* State.set(cell, add(s, y));
      yield* State.set(cell, mul(add(s, y), 2));
      return mul(y, s);
    });
  const program = (g: (x: Tensor) => Program<Tensor, Effects>) => (x: Tensor) =>
    Program.gen(function* () {
      yield* State.set(cell, mul(x, 0.5));
      const a = yield* g(x);
      const b = yield* g(a);
      const v = yield* State.version(cell);
      return add(add(b, yield* State.get(cell)), v);
    });

  it('the same value, gradient, draws, IO calls, log entries and state versions as without it', () => {
    const plain = runAll(grad(program(body))(tensor(0.3)), io);
    const plainCalls = io.calls;
    const cp = runAll(grad(program(checkpoint(body)))(tensor(0.3)), io);
    expect(io.calls).toBe(plainCalls);
    expect(item(cp.value)).toBeCloseTo(item(plain.value), 13);
    expect(cp.log).toEqual(plain.log);
    expect(item(cp.state)).toBeCloseTo(item(plain.state), 13);
    // at second order too: the log is emitted once per forward execution
    const plain2 = runAll(grad(grad(program(body)))(tensor(0.3)), io);
    const cp2 = runAll(grad(grad(program(checkpoint(body))))(tensor(0.3)), io);
    expect(item(cp2.value)).toBeCloseTo(item(plain2.value), 11);
    expect(cp2.log).toEqual(plain2.log);
  });

  it('a recomputation that would take another branch is REPLAY_DIVERGED, naming the effect', () => {
    let flip = 1;
    const unstable = checkpoint((x: Tensor) =>
      Program.gen(function* () {
        // a hidden source of non-determinism: the observed value differs on recomputation
        const v = yield* observe(mul(x, (flip = -flip)));
        return v > 0 ? mul(x, x) : x;
      }),
    );
    const e = thrown(() => runAll(grad((x: Tensor) => unstable(x))(tensor(2)), { calls: 0 })) as AdjointError;
    expect(e.code).toBe('REPLAY_DIVERGED');
    expect(e.message).toMatch(/effect #1/);
  });
});

describe('loops whose bodies return Programs', () => {
  const io = { calls: 0 };
  const step = (c: Tensor, x: Tensor) =>
    Program.gen(function* () {
      const e = yield* Random.normal([]);
      const k = yield* IO.call(() => (++io.calls, 0.5));
      const s = yield* State.get(cell);
      yield* Log.value('c', c);
      const next = add(mul(sin(c), k), mul(x, e));
      yield* State.set(cell, add(s, next));
      return [next, mul(next, s)] as const;
    });
  const program = (checkpointing: 'all' | { snapshots: number }) => (w: Tensor) =>
    Program.gen(function* () {
      yield* State.set(cell, mul(w, 0.1));
      const [c, ys] = yield* scan(step, w, tensor([1, 2, 3, 4, 5, 6, 7]), { checkpoint: checkpointing });
      return add(add(c, yield* State.get(cell)), sum(ys));
    });

  it('scan: every schedule gives the same value, gradient, log, IO calls and state; each iteration draws its own numbers', () => {
    const all = runAll(grad(program('all'))(tensor(0.3)), io);
    const calls = io.calls;
    expect(calls).toBe(7);
    expect(new Set(all.log.map((v) => v.toFixed(12))).size).toBe(7);
    for (const s of [1, 2, 3, 7]) {
      const cp = runAll(grad(program({ snapshots: s }))(tensor(0.3)), io);
      expect(io.calls).toBe(calls);
      expect(item(cp.value)).toBeCloseTo(item(all.value), 13);
      expect(cp.log).toEqual(all.log);
      expect(item(cp.state)).toBeCloseTo(item(all.state), 13);
    }
  });

  it('the state versions advance once per write in every iteration (x@0 … x@n), gradients flowing through them', () => {
    const versions = (checkpointing: 'all' | { snapshots: number }) =>
      runAll(
        Program.gen(function* () {
          yield* State.set(cell, tensor(1));
          yield* foriLoop(0, 5, (_i, c: Tensor) => Program.map(State.modify(cell, (v) => add(v, c)), () => add(c, 1)), tensor(0), { checkpoint: checkpointing });
          return yield* State.version(cell);
        }),
        io,
      ).value;
    expect(versions('all')).toBe(5);
    expect(versions({ snapshots: 2 })).toBe(5);
    const g = (checkpointing: 'all' | { snapshots: number }) =>
      item(
        runAll(
          grad((w: Tensor) =>
            Program.gen(function* () {
              yield* State.set(cell, w);
              yield* foriLoop(0, 4, (_i, c: Tensor) => Program.map(State.modify(cell, (v) => mul(v, c)), () => c), tensor(2), { checkpoint: checkpointing });
              return yield* State.get(cell);
            }),
          )(tensor(1)),
          io,
        ).value,
      );
    expect(g('all')).toBe(16);
    expect(g({ snapshots: 2 })).toBe(16);
  });

  it('whileLoop with a Program body, checkpointed in segments, matches the unsegmented run', () => {
    const loop = (checkpointing: 'all' | { snapshots: number }) => (w: Tensor) =>
      whileLoop(
        (c: Tensor) => greater(10, c),
        (c: Tensor) =>
          Program.gen(function* () {
            const e = yield* Random.uniform([]);
            yield* Log.value('c', c);
            return add(add(mul(c, 1.5), w), e);
          }),
        w,
        { checkpoint: checkpointing },
      );
    const a = runAll(grad(loop('all'))(tensor(0.5)), io);
    const b = runAll(grad(loop({ snapshots: 3 }))(tensor(0.5)), io);
    expect(item(b.value)).toBeCloseTo(item(a.value), 12);
    expect(b.log).toEqual(a.log);
  });

  it('a failure inside a loop ends the program as a value and closes every trace', () => {
    let kept: Tensor | undefined;
    const failing = (checkpointing: 'all' | { snapshots: number }) => (w: Tensor) =>
      scan(
        (c: Tensor) =>
          Program.gen(function* () {
            kept = c;
            if ((yield* IO.call(() => 1)) > 0) yield* Fail.raise(new Error('stop'));
            return [c, c] as const;
          }),
        w,
        undefined,
        { length: 3, checkpoint: checkpointing },
      );
    for (const checkpointing of ['all', { snapshots: 2 }] as const) {
      const out = run(Fail.either(IO.run(grad((w: Tensor) => Program.map(failing(checkpointing)(w), ([c]) => c))(tensor(1)))));
      expect(out._tag).toBe('Left');
    }
    // the last run's body saw a value traced by the grad the failure ended: it is closed now
    run(Fail.either(IO.run(grad((w: Tensor) => Program.map(failing('all')(w), ([c]) => c))(tensor(1)))));
    expect((thrown(() => mul(kept!, 2)) as AdjointError).code).toBe('LEAKED_TRACER');
  });
});

describe('a property: random programs in a checkpointed loop', () => {
  // each step performs some of: a draw, a state read and write, a log entry, an IO call
  const stepArb = fc.record({ draw: fc.boolean(), state: fc.boolean(), log: fc.boolean(), io: fc.boolean(), scale: fc.double({ min: -1, max: 1, noNaN: true }) });
  test.prop([fc.array(stepArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })], { seed: 20261130, numRuns: 25 })(
    'results, gradients, log entries and IO call counts are identical with and without checkpointing',
    (ops, n, s) => {
      const io = { calls: 0 };
      const body = (c: Tensor, x: Tensor) =>
        Program.gen(function* () {
          let v = c;
          for (const op of ops) {
            if (op.draw) v = add(v, mul(yield* Random.normal([]), op.scale));
            if (op.state) {
              const st = yield* State.get(cell);
              yield* State.set(cell, add(st, mul(v, op.scale)));
              v = add(v, mul(st, 0.1));
            }
            if (op.log) yield* Log.value('v', v);
            if (op.io) v = mul(v, yield* IO.call(() => (++io.calls, 1 + op.scale / 4)));
            v = sin(add(v, x));
          }
          return [v, v] as const;
        });
      const program = (checkpointing: 'all' | { snapshots: number }) => (w: Tensor) =>
        Program.gen(function* () {
          yield* State.set(cell, w);
          const [c, ys] = yield* scan(body, w, tensor(Array.from({ length: n }, (_, i) => i / n)), { checkpoint: checkpointing });
          return add(add(c, sum(ys)), yield* State.get(cell));
        });
      const a = runAll(grad(program('all'))(tensor(0.2)), io);
      const callsA = io.calls;
      const b = runAll(grad(program({ snapshots: s }))(tensor(0.2)), io);
      expect(io.calls).toBe(callsA);
      expect(item(b.value)).toBeCloseTo(item(a.value), 12);
      expect(b.log).toEqual(a.log);
      expect(toArray(b.state)).toBeCloseTo(toArray(a.state) as number, 12);
    },
  );
});
