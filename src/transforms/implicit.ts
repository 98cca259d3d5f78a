/**
 * Implicit differentiation: derivatives of a solution defined by an equation, from the equation,
 * not from the iterations of the solver that found it (JAX's `lax.custom_linear_solve` and
 * `lax.custom_root`; Blondel et al. 2022, "Efficient and modular implicit differentiation").
 *
 * - `customLinearSolve(matvec, b, solve, transposeSolve?)`: `x = A⁻¹ b` for the linear map
 *   `A = matvec`. Then `dx = A⁻¹ (db - dA x)` and `b̄ = A⁻ᵀ x̄`, `Ā`-part `= -vjp(θ ↦ A_θ x)(b̄)`.
 * - `customRoot(f, initialGuess, solve, tangentSolve)`: `x*` with `f(x*) = 0`, where `f` closes over
 *   the parameters θ. By the implicit function theorem `∂f/∂x dx = -∂f/∂θ dθ`, a linear system in
 *   `dx` solved by `tangentSolve`, and in reverse mode `λ = (∂f/∂x)⁻ᵀ x̄`, `θ̄ = -(∂f/∂θ)ᵀ λ`.
 *
 * Each tangent or adjoint system is itself a `customLinearSolve`, so second derivatives are implicit
 * too and never differentiate a solver's iterations. Everything `matvec` or `f` closes over is a
 * differentiable operand (closure conversion, core/closure.ts); the solvers themselves may close
 * over nothing traced.
 *
 * @since 0.1.0
 */
import { checkArity, parseFunction } from '../core/args.js';
import { makeScope, withScopeChecked } from '../core/closure.js';
import { asTensor, zerosLike } from '../core/creation.js';
import { describeDef, flatten, sameDef, type TreeDef, unflatten } from '../core/Tree.js';
import { formatShape, ShapeError } from '../core/errors.js';
import { type AbstractValue, bindMulti } from '../core/primitive.js';
import type { MultiRule } from '../core/rule.js';
import type { Tensor } from '../core/Tensor.js';
import { tracesOpen } from '../core/Trace.js';
import { isZero, type Tangent } from '../core/zero.js';
import { sub } from '../rules/elementwise.js';
import { closureConvert, type Converted } from './closureConvert.js';
import { liftBatch } from './vmap.js';
import { jvp, vjp } from './transforms.js';

type Solver = (matvec: (x: unknown) => unknown, b: unknown) => unknown;

const avalOf = (t: Tensor): AbstractValue => ({ shape: t.shape, dtype: t.dtype });
const materialize = (t: Tangent, like: Tensor): Tensor => (isZero(t) ? zerosLike(like) : t);
const leavesOf = (op: string, v: unknown): { leaves: Tensor[]; def: TreeDef } => {
  const { leaves, def } = flatten(op, v);
  return { leaves: leaves.map((l) => asTensor(op, l)), def };
};

/** A solver's result, checked against the structure and shapes the solution must have. */
function solution(owner: string, x: unknown, def: TreeDef, avals: ReadonlyArray<AbstractValue>): Tensor[] {
  const { leaves, def: got } = leavesOf(owner, x);
  if (!sameDef(got, def)) throw new ShapeError('TREE_MISMATCH', owner, `the solver returned ${describeDef(got)}; the solution must have the structure ${describeDef(def)} of the right-hand side`);
  return leaves.map((t, i) => {
    const want = avals[i]!;
    if (t.shape.length !== want.shape.length || t.shape.some((d, j) => d !== want.shape[j])) {
      throw new ShapeError('TREE_MISMATCH', owner, `leaf ${i} of the solver's result has shape ${formatShape(t.shape)}, not ${formatShape(want.shape)}`);
    }
    return t;
  });
}

/** Runs a user solver; it may close over nothing traced (its operator is handed to it). */
function runSolver(owner: string, inputs: ReadonlyArray<Tensor>, body: () => unknown): unknown {
  return withScopeChecked(makeScope('forbid', owner, inputs), body);
}

// ---- customLinearSolve ---------------------------------------------------------------------------

interface LinearSolveParams {
  /** `matvec` over flat leaves, closure-converted: operands `[x leaves..., captured...]`. */
  readonly mv: Converted;
  readonly def: TreeDef;
  readonly avals: ReadonlyArray<AbstractValue>;
  readonly solve: Solver;
  readonly transposeSolve: Solver;
}

