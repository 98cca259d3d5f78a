import { fc, test } from '@fast-check/vitest';
import { isLeft, isRight } from 'fp-ts/Either';
import { describe, expect, it } from 'vitest';
import {
  AdjointError,
  Checked,
  DomainError,
  Fail,
  grad,
  item,
  jvp,
  mul,
  neg,
  Program,
  run,
  scalar,
  State,
  Tensor,
  tensor,
  toArray,
} from '../../src/index.js';

const SEED = { seed: 11, numRuns: 25 } as const;

/** A concrete tensor: a plain Tensor, not a tracer (tracers are a subclass). */
const isConcrete = (t: unknown): boolean => t instanceof Tensor && Object.getPrototypeOf(t) === Tensor.prototype;

/** The error of a Left, or a test failure. */
function leftOf<A>(p: Program<A, 'Fail'>): Error {
  const r = run(Fail.either(p));
  if (!isLeft(r)) throw new Error('expected Left');
  return r.left;
}

/** The value of a Right, or a test failure. */
function rightOf<A>(p: Program<A, 'Fail'>): A {
  const r = run(Fail.either(p));
  if (!isRight(r)) throw new Error(`expected Right, got Left: ${r.left.message}`);
  return r.right;
}

const pos = fc.double({ min: 0.01, max: 50, noNaN: true });

describe('Fail and Checked', () => {
  it('Checked.log(-1) fails with a DomainError naming the op, the element and the input', () => {
    const e = leftOf(Checked.log(-1));
    expect(e).toBeInstanceOf(DomainError);
    expect(e).toBeInstanceOf(AdjointError);
    const d = e as DomainError;
    expect(d.code).toBe('DOMAIN_ERROR');
    expect(d.op).toBe('Checked.log');
    expect(d.message).toMatch(/Checked\.log/);
    expect(d.index).toBe(0);
    expect(d.input).toBe(-1);
  });

  it('a DomainError points at the first offending element', () => {
    const d = leftOf(Checked.sqrt(tensor([4, 1, -2, -3]))) as DomainError;
    expect(d.op).toBe('Checked.sqrt');
    expect(d.index).toBe(2);
    expect(d.input).toBe(-2);
  });

  it('Fail.raise ends the program with that error as a Left; the rest does not run', () => {
    const boom = new Error('boom');
    let after = false;
    const p = Program.gen(function* () {
      yield* Fail.raise(boom);
      after = true;
      return 1;
    });
    expect(leftOf(p)).toBe(boom);
    expect(after).toBe(false);
  });

  it('Fail.either gives Right for a program that does not fail', () => {
    expect(rightOf(Program.of(3))).toBe(3);
    expect(item(rightOf(Checked.log(1)))).toBe(0);
  });

  it('the first failure wins', () => {
    const p = Program.gen(function* () {
      yield* Checked.log(tensor([1, -1]));
      yield* Checked.sqrt(-5);
      return 0;
    });
    expect((leftOf(p) as DomainError).op).toBe('Checked.log');
  });

  it('Checked.sqrt, Checked.div and Checked.log1p: failures', () => {
    expect((leftOf(Checked.sqrt(-1e-9)) as DomainError).code).toBe('DOMAIN_ERROR');
    const d = leftOf(Checked.div(tensor([1, 2]), tensor([3, 0]))) as DomainError;
    expect(d.op).toBe('Checked.div');
    expect(d.index).toBe(1);
    const l = leftOf(Checked.log1p(-1)) as DomainError;
    expect(l.op).toBe('Checked.log1p');
    expect(l.input).toBe(-1);
  });

  it('Checked.sqrt, Checked.div and Checked.log1p: successes, including the boundaries they allow', () => {
    expect(toArray(rightOf(Checked.sqrt(tensor([0, 4, 9]))))).toEqual([0, 2, 3]);
    expect(toArray(rightOf(Checked.div(tensor([1, 6]), tensor([-2, 3]))))).toEqual([-0.5, 2]);
    expect(item(rightOf(Checked.log1p(0)))).toBe(0);
    expect(item(rightOf(Checked.log1p(-0.5)))).toBeCloseTo(Math.log(0.5), 12);
  });

  it('a failure under grad is a Left, not a gradient, and the DomainError names the SSA value', () => {
    const e1 = leftOf(grad((x: Tensor) => Checked.log(x))(scalar(-1))) as DomainError;
    expect(e1.code).toBe('DOMAIN_ERROR');
    expect(e1.value).toMatch(/^w1\b/);
    expect(e1.message).toMatch(/w1/);
    // y = x * 2 is w2, -y is w3
    const f = (x: Tensor) =>
      Program.gen(function* () {
        const y = mul(x, 2);
        return yield* Checked.sqrt(neg(y));
      });
    const e2 = leftOf(grad(f)(scalar(3))) as DomainError;
    expect(e2.value).toMatch(/^w3\b/);
    expect(e2.op).toBe('Checked.sqrt');
    // and the library is usable afterwards
    expect(item(grad((x: Tensor) => mul(x, x))(scalar(5)))).toBe(10);
  });

  it('a failure under grad with State handled outside leaves concrete values in the state', () => {
    const c = State.cell<Tensor>('c');
    const f = (x: Tensor) =>
      Program.gen(function* () {
        yield* State.set(c, mul(x, 3));
        return yield* Checked.log(neg(x));
      });
    const [r, final] = run(State.run({})(Fail.either(grad(f)(scalar(2)))));
    expect(isLeft(r)).toBe(true);
    expect(isConcrete(final.c)).toBe(true);
    expect(item(final.c as Tensor)).toBe(6);
  });

  test.prop([pos], SEED)('success path under grad: Right with the gradient (log: 1/x, sqrt: 1/(2 sqrt x), log1p: 1/(1+x))', (x) => {
    expect(item(rightOf(grad((t: Tensor) => Checked.log(t))(scalar(x))))).toBeCloseTo(1 / x, 10);
    expect(item(rightOf(grad((t: Tensor) => Checked.sqrt(t))(scalar(x))))).toBeCloseTo(1 / (2 * Math.sqrt(x)), 10);
    expect(item(rightOf(grad((t: Tensor) => Checked.log1p(t))(scalar(x))))).toBeCloseTo(1 / (1 + x), 10);
  });

  test.prop([pos, pos], SEED)('Checked.div under grad: d(a/b)/da = 1/b, d(a/b)/db = -a/b^2', (a, b) => {
    const [ga, gb] = rightOf(grad((s: Tensor, t: Tensor) => Checked.div(s, t), { argnums: [0, 1] })(scalar(a), scalar(b))) as [Tensor, Tensor];
    expect(item(ga)).toBeCloseTo(1 / b, 9);
    expect(item(gb) / (-a / (b * b))).toBeCloseTo(1, 9);
  });

  test.prop([pos], SEED)('second order on the success path: d2/dx2 log x = -1/x^2', (x) => {
    const g2 = item(rightOf(grad(grad((t: Tensor) => Checked.log(t)))(scalar(x))));
    expect(g2 / (-1 / (x * x))).toBeCloseTo(1, 9);
  });

  it('a failure under jvp is a Left too', () => {
    const r = run(Fail.either(jvp((t: Tensor) => Checked.log(t), [scalar(-3)], [scalar(1)])));
    expect(isLeft(r)).toBe(true);
  });
});

