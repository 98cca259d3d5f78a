import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { add, grad, hessian, IO, item, jvp, mul, Program, run, scalar, sum, Tensor, tensor, toArray } from '../../src/index.js';

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
