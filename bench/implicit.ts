/**
 * Implicit differentiation (issue 10): `grad` through `customRoot` against differentiating the
 * solver's iterations unrolled onto the tape, in time and in accuracy against the closed form.
 *
 * The problem: ridge regression on 200 samples of 20 correlated features (scaled by 1 to 1/20, so
 * the system is ill-conditioned and the solver needs many iterations), solved by gradient descent
 * (`w ← w - η ∇L(w)` with the optimal fixed step `η = 2 / (μ + L)`), and the gradient of a validation
 * loss with respect to the regularisation strength λ. The closed form `w* = (XᵀX/n + λI)⁻¹ Xᵀy/n`,
 * differentiated through `solve`, is the reference. For each number of iterations K:
 *
 * - unrolled: the K iterations are recorded on the tape and differentiated;
 * - customRoot: the same K iterations find the root of ∇L, untraced; the derivative comes from the
 *   implicit function theorem, whose 20 x 20 linear systems are solved with `solve` on the matrix
 *   built from 20 products with the Jacobian.
 *
 * Run alone with `npx tsx bench/implicit.ts`.
 */
import {
  add,
  customRoot,
  div,
  eigh,
  eye,
  grad,
  item,
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
  toTypedArray,
  transpose,
} from '../src/index.js';
import { formatNumber, measureRounds, median, pairedRatio, printTable } from './harness.js';

const N = 200;
const NV = 100;
const D = 20;

const wTrue = random.normal(random.key(10), [D]);
/** Features with scales from 1 down to 1/20. */
const X = mul(random.normal(random.key(11), [N, D]), tensor(Array.from({ length: D }, (_, j) => 1 / (1 + j))));
const y = add(matmul(X, wTrue), mul(0.5, random.normal(random.key(12), [N])));
const Xv = random.normal(random.key(13), [NV, D]);
const yv = add(matmul(Xv, wTrue), mul(0.5, random.normal(random.key(14), [NV])));
const gram = div(matmul(transpose(X), X), N);
const Xty = div(matmul(transpose(X), y), N);
const LAMBDA = 0.01;

/** The optimal fixed step of gradient descent for the Hessian's extreme eigenvalues at λ. */
const eigenvalues = toTypedArray(eigh(gram)[0]);
const eta = 2 / (eigenvalues[0]! + eigenvalues[D - 1]! + 2 * LAMBDA);

/** ∇ of the training loss |Xw - y|²/2n + λ|w|²/2. */
const optimality = (lam: Tensor) => (w: Tensor): Tensor => add(sub(matmul(gram, w), Xty), mul(lam, w));
const validation = (w: Tensor): Tensor => div(sum(square(sub(matmul(Xv, w), yv))), 2 * NV);

const descend = (k: number) => (f: (w: Tensor) => Tensor, w0: Tensor): Tensor => {
  let w = w0;
  for (let i = 0; i < k; i++) w = sub(w, mul(eta, f(w)));
  return w;
};
const basis = Array.from({ length: D }, (_, i) => tensor(Array.from({ length: D }, (_, j) => (i === j ? 1 : 0))));
const tangentSolve = (g: (v: Tensor) => Tensor, b: Tensor): Tensor => solve(stack(basis.map(g), 1), b);
const w0 = tensor(new Array<number>(D).fill(0));

const closedForm = (lam: Tensor): Tensor => validation(solve(add(gram, mul(lam, eye(D))), Xty));
const unrolledLoss = (k: number) => (lam: Tensor): Tensor => validation(descend(k)(optimality(lam), w0));
const implicitLoss = (k: number) => (lam: Tensor): Tensor => validation(customRoot(optimality(lam), w0, descend(k), tangentSolve));

export function benchImplicit(): void {
  const lam = tensor(LAMBDA);
  const exact = item(grad(closedForm)(lam));
  const rows: Array<Array<string | number>> = [];
  const relErr = (g: number): string => (Math.abs(g - exact) / Math.abs(exact)).toExponential(1);
  measureRounds([() => grad(unrolledLoss(10))(lam), () => grad(implicitLoss(10))(lam)], { minRuns: 20, minTimeMs: 300 });
  for (const k of [100, 300, 1000, 3000]) {
    const u = () => item(grad(unrolledLoss(k))(lam));
    const r = () => item(grad(implicitLoss(k))(lam));
    const times = measureRounds([u, r], { minRuns: 5, minTimeMs: 300, warmupRuns: 2 });
    const [tu, tr] = times.map(median) as [number, number];
    rows.push([String(k), tu, relErr(u()), tr, relErr(r()), `${pairedRatio(times, 0, 1).toFixed(1)}x`]);
  }
  const tClosed = median(measureRounds([() => item(grad(closedForm)(lam))], { minRuns: 5, minTimeMs: 200 })[0]!);
  console.log(`contraction of gradient descent per iteration: ${formatNumber(1 - eta * (eigenvalues[0]! + LAMBDA))}; d(validation loss)/dλ at λ = ${LAMBDA}: ${exact} (closed form, ${formatNumber(tClosed)} ms)`);
  printTable(
    `grad of a validation loss with respect to λ through ridge regression solved by K iterations of gradient descent (${N} x ${D}), median ms; relative error against the closed form`,
    ['K', 'unrolled ms', 'unrolled rel. error', 'customRoot ms', 'customRoot rel. error', 'unrolled / customRoot time'],
    rows,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) benchImplicit();
