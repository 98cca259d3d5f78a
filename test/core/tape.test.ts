/**
 * The reverse tape's two routes. 0-d float64 ops are recorded through the scalar entry (no operand
 * arrays, numbers in typed arrays) and everything else through `bind`; the reverse pass runs plain
 * numbers through the first and tensor rules through the second. Both must give the same gradients,
 * for any mix of operands, and a tape whose arrays were handed to the next trace must never be read.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  AdjointError,
  add,
  cos,
  div,
  exp,
  grad,
  item,
  jacrev,
  maximum,
  mul,
  type Operand,
  reshape,
  scalar,
  sin,
  sub,
  sum,
  type Tensor,
  tanh,
  tensor,
  toArray,
  vjp,
} from '../../src/index.js';
import { thrown } from '../reference.js';

/** One step of a random program: an op and the indices of its operands among the values so far. */
type Step = readonly [op: number, a: number, b: number, constant: number];

const OPS: ReadonlyArray<(x: Operand, y: Operand) => Tensor> = [
  (x, y) => add(x, y),
  (x, y) => sub(x, y),
  (x, y) => mul(x, y),
  (x, y) => div(x, add(2, tanh(y))), // a denominator in (1, 3)
  (x) => sin(x),
  (x) => cos(x),
  (x) => tanh(x),
  (x, y) => maximum(x, y),
  (x) => exp(mul(0.1, x)),
];

/**
 * Runs `steps` over the inputs: value k + 3 is op(values[a], values[b]) or, for odd `constant`,
 * op(values[a], constant). Returns the sum of every value, so each one gets an adjoint.
 */
function program(steps: ReadonlyArray<Step>, wrap: (v: Tensor) => Tensor): (x: Tensor, y: Tensor, z: Tensor) => Tensor {
  return (x, y, z) => {
    const values: Tensor[] = [x, y, z];
    for (const [op, a, b, c] of steps) {
      const u = values[a % values.length]!;
      const v = c % 2 === 1 ? c / 7 : values[b % values.length]!;
      values.push(OPS[op % OPS.length]!(u, wrap(typeof v === 'number' ? scalar(v) : v)));
    }
    return values.reduce((s, v) => add(s, sum(v)));
  };
}

const steps = fc.array(fc.tuple(fc.nat(100), fc.nat(100), fc.nat(100), fc.nat(20)), { minLength: 1, maxLength: 30 });
const point = fc.tuple(fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }));

describe('scalar route and tensor route agree', () => {
  test.prop([steps, point], { seed: 20261126, numRuns: 200 })('random scalar programs: 0-d inputs against shape-[1] inputs', (s, [a, b, c]) => {
    // 0-d float64 inputs take the scalar route; shape-[1] inputs are not 0-d and take `bind`
    const fast = grad(program(s, (v) => v), { argnums: [0, 1, 2] })(scalar(a), scalar(b), scalar(c));
    const asVector = (v: Tensor): Tensor => (v.ndim === 0 ? reshape(v, [1]) : v);
    const slow = grad(program(s, asVector), { argnums: [0, 1, 2] })(tensor([a]), tensor([b]), tensor([c]));
    for (let i = 0; i < 3; i++) {
      const want = (toArray(slow[i]!) as number[])[0]!;
      expect(item(fast[i]!)).toBeCloseTo(want, 12);
    }
  });

  it('constants of every kind: a number, a concrete 0-d tensor, a float32 0-d tensor, an outer tracer', () => {
    // d/dx [x·(2 + c32) + x·x·t] with t = y (traced by the outer grad), then d/dy of that at y = 3
    const c32 = scalar(0.5, { dtype: 'float32' });
    const inner = (y: Tensor) => grad((x: Tensor) => add(mul(x, add(2, c32)), mul(mul(x, x), y)))(scalar(1.5));
    expect(item(inner(scalar(3)))).toBe(2.5 + 2 * 1.5 * 3);
    expect(item(grad(inner)(scalar(3)))).toBe(2 * 1.5);
  });

  it('a traced cotangent through scalar equations takes the tensor rules', () => {
    // the pullback's tape holds scalar equations; a cotangent traced by an outer grad must not be
    // turned into a number: d/dc (c·f'(x0))² = 2c·f'(x0)² with f(x) = x·sin x
    const x0 = 0.4;
    const df = x0 * Math.cos(x0) + Math.sin(x0);
    const [, pullback] = vjp((x: Tensor) => mul(sin(x), x), scalar(x0));
    const g = grad((c: Tensor) => {
      const [dx] = pullback(c);
      return mul(dx, dx);
    })(scalar(3));
    expect(item(g)).toBeCloseTo(2 * 3 * df * df, 12);
  });

  it('grad of grad: the outer tape records the inner pass as scalar equations', () => {
    // d²/dx² [sin(x)·x²] = (2 - x²) sin x + 4x cos x
    const g2 = grad(grad((x: Tensor) => mul(sin(x), mul(x, x))));
    const x = 0.9;
    expect(item(g2(scalar(x)))).toBeCloseTo((2 - x * x) * Math.sin(x) + 4 * x * Math.cos(x), 12);
  });
});

describe('tape arrays handed to the next trace', () => {
  const chain = (n: number) => (x: Tensor) => {
    let s: Tensor = x;
    for (let i = 0; i < n; i++) s = add(mul(s, 0.5), sin(s));
    return s;
  };
  const reference = (n: number, x: number): number => {
    let s = x;
    let d = 1;
    for (let i = 0; i < n; i++) {
      d *= 0.5 + Math.cos(s);
      s = 0.5 * s + Math.sin(s);
    }
    return d;
  };

  it('a small tape after a large one reads none of the old values', () => {
    expect(item(grad(chain(50_000))(scalar(0.3)))).toBeCloseTo(reference(50_000, 0.3), 10);
    expect(item(grad(chain(3))(scalar(-1.2)))).toBeCloseTo(reference(3, -1.2), 14);
  });

  it('nested grads, each giving its arrays back while the outer one records', () => {
    // d/dx [x · d/dy (y³) at y = x] = d/dx 3x³ = 9x²
    const g = grad((x: Tensor) => mul(x, grad((y: Tensor) => mul(mul(y, y), y))(x)));
    expect(item(g(scalar(2)))).toBeCloseTo(36, 12);
    expect(item(g(scalar(-1)))).toBeCloseTo(9, 12);
  });

  it('a vjp pullback keeps its tape: it still works after other grads reuse arrays', () => {
    const [, pullback] = vjp(chain(10), scalar(0.7));
    grad(chain(1000))(scalar(0.1));
    jacrev(chain(100))(scalar(0.2));
    const [g] = pullback(scalar(1));
    expect(item(g)).toBeCloseTo(reference(10, 0.7), 14);
    expect(item(pullback(scalar(2))[0])).toBeCloseTo(2 * reference(10, 0.7), 14);
  });

  it('a tracer leaked from a grad whose tape was handed on raises LEAKED_TRACER, through the scalar entry too', () => {
    let leaked: Tensor | undefined;
    grad((x: Tensor) => {
      leaked = mul(x, 2);
      return leaked;
    })(scalar(1));
    grad(chain(100))(scalar(0.5)); // the next trace takes the arrays
    const inside = thrown(() => grad((x: Tensor) => add(x, leaked!))(scalar(1)));
    expect(inside).toBeInstanceOf(AdjointError);
    expect((inside as AdjointError).code).toBe('LEAKED_TRACER');
    const outside = thrown(() => sin(leaked!));
    expect((outside as AdjointError).code).toBe('LEAKED_TRACER');
    expect((outside as AdjointError).message).toMatch(/grad/);
  });
});