/** The operator as a function of pytrees, with its parameters bound to `caps`. */
function operator(p: LinearSolveParams, caps: ReadonlyArray<Tensor>): (x: unknown) => unknown {
  return (x) => unflatten(p.mv.outDef, p.mv.call([...leavesOf('customLinearSolve matvec', x).leaves, ...caps]));
}

/** Solves `A x = b` with `solver`; `operands` (b's leaves, then the operator's) are the solver's own values. */
function solveWith(p: LinearSolveParams, solver: Solver, owner: string, operands: ReadonlyArray<Tensor>): Tensor[] {
  const n = p.avals.length;
  const b = operands.slice(0, n);
  // the operator's parameters are operands too: under vmap (a lifted impl) they are batch tracers
  // the solver reaches through the operator it is handed, not by closure
  const x = runSolver(owner, operands, () => solver(operator(p, operands.slice(n)), unflatten(p.def, b)));
  return solution(owner, x, p.def, p.avals);
}

/** The transpose of the operator at `caps` (the vjp of a linear map), as a function of pytrees. */
function transposed(p: LinearSolveParams, caps: ReadonlyArray<Tensor>): (v: unknown) => unknown {
  const n = p.avals.length;
  return (v) => {
    const point = p.avals.map((a) => zerosLike(a as Tensor));
    const [, pullback] = vjp((...xs: Tensor[]) => p.mv.call([...xs, ...caps]), ...point) as unknown as readonly [unknown, (ct: Tensor[]) => Tensor[]];
    return unflatten(p.def, pullback(leavesOf('customLinearSolve', v).leaves).slice(0, n));
  };
}

export const linearSolveP: MultiRule<LinearSolveParams> = {
  batch: (args, dims, params, size) => liftBatch(linearSolveP)(args, dims, params, size),
  name: 'customLinearSolve',
  multipleResults: true,
  examples: [],
  describeParams: (p) => `[captured=${p.mv.captured.length}]`,
  shape: (_args, p) => p.avals,
  impl: (args, p) => {
    return solveWith(p, p.solve, 'customLinearSolve solve', args);
  },
  // A(θ) x = b: dx = A⁻¹ (db - (dA) x)
  jvp: (primals, tangents, ans, p) => {
    const n = p.avals.length;
    const caps = primals.slice(n);
    let rhs: Tensor[] = tangents.slice(0, n).map((t, i) => materialize(t, primals[i]!));
    if (tangents.slice(n).some((t) => !isZero(t))) {
      const [, dAx] = jvp((...cs: Tensor[]) => p.mv.call([...ans, ...cs]), [...caps], tangents.slice(n).map((t, i) => materialize(t, caps[i]!))) as unknown as [unknown, Tensor[]];
      rhs = rhs.map((r, i) => sub(r, dAx[i]!));
    }
    const dx = customLinearSolve(operator(p, caps), unflatten(p.def, rhs), p.solve, p.transposeSolve);
    return leavesOf('customLinearSolve', dx).leaves;
  },
  // b̄ = A⁻ᵀ x̄; θ̄ = -(∂(A_θ x)/∂θ)ᵀ b̄
  vjp: (cts, primals, ans, p) => {
    const n = p.avals.length;
    const caps = primals.slice(n);
    const ct = cts.map((c, i) => materialize(c, ans[i]!));
    const bBar = leavesOf('customLinearSolve', customLinearSolve(transposed(p, caps), unflatten(p.def, ct), p.transposeSolve, p.solve)).leaves;
    if (caps.length === 0) return bBar;
    const [, pullback] = vjp((...cs: Tensor[]) => p.mv.call([...ans, ...cs]), ...caps) as unknown as readonly [unknown, (ct: Tensor[]) => Tensor[]];
    return [...bBar, ...pullback(bBar).map((c) => sub(0, c))];
  },
};

