import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { AdjointError, add, grad, hessian, IO, item, jvp, Log, mul, printTape, Program, run, runPromise, scalar, sum, Tensor, tensor, toArray } from '../../src/index.js';

const SEED = { seed: 11, numRuns: 25 } as const;

/** A concrete tensor: a plain Tensor, not a tracer (tracers are a subclass). */
const isConcrete = (t: unknown): boolean => t instanceof Tensor && Object.getPrototypeOf(t) === Tensor.prototype;

describe('IO', () => {
  it('IO.call runs its thunk once per program run, not when the program is built', () => {
    let calls = 0;
    const p = IO.run(Program.map(IO.call(() => ++calls), (n) => n * 10));
    expect(calls).toBe(0);
    expect(run(p)).toBe(10);
    expect(calls).toBe(1);
    expect(run(p)).toBe(20);
    expect(calls).toBe(2);
  });

  it('calls happen in program order', () => {
    const seen: string[] = [];
    const p = Program.gen(function* () {
      yield* IO.call(() => seen.push('a'));
      yield* IO.call(() => seen.push('b'));
      return seen.length;
    });
    expect(run(IO.run(p))).toBe(2);
    expect(seen).toEqual(['a', 'b']);
  });

  test.prop([fc.double({ min: -5, max: 5, noNaN: true })], SEED)(
    'the result of IO is a constant to grad, even when the thunk closes over a traced value',
    (x0) => {
      let calls = 0;
      let seen: unknown;
      const f = (x: Tensor) =>
        Program.gen(function* () {
          const c = yield* IO.call(() => {
            calls++;
            return mul(x, 3);
          });
          seen = c;
          return add(mul(x, x), mul(c, x));
        });
      // d/dx (x^2 + c x) with c = 3 x0 held constant: 2 x0 + 3 x0
      const g = run(IO.run(grad(f)(scalar(x0))));
      expect(item(g)).toBeCloseTo(5 * x0, 10);
      expect(calls).toBe(1);
      expect(isConcrete(seen)).toBe(true);
      expect(item(seen as Tensor)).toBeCloseTo(3 * x0, 12);
    },
  );

  it('the gradient through an IO result alone is 0', () => {
    const f = (x: Tensor) => IO.call(() => sum(mul(x, x)));
    expect(toArray(run(IO.run(grad(f)(tensor([1, 2])))))).toEqual([0, 0]);
  });

  it('pytrees returned by IO are concrete leaves', () => {
    const f = (x: Tensor) =>
      Program.gen(function* () {
        const r = yield* IO.call(() => ({ a: mul(x, 2), b: [add(x, 1), 'label'] as const }));
        expect(isConcrete(r.a)).toBe(true);
        expect(isConcrete(r.b[0])).toBe(true);
        expect(r.b[1]).toBe('label');
        return add(x, add(r.a, r.b[0]));
      });
    expect(item(run(IO.run(grad(f)(scalar(1)))))).toBe(1);
  });

  it('under grad(grad), jvp and hessian the thunk still runs once per run, and its value is constant', () => {
    let calls = 0;
    const f = (x: Tensor) =>
      Program.gen(function* () {
        const c = yield* IO.call(() => {
          calls++;
          return mul(x, x);
        });
        return sum(mul(c, mul(x, x)));
      });
    // c = x0^2 constant: f = c x^2, f' = 2 c x, f'' = 2 c
    expect(item(run(IO.run(grad(grad(f))(scalar(3)))))).toBe(18);
    expect(calls).toBe(1);
    const [y, dy] = run(IO.run(jvp(f, [scalar(3)], [scalar(1)])));
    expect([item(y), item(dy)]).toEqual([81, 54]);
    expect(calls).toBe(2);
    // elementwise c = [1, 4] constant: H = diag(2 c)
    expect(toArray(run(IO.run(hessian(f)(tensor([1, 2])))))).toEqual([
      [2, 0],
      [0, 8],
    ]);
    expect(calls).toBe(3);
  });
});

// ---- the boundary, and asynchronous IO ----------------------------------------------------------------

const bad = (v: unknown): never => v as never;

function caught(f: () => unknown): AdjointError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AdjointError);
    return e as AdjointError;
  }
  throw new Error('expected a throw');
}

