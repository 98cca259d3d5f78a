import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { AdjointError, add, div, grad, item, jvp, mul, neg, observe, Observe, Program, run, scalar, sub, type Tensor, tensor } from '../../src/index.js';

const SEED = { seed: 11, numRuns: 25 } as const;

/** f(x) = x > 0 ? x * x : -x, branching with observe. */
const f = (x: Tensor) =>
  Program.gen(function* () {
    return (yield* observe(x)) > 0 ? mul(x, x) : neg(x);
  });

function thrown(fn: () => unknown): AdjointError {
  try {
    fn();
  } catch (e) {
    return e as AdjointError;
  }
  throw new Error('expected a throw');
}

describe('Observe', () => {
  it('observe gives the plain number of a size-1 tensor or a number', () => {
    expect(run(Observe.run(observe(scalar(2.5))))).toBe(2.5);
    expect(run(Observe.run(observe(tensor([[4]]))))).toBe(4);
    expect(run(Observe.run(Observe.value(-1)))).toBe(-1);
  });

  test.prop([fc.double({ min: 1e-3, max: 100, noNaN: true })], SEED)('the gradient of the positive branch is 2x', (x) => {
    expect(item(run(Observe.run(grad(f)(scalar(x)))))).toBeCloseTo(2 * x, 10);
  });

  test.prop([fc.double({ min: -100, max: -1e-3, noNaN: true })], SEED)('the gradient of the negative branch is -1', (x) => {
    expect(item(run(Observe.run(grad(f)(scalar(x)))))).toBe(-1);
  });

  test.prop([fc.double({ min: -10, max: 10, noNaN: true }).filter((x) => x !== 0)], SEED)(
    'second order and forward mode follow the branch taken',
    (x) => {
      expect(item(run(Observe.run(grad(grad(f))(scalar(x)))))).toBe(x > 0 ? 2 : 0);
      const [y, dy] = run(Observe.run(jvp(f, [scalar(x)], [scalar(3)])));
      expect(item(y)).toBeCloseTo(x > 0 ? x * x : -x, 10);
      expect(item(dy)).toBeCloseTo(x > 0 ? 6 * x : -3, 10);
    },
  );

  it('reading a tracer with item inside grad raises CONCRETIZATION whose message points to observe', () => {
    const e = thrown(() => grad((x: Tensor) => (item(x) > 0 ? mul(x, x) : neg(x)))(scalar(2)));
    expect(e).toBeInstanceOf(AdjointError);
    expect(e.code).toBe('CONCRETIZATION');
    expect(e.message).toMatch(/observe/);
  });

  it('reading a tracer with item inside a program under grad raises CONCRETIZATION too, and the trace is closed after', () => {
    const g = (x: Tensor) =>
      Program.gen(function* () {
        const k = yield* observe(x);
        return item(mul(x, k)) > 0 ? x : neg(x);
      });
    const e = thrown(() => run(Observe.run(grad(g)(scalar(2)))));
    expect(e.code).toBe('CONCRETIZATION');
    expect(e.message).toMatch(/observe/);
    expect(item(grad((x: Tensor) => mul(x, 4))(scalar(1)))).toBe(4);
  });

  it('observe of a tensor with more than one element raises NOT_SIZE_ONE', () => {
    const e = thrown(() => run(Observe.run(observe(tensor([1, 2])))));
    expect(e.code).toBe('NOT_SIZE_ONE');
  });

  test.prop([fc.double({ min: 0.5, max: 20, noNaN: true })], SEED)(
    'a loop that stops on an observed value (Newton for sqrt a) has the derivative of sqrt: 1 / (2 sqrt a)',
    (a0) => {
      const root = (a: Tensor) =>
        Program.gen(function* () {
          let x: Tensor = scalar(1);
          for (let i = 0; i < 100; i++) {
            const residual = yield* observe(sub(mul(x, x), a));
            if (Math.abs(residual) < 1e-13) break;
            x = mul(0.5, add(x, div(a, x)));
          }
          return x;
        });
      const g = run(Observe.run(grad(root)(scalar(a0))));
      expect(item(g)).toBeCloseTo(1 / (2 * Math.sqrt(a0)), 8);
    },
  );
});

describe('Observe: arguments', () => {
  it('observe checks its argument where it is called (it failed only when run)', () => {
    expect(thrown(() => observe('3' as never)).code).toBe('NOT_NUMERIC');
    const e = thrown(() => observe(tensor([1, 2])));
    expect(e.code).toBe('NOT_SIZE_ONE');
    expect(e.message).toContain('observe: ');
    expect(thrown(() => Observe.run(5 as never)).code).toBe('NOT_A_PROGRAM');
  });
});