/**
 * Solves the linear system `matvec(x) = b` with the given solver and differentiates the solution
 * implicitly, with respect to `b` and to whatever `matvec` closes over, using the solver itself
 * (`transposeSolve` for the transposed system; by default `solve`, applied to the transpose of
 * `matvec`). `b` and `x` are pytrees of the same structure; `solve(matvec, b)` returns `x`.
 *
 * `customLinearSolve : (A, b, solve, transposeSolve?) => A⁻¹ b`
 *
 * Errors: `TREE_MISMATCH` if a solver returns a solution of the wrong structure or shapes;
 * `CLOSED_OVER_TRACER` if a solver closes over a traced value; `INVALID_ARGUMENT` for non-functions.
 *
 * @example
 * import { customLinearSolve, grad, mul, div, item } from 'adjoint'
 * // x = b / a, solved by "a solver" that knows the operator is a scaling
 * const solve = (matvec, b) => div(b, matvec(1))
 * const x = (a) => customLinearSolve((v) => mul(a, v), 6, solve)
 * assert.equal(item(x(3)), 2)
 * assert.equal(item(grad(x)(3)), -6 / 9)
 *
 * @category transforms
 * @since 0.1.0
 */
export function customLinearSolve<B>(matvec: (x: B) => B, b: B, solve: (matvec: (x: B) => B, b: B) => B, transposeSolve?: (vecmat: (x: B) => B, b: B) => B): B {
  checkArity('customLinearSolve', arguments.length, 4, 'customLinearSolve(matvec, b, solve, transposeSolve?)');
  parseFunction('customLinearSolve', 'matvec', matvec);
  parseFunction('customLinearSolve', 'solve', solve);
  if (transposeSolve !== undefined) parseFunction('customLinearSolve', 'transposeSolve', transposeSolve);
  const { leaves, def } = leavesOf('customLinearSolve', b);
  if (!tracesOpen()) {
    const x = runSolver('customLinearSolve solve', [], () => solve(matvec, b));
    solution('customLinearSolve solve', x, def, leaves.map(avalOf));
    return x as B;
  }
  const mv = closureConvert('customLinearSolve matvec', (ls) => matvec(unflatten(def, ls, false) as B), leaves);
  const params: LinearSolveParams = {
    mv,
    def,
    avals: leaves.map(avalOf),
    solve: solve as unknown as Solver,
    transposeSolve: (transposeSolve ?? solve) as unknown as Solver,
  };
  return unflatten(def, bindMulti(linearSolveP, [...leaves, ...mv.captured], params)) as B;
}

// ---- customRoot ------------------------------------------------------------------------------------

interface RootParams {
  /** `f` over flat leaves of x, closure-converted: operands `[x leaves..., θ captured...]`. */
  readonly fc: Converted;
  readonly def: TreeDef;
  readonly avals: ReadonlyArray<AbstractValue>;
  readonly solve: Solver;
  readonly tangentSolve: Solver;
}

/** `f` at parameters `caps`, as a function of pytrees. */
function fAt(p: RootParams, caps: ReadonlyArray<Tensor>): (x: unknown) => unknown {
  return (x) => unflatten(p.fc.outDef, p.fc.call([...leavesOf('customRoot f', x).leaves, ...caps]));
}

/** `v ↦ ∂f/∂x v` at the root `x` (linear), as a function of pytrees. */
function jacobianAt(p: RootParams, x: ReadonlyArray<Tensor>, caps: ReadonlyArray<Tensor>): (v: unknown) => unknown {
  return (v) => {
    const [, t] = jvp((...xs: Tensor[]) => p.fc.call([...xs, ...caps]), [...x], leavesOf('customRoot', v).leaves) as unknown as [unknown, Tensor[]];
    return unflatten(p.def, t);
  };
}

/** `w ↦ (∂f/∂x)ᵀ w` at the root `x`. */
function jacobianTransposeAt(p: RootParams, x: ReadonlyArray<Tensor>, caps: ReadonlyArray<Tensor>): (w: unknown) => unknown {
  return (w) => {
    const [, pullback] = vjp((...xs: Tensor[]) => p.fc.call([...xs, ...caps]), ...x) as unknown as readonly [unknown, (ct: Tensor[]) => Tensor[]];
    return unflatten(p.def, pullback(leavesOf('customRoot', w).leaves));
  };
}