function expectCode(f: () => unknown, code: string, ...mentions: string[]): void {
  const e = caught(f);
  expect(e.code).toBe(code);
  for (const m of mentions) expect(e.message).toContain(m);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

const later = <T>(v: T, ms = 2): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(v), ms));

/** Records unhandled rejections while `body` runs and a little after. */
async function unhandledDuring(body: () => unknown): Promise<unknown[]> {
  const seen: unknown[] = [];
  const on = (e: unknown): void => void seen.push(e);
  process.on('unhandledRejection', on);
  try {
    await body();
    await later(undefined, 30);
  } finally {
    process.off('unhandledRejection', on);
  }
  return seen;
}

describe('IO: arguments', () => {
  it('IO.call of something that is not a function (it threw a TypeError when run)', () => {
    expectCode(() => IO.call(bad(5)), 'INVALID_ARGUMENT', 'IO.call: thunk is the number 5', 'pass a function');
    expectCode(() => IO.promise(bad('url')), 'INVALID_ARGUMENT', 'IO.promise: thunk is the string "url"');
    expectCode(() => IO.run(bad(5)), 'NOT_A_PROGRAM', 'IO.run: program is the number 5');
  });

  it('IO.call of an async thunk, or a thunk that returns a promise, is ASYNC_FUNCTION pointing to IO.promise (run returned a Promise)', async () => {
    expectCode(() => run(IO.run(IO.call(bad(async () => 5)))), 'ASYNC_FUNCTION', 'IO.call: thunk is an async function', 'IO.promise');
    const unhandled = await unhandledDuring(() => {
      expectCode(() => run(IO.run(IO.call(bad(() => Promise.reject(new Error('io')))))), 'ASYNC_FUNCTION', 'IO.call: the thunk returned a promise', 'IO.promise', 'runPromise');
    });
    expect(unhandled).toEqual([]);
  });

  it('a cyclic IO result is CYCLIC_TREE', () => {
    const cyc: Record<string, unknown> = {};
    cyc['me'] = [cyc];
    expectCode(() => run(IO.run(IO.call(() => cyc))), 'CYCLIC_TREE', 'IO.call: the result contains itself');
  });
});

describe('IO.promise and runPromise', () => {
  it('runPromise awaits IO.promise steps in program order', async () => {
    const order: string[] = [];
    const p = Program.gen(function* () {
      const a = yield* IO.promise(() => later('a', 5).then((v) => (order.push(v), v)));
      const b = yield* IO.call(() => (order.push('b'), 'b'));
      const c = yield* IO.promise(async () => (order.push('c'), 'c'));
      return a + b + c;
    });
    expect(await runPromise(IO.run(p))).toBe('abc');
    expect(order).toEqual(['a', 'b', 'c']);
    // a program with no asynchronous step runs under runPromise too
    expect(await runPromise(Program.of(3))).toBe(3);
  });

  it('run refuses an IO.promise step with ASYNC_FUNCTION, without starting it', () => {
    let started = false;
    const p = IO.run(
      IO.promise(async () => {
        started = true;
        return 1;
      }),
    );
    expectCode(() => run(p), 'ASYNC_FUNCTION', 'IO.promise: an asynchronous step cannot run under run', 'runPromise');
    expect(started).toBe(false);
  });

  it('runPromise of something that is not a program throws at once', () => {
    expectCode(() => runPromise(bad(5)), 'NOT_A_PROGRAM', 'runPromise: program is the number 5');
  });

  it('a rejected step rejects runPromise with its error; a throw after an await does too', async () => {
    const boom = new Error('network down');
    expect(await rejection(runPromise(IO.run(IO.promise(() => Promise.reject(boom)))))).toBe(boom);
    const p = Program.flatMap(IO.promise(() => later(1)), () => Program.sync(() => {
      throw new RangeError('after');
    }));
    expect(await rejection(runPromise(IO.run(p)))).toBeInstanceOf(RangeError);
  });

  it('an async result nested 10,000 deep or with a cycle', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(await runPromise(IO.run(IO.promise(async () => deep)))).toBe(deep);
    const cyc: unknown[] = [];
    cyc.push(cyc);
    expect(((await rejection(runPromise(IO.run(IO.promise(async () => cyc))))) as AdjointError).code).toBe('CYCLIC_TREE');
  });
});

