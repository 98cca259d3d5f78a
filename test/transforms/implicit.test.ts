/**
 * Implicit differentiation (issue 10): the README's worked example, ridge regression solved by
 * gradient descent inside `customRoot`, whose derivatives with respect to the regularisation
 * strength must match those of the closed-form solution (computed with `solve`) to 1e-10, in every
 * mode and at second order. The other `customRoot` and `customLinearSolve` tests are in custom.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  add,
  customRoot,
  div,
  eye,
  grad,
  hessian,
  item,
  jvp,
  matmul,
  mul,
  random,
  solve,
  square,
  stack,
  sub,
  sum,
  type Tensor,
  tensor,
  transpose,
} from '../../src/index.js';

const w = tensor([1, -2, 0.5]);
const X = random.normal(random.key(0), [40, 3]);
const y = add(matmul(X, w), mul(0.3, random.normal(random.key(1), [40])));
const Xv = random.normal(random.key(2), [20, 3]);
const yv = add(matmul(Xv, w), mul(0.3, random.normal(random.key(3), [20])));

/** ∇ of the training loss |Xw - y|²/2n + λ|w|²/2. */
const optimality = (lambda: Tensor) => (v: Tensor): Tensor => add(div(matmul(transpose(X), sub(matmul(X, v), y)), 40), mul(lambda, v));
const gradientDescent = (f: (v: Tensor) => Tensor, w0: Tensor): Tensor => {
  let v = w0;
  for (let i = 0; i < 500; i++) v = sub(v, mul(0.5, f(v)));
  return v;
};
const basis = [tensor([1, 0, 0]), tensor([0, 1, 0]), tensor([0, 0, 1])];
const tangentSolve = (g: (v: Tensor) => Tensor, b: Tensor): Tensor => solve(stack(basis.map(g), 1), b);

const validationLoss = (v: Tensor): Tensor => div(sum(square(sub(matmul(Xv, v), yv))), 40);
const viaRoot = (lambda: Tensor): Tensor => validationLoss(customRoot(optimality(lambda), tensor([0, 0, 0]), gradientDescent, tangentSolve));
const closedForm = (lambda: Tensor): Tensor =>
  validationLoss(solve(add(div(matmul(transpose(X), X), 40), mul(lambda, eye(3))), div(matmul(transpose(X), y), 40)));

describe('ridge regression tuned through customRoot (the README example)', () => {
  it('grad, jvp, hessian and grad of grad of the validation loss with respect to λ match the closed form to 1e-10', () => {
    for (const lambda of [0.1, 0.5, 2]) {
      const l = tensor(lambda);
      expect(Math.abs(item(viaRoot(l)) - item(closedForm(l)))).toBeLessThan(1e-12);
      const g = item(grad(closedForm)(l));
      // a derivative that is not zero, so the comparison says something
      expect(Math.abs(g)).toBeGreaterThan(1e-3);
      expect(Math.abs(item(grad(viaRoot)(l)) - g)).toBeLessThan(1e-10);
      expect(Math.abs(item(jvp(viaRoot, [l], [tensor(1)])[1]) - g)).toBeLessThan(1e-10);
      const h = item(hessian(closedForm)(l));
      expect(Math.abs(h)).toBeGreaterThan(1e-3);
      expect(Math.abs(item(hessian(viaRoot)(l)) - h)).toBeLessThan(1e-10);
      expect(Math.abs(item(grad(grad(viaRoot))(l)) - h)).toBeLessThan(1e-10);
    }
  });

  it('a control: with a solver stopped early, both routes are off, so the agreement above rests on the solver converging', () => {
    // 20 iterations of gradient descent: the derivative through the unrolled iterations is off by
    // about 2e-5 here, the implicit one (at an inexact root) by about 9e-6
    const twenty = (f: (v: Tensor) => Tensor, w0: Tensor): Tensor => {
      let v = w0;
      for (let i = 0; i < 20; i++) v = sub(v, mul(0.5, f(v)));
      return v;
    };
    const l = tensor(0.1);
    const g = item(grad(closedForm)(l));
    const unrolled = item(grad((lambda: Tensor) => validationLoss(twenty(optimality(lambda), tensor([0, 0, 0]))))(l));
    const implicit = item(grad((lambda: Tensor) => validationLoss(customRoot(optimality(lambda), tensor([0, 0, 0]), twenty, tangentSolve)))(l));
    expect(Math.abs(unrolled - g)).toBeGreaterThan(1e-6);
    expect(Math.abs(implicit - g)).toBeGreaterThan(1e-6);
    expect(Math.abs(implicit - g)).toBeLessThan(1e-4);
  });
});
