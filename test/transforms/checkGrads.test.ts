import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  AdjointError,
  add,
  checkGrads,
  exp,
  GradCheckError,
  logsumexp,
  matmul,
  mul,
  scalar,
  sin,
  stopGradient,
  sub,
  sum,
  tanh,
  type Tensor,
  tensor,
} from '../../src/index.js';
import { thrown } from '../reference.js';

const SEED = { seed: 7, numRuns: 30 } as const;

/** Runs `f`, expecting a `GradCheckError`; returns it. */
function expectGradCheckError(f: () => unknown): GradCheckError {
  const caught = thrown(() => f());
  expect(caught).toBeInstanceOf(GradCheckError);
  expect(caught).toBeInstanceOf(AdjointError);
  const err = caught as GradCheckError;
  expect(err.code).toBe('GRAD_CHECK_FAILED');
  expect(err.op).toBe('checkGrads');
  expect(err.message).toMatch(/^checkGrads: /);
  expect(typeof err.discrepancy).toBe('number');
  expect(typeof err.where).toBe('string');
  return err;
}

/** Wrong at first order: the value is x², the derivative (jvp and vjp) is 0. */
const brokenFirst = (x: Tensor): Tensor => add(stopGradient(mul(x, x)), 0);

/**
 * Right at first order, wrong at second: the value is x² and the first derivative 2x, but the derivative
 * is built from stopped values, so the second derivative comes out 0 instead of 2.
 */
const brokenSecond = (x: Tensor): Tensor => {
  const c = stopGradient(x);
  return sub(add(mul(x, c), mul(c, x)), mul(c, c));
};

describe('checkGrads on correct functions', () => {
  const f = (x: Tensor): Tensor => mul(sin(x), x);
  const x = tensor([0.5, 1.5, -2]);

  it('passes at order 1 and returns a frozen report of what it measured', () => {
    const report = checkGrads(f, [x]);
    expect(report.checks).toBeGreaterThanOrEqual(4); // one per output element, plus the dot-product identity
    expect(report.maxFiniteDifferenceError).toBeGreaterThanOrEqual(0);
    expect(report.maxFiniteDifferenceError).toBeLessThan(1e-6);
    expect(report.maxDotProductError).toBeLessThan(1e-10);
    expect(Object.isFrozen(report)).toBe(true);
  });

  it('passes at order 2 and checks more than at order 1', () => {
    const r1 = checkGrads(f, [x]);
    const r2 = checkGrads(f, [x], { order: 2 });
    expect(r2.checks).toBeGreaterThan(r1.checks);
    expect(r2.maxFiniteDifferenceError).toBeLessThan(1e-6);
    expect(r2.maxDotProductError).toBeLessThan(1e-10);
  });

  it('passes on a vector function with pytree arguments and outputs, at order 2', () => {
    const W = tensor([
      [0.3, -0.2],
      [0.1, 0.4],
      [-0.5, 0.2],
    ]);
    const g = (p: { w: Tensor; b: Tensor }, x: Tensor): { y: Tensor; extra: [Tensor] } => ({
      y: tanh(add(matmul(mul(W, p.w), x), p.b)),
      extra: [logsumexp(mul(x, sum(p.b)))],
    });
    const report = checkGrads(g, [{ w: tensor([[1, 2], [0.5, -1], [0, 3]]), b: tensor([0.1, -0.2, 0.3]) }, tensor([0.7, -0.4])], { order: 2 });
    expect(report.checks).toBeGreaterThan(8);
    expect(report.maxFiniteDifferenceError).toBeLessThan(1e-6);
  });

  it("with modes ['rev'] only: a single dot-product check against finite differences per order", () => {
    const r = checkGrads(f, [x], { modes: ['rev'] });
    expect(r.checks).toBe(1);
    expect(r.maxFiniteDifferenceError).toBe(0);
    expect(r.maxDotProductError).toBeLessThan(1e-6);
    expect(checkGrads(f, [x], { modes: ['rev'], order: 2 }).checks).toBe(2);
  });

  it('is reproducible: the same seed gives the same report, another seed other directions', () => {
    const a = checkGrads(f, [x], { seed: 3 });
    const b = checkGrads(f, [x], { seed: 3 });
    const c = checkGrads(f, [x], { seed: 4 });
    expect(a).toEqual(b);
    expect(c.maxFiniteDifferenceError).not.toBe(a.maxFiniteDifferenceError);
  });

  it('float32 inputs get looser default tolerances and pass', () => {
    const r = checkGrads(f, [tensor([0.5, 1.5], { dtype: 'float32' })]);
    expect(r.maxFiniteDifferenceError).toBeLessThan(1e-2);
  });

  test.prop([fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 1, maxLength: 4 })], SEED)(
    'passes at order 2 on exp(x)·sum(x) at random points',
    (pt) => {
      const report = checkGrads((t: Tensor) => mul(exp(t), sum(t)), [tensor(pt)], { order: 2, rtol: 1e-5, atol: 1e-5 });
      expect(report.maxFiniteDifferenceError).toBeLessThan(1e-5);
    },
  );
});