export const rootP: MultiRule<RootParams> = {
  batch: (args, dims, params, size) => liftBatch(rootP)(args, dims, params, size),
  name: 'customRoot',
  multipleResults: true,
  examples: [],
  describeParams: (p) => `[captured=${p.fc.captured.length}]`,
  shape: (_args, p) => p.avals,
  impl: (args, p) => {
    const n = p.avals.length;
    const x = runSolver('customRoot solve', args, () => p.solve(fAt(p, args.slice(n)), unflatten(p.def, args.slice(0, n))));
    return solution('customRoot solve', x, p.def, p.avals);
  },
  // ∂f/∂x dx = -∂f/∂θ dθ (the initial guess has no influence on the root)
  jvp: (primals, tangents, ans, p) => {
    const n = p.avals.length;
    const caps = primals.slice(n);
    if (tangents.slice(n).every((t) => isZero(t))) return ans.map((a) => zerosLike(a));
    const [, dfdTheta] = jvp((...cs: Tensor[]) => p.fc.call([...ans, ...cs]), [...caps], tangents.slice(n).map((t, i) => materialize(t, caps[i]!))) as unknown as [unknown, Tensor[]];
    const rhs = unflatten(p.def, dfdTheta.map((t) => sub(0, t)));
    const dx = customLinearSolve(jacobianAt(p, ans, caps), rhs, p.tangentSolve, p.tangentSolve);
    return leavesOf('customRoot', dx).leaves;
  },
  // λ = (∂f/∂x)⁻ᵀ x̄; θ̄ = -(∂f/∂θ)ᵀ λ
  vjp: (cts, primals, ans, p) => {
    const n = p.avals.length;
    const caps = primals.slice(n);
    const ct = cts.map((c, i) => materialize(c, ans[i]!));
    const lambda = leavesOf('customRoot', customLinearSolve(jacobianTransposeAt(p, ans, caps), unflatten(p.def, ct), p.tangentSolve, p.tangentSolve)).leaves;
    const [, pullback] = vjp((...cs: Tensor[]) => p.fc.call([...ans, ...cs]), ...caps) as unknown as readonly [unknown, (ct: Tensor[]) => Tensor[]];
    const capBar = pullback(lambda).map((c) => sub(0, c));
    return [...ans.map((a) => zerosLike(a)), ...capBar];
  },
};

/**
 * The root `x*` of `f(x) = 0` found by `solve(f, initialGuess)`, differentiated by the implicit
 * function theorem with respect to everything `f` closes over, in both modes and to any order:
 * `tangentSolve(g, y)` solves the linear system `g(x) = y` (g is `v ↦ ∂f/∂x v` or its transpose).
 * The solver's iterations are never differentiated, so a solver that is not differentiable (or
 * slow to differentiate) is fine.
 *
 * `customRoot : (f, x0, solve, tangentSolve) => x*`
 *
 * Errors: `TREE_MISMATCH` if a solver returns the wrong structure or shapes; `CLOSED_OVER_TRACER`
 * if a solver closes over a traced value; `INVALID_ARGUMENT` for non-functions.
 *
 * @example
 * import { customRoot, grad, sub, mul, div, item } from 'adjoint'
 * // x* = √a as the root of x² - a, found by Newton's method; d√a/da = 1 / (2√a)
 * const newton = (f, x0) => { let x = x0; for (let i = 0; i < 30; i++) x = sub(x, div(f(x), mul(2, x))); return x }
 * const scalarSolve = (g, y) => div(y, g(1))
 * const sqrtA = (a) => customRoot((x) => sub(mul(x, x), a), 1, newton, scalarSolve)
 * assert.ok(Math.abs(item(grad(sqrtA)(4)) - 0.25) < 1e-12)
 *
 * @category transforms
 * @since 0.1.0
 */
export function customRoot<X>(
  f: (x: X) => X,
  initialGuess: X,
  solve: (f: (x: X) => X, initialGuess: X) => X,
  tangentSolve: (g: (x: X) => X, y: X) => X,
): X {
  checkArity('customRoot', arguments.length, 4, 'customRoot(f, initialGuess, solve, tangentSolve)');
  parseFunction('customRoot', 'f', f);
  parseFunction('customRoot', 'solve', solve);
  parseFunction('customRoot', 'tangentSolve', tangentSolve);
  const { leaves, def } = leavesOf('customRoot', initialGuess);
  if (!tracesOpen()) {
    const x = runSolver('customRoot solve', [], () => solve(f, initialGuess));
    solution('customRoot solve', x, def, leaves.map(avalOf));
    return x as X;
  }
  const fc = closureConvert('customRoot f', (ls) => f(unflatten(def, ls, false) as X), leaves);
  const params: RootParams = { fc, def, avals: leaves.map(avalOf), solve: solve as unknown as Solver, tangentSolve: tangentSolve as unknown as Solver };
  return unflatten(def, bindMulti(rootP, [...leaves, ...fc.captured], params)) as X;
}