describe('Checked: no NaN or Infinity comes out as a Right', () => {
  it('Checked.div(1, NaN) is a Left (it was Right(NaN)); so are non-finite dividends and overflowing quotients', () => {
    const nan = leftOf(Checked.div(1, NaN)) as DomainError;
    expect(nan.code).toBe('DOMAIN_ERROR');
    expect(nan.message).toContain('a finite, non-zero divisor');
    expect((leftOf(Checked.div(tensor([1, NaN]), 2)) as DomainError).index).toBe(1);
    expect((leftOf(Checked.div(Infinity, 2)) as DomainError).message).toContain('a finite dividend');
    expect((leftOf(Checked.div(1, -Infinity)) as DomainError).code).toBe('DOMAIN_ERROR');
    const over = leftOf(Checked.div(1e308, 1e-10)) as DomainError;
    expect(over.message).toContain('a quotient that fits');
    expect(over.input).toBe(Infinity);
  });

  it('Checked.log, log1p and sqrt of NaN or Infinity are Lefts (log(Infinity) was Right(Infinity))', () => {
    for (const v of [NaN, Infinity, -Infinity]) {
      expect(leftOf(Checked.log(v)).message).toContain('Checked.log: ');
      expect(leftOf(Checked.log1p(v)).message).toContain('Checked.log1p: ');
      expect(leftOf(Checked.sqrt(v)).message).toContain('Checked.sqrt: ');
    }
  });

  it('operands and Fail.raise arguments are checked where the caller passes them', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return (e as AdjointError).code;
      }
      return undefined;
    };
    expect(code(() => Checked.log('1' as never))).toBe('NOT_NUMERIC');
    expect(code(() => Checked.div(1, [2] as never))).toBe('NOT_NUMERIC');
    expect(code(() => Fail.raise('oops' as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => Fail.either({} as never))).toBe('NOT_A_PROGRAM');
  });
});