describe('checkGrads on wrong derivatives', () => {
  const x = tensor([0.5, 1.5]);

  it('throws GradCheckError when jvp disagrees with finite differences (order 1, default modes)', () => {
    const err = expectGradCheckError(() => checkGrads(brokenFirst, [x]));
    // jvp says 0, finite differences say 2x·v: the relative error is 1
    expect(err.discrepancy).toBeCloseTo(1, 6);
    expect(err.where).toMatch(/order 1/);
    expect(err.where).toMatch(/finite differences/);
    expect(err.where).toMatch(/output leaf 0, element [01]/);
    expect(err.message).toMatch(/jvp gives 0/);
  });

  it("throws with modes ['rev'] only (vjp against finite differences)", () => {
    const err = expectGradCheckError(() => checkGrads(brokenFirst, [x], { modes: ['rev'] }));
    expect(err.where).toMatch(/order 1/);
    expect(err.where).toMatch(/reverse mode vs finite differences/);
    expect(err.message).toMatch(/vs 0 \(reverse\)/);
  });

  it("reports a sane relative discrepancy with modes ['rev'] (the reverse side is 0, the reference is not)", () => {
    // <u, (f(x+εv) - f(x-εv)) / 2ε> ≠ 0 while <Jᵀu, v> = 0: the relative error is 1, not ~1e300
    const err = expectGradCheckError(() => checkGrads(brokenFirst, [x], { modes: ['rev'] }));
    expect(Number.isFinite(err.discrepancy)).toBe(true);
    expect(err.discrepancy).toBeGreaterThan(0.5);
    expect(err.discrepancy).toBeLessThanOrEqual(2);
  });

  it('a function wrong only at second order passes at order 1 and throws at order 2', () => {
    const r = checkGrads(brokenSecond, [x]);
    expect(r.maxFiniteDifferenceError).toBeLessThan(1e-6);
    const err = expectGradCheckError(() => checkGrads(brokenSecond, [x], { order: 2 }));
    expect(err.discrepancy).toBeCloseTo(1, 6);
    expectGradCheckError(() => checkGrads(brokenSecond, [x], { order: 2, modes: ['fwd'] }));
    expectGradCheckError(() => checkGrads(brokenSecond, [x], { order: 2, modes: ['rev'] }));
  });

  it('names the derivative order that is wrong: a second-derivative failure says "order 2"', () => {
    // the first derivative of brokenSecond is right, so the failure is in the second derivative
    const err = expectGradCheckError(() => checkGrads(brokenSecond, [x], { order: 2 }));
    expect(err.where).toMatch(/order 2/);
    expect(err.message).toMatch(/^checkGrads: order 2:/);
  });

  it('tight tolerances do not fail a right derivative', () => {
    const ok = checkGrads((t: Tensor) => mul(t, t), [scalar(3)], { rtol: 1e-9, atol: 1e-9 });
    expect(ok.maxFiniteDifferenceError).toBeLessThan(1e-9);
  });
});