describe('IO.promise under transforms (runPromise)', () => {
  const loss = (w: Tensor) =>
    Program.gen(function* () {
      const data = yield* IO.promise(() => later(tensor([1, 2, 3])));
      yield* Log.value('w', w);
      const more = yield* IO.promise(() => later(tensor([1, 1, 1]), 1));
      return sum(mul(mul(w, w), add(data, more))); // sum(w² (data + 1)) = 9 w²
    });

  it('an async IO step inside grad of a program gives the right gradient', async () => {
    const [g, logs] = await runPromise(IO.run(Log.collect(grad(loss)(2))));
    expect(item(g)).toBe(36);
    expect(item(logs[0]!.value as Tensor)).toBe(2);
    expect(isConcrete(logs[0]!.value)).toBe(true);
    expect(item(await runPromise(IO.run(Program.map(Log.collect(grad(grad(loss))(2)), ([gg]) => gg))))).toBe(18);
    expect(toArray((await runPromise(IO.run(Log.collect(hessian(loss)(tensor(2))))))[0])).toBe(18);
  });

  it('a rejection closes every trace: a tracer kept from inside is leaked afterwards', async () => {
    let kept: Tensor | undefined;
    const f = (w: Tensor) =>
      Program.gen(function* () {
        kept = mul(w, w);
        yield* IO.promise(() => Promise.reject(new Error('disk')));
        return kept;
      });
    const e = await rejection(runPromise(IO.run(grad(grad(f))(2))));
    expect((e as Error).message).toBe('disk');
    expect(caught(() => item(kept!)).code).toBe('LEAKED_TRACER');
    // nothing is left open: plain ops are plain, and a new grad works
    expect(Object.getPrototypeOf(add(tensor(1), tensor(2)))).toBe(Tensor.prototype);
    expect(item(grad((x: Tensor) => mul(x, x))(5))).toBe(10);
  });

  it('success and a thrown error close the traces too', async () => {
    let kept: Tensor | undefined;
    const f = (w: Tensor) =>
      Program.gen(function* () {
        yield* IO.promise(() => later(0));
        kept = mul(w, 3);
        return kept;
      });
    expect(item(await runPromise(IO.run(grad(f)(2))))).toBe(3);
    expect(caught(() => item(kept!)).code).toBe('LEAKED_TRACER');
    const g = (w: Tensor) => Program.flatMap(IO.promise(() => later(0)), (): Program<Tensor> => {
      kept = mul(w, 3);
      throw new TypeError('bug');
    });
    expect(await rejection(runPromise(IO.run(grad(g)(2))))).toBeInstanceOf(TypeError);
    expect(caught(() => item(kept!)).code).toBe('LEAKED_TRACER');
  });

  it('programs awaiting at the same time do not see each other: each gradient is right, each tape its own', async () => {
    const f = (k: number) => (w: Tensor) =>
      Program.gen(function* () {
        const a = mul(w, k);
        yield* IO.promise(() => later(null, 8 - 2 * k));
        yield* Log.value(`k${k}`, a);
        const b = mul(a, w);
        yield* IO.promise(() => later(null, k));
        return add(b, w); // k w² + w
      });
    const gs = await Promise.all([1, 2, 3].map((k) => runPromise(IO.run(Log.collect(grad(f(k))(5))))));
    expect(gs.map(([g]) => item(g))).toEqual([11, 21, 31]);
    expect(gs.map(([, logs]) => logs.map((e) => e.label))).toEqual([['k1'], ['k2'], ['k3']]);
    const tapes = await Promise.all([1, 2].map((k) => runPromise(IO.run(Log.collect(printTape(f(k))(tensor(5)))))));
    expect(tapes[0]![0]).toContain('Log.value "k1"');
    expect(tapes[0]![0]).not.toContain('"k2"');
    expect(tapes[1]![0]).not.toContain('"k1"');
  });

  it('while a program awaits, other code runs without its trace (ops are not recorded on its tape)', async () => {
    const f = (w: Tensor) =>
      Program.gen(function* () {
        yield* IO.promise(async () => {
          await later(0);
          // another program logging meanwhile: must not appear on f's tape
          run(Log.collect(Log.value('outsider', 1)));
          return 0;
        });
        return mul(w, w);
      });
    const [tape] = await runPromise(IO.run(Log.collect(printTape(f)(tensor(3)))));
    expect(tape).not.toContain('outsider');
    expect(tape).toContain('mul w1 w1');
  });
});
