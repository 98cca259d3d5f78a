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
 * What the derivatives rely on is checked where they rely on it (transforms/linearity.ts), since a
 * violation would give wrong derivatives silently: `f` and `matvec` map X to X (checked at their
 * first call), `matvec` is linear (a dot-product identity, when reverse mode transposes it or
 * forward mode differentiates it), and a solver used for a derivative system is linear in its
 * right-hand side (one more solve, of `-y`).
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
import { probeValue, tracesOpen } from '../core/Trace.js';
import { isZero, type Tangent } from '../core/zero.js';
import { neg, sub } from '../rules/elementwise.js';
import { closureConvert, type Converted } from './closureConvert.js';
import { checkDotProduct, checkOdd, probePoint } from './linearity.js';
import { liftBatch } from './vmap.js';
import { jvpAs, vjpAs } from './transforms.js';

type Solver = (matvec: (x: unknown) => unknown, b: unknown) => unknown;

const avalOf = (t: Tensor): AbstractValue => ({ shape: t.shape, dtype: t.dtype });
const materialize = (t: Tangent, like: Tensor): Tensor => (isZero(t) ? zerosLike(like) : t);
const leavesOf = (op: string, v: unknown): { leaves: Tensor[]; def: TreeDef } => {
  const { leaves, def } = flatten(op, v);
  return { leaves: leaves.map((l) => asTensor(op, l)), def };
};
const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => a.length === b.length && a.every((d, j) => d === b[j]);

/** A solver's result, checked against the structure and shapes the solution must have. */
function solution(owner: string, x: unknown, def: TreeDef, avals: ReadonlyArray<AbstractValue>): Tensor[] {
  const { leaves, def: got } = leavesOf(owner, x);
  if (!sameDef(got, def)) throw new ShapeError('TREE_MISMATCH', owner, `the solver returned ${describeDef(got)}; the solution must have the structure ${describeDef(def)} of the right-hand side`);
  return leaves.map((t, i) => {
    const want = avals[i]!;
    if (!sameShape(t.shape, want.shape)) {
      throw new ShapeError('TREE_MISMATCH', owner, `leaf ${i} of the solver's result has shape ${formatShape(t.shape)}, not ${formatShape(want.shape)}`);
    }
    return t;
  });
}

/** A user map the library treats as an operator on X (`customRoot`'s `f`, `customLinearSolve`'s `matvec`). */
interface MapName {
  /** Who it is, for messages: `customRoot f`. */
  readonly owner: string;
  /** Its parameter name: `f`. */
  readonly name: string;
  /** Why it must map X to X. */
  readonly why: string;
}

const F: MapName = { owner: 'customRoot f', name: 'f', why: 'f(x) = 0 has as many equations as unknowns' };
const MATVEC: MapName = { owner: 'customLinearSolve matvec', name: 'matvec', why: 'a linear system with as many equations as unknowns' };

/**
 * Checks that a map returned a value with the structure and shapes of its input (it maps X to X);
 * otherwise `TREE_MISMATCH` from the map, found where the library first calls it (a solver would
 * otherwise run on, or a pullback fail later in internal terms).
 */
function checkMapsToInput(m: MapName, inDef: TreeDef, inShapes: ReadonlyArray<ReadonlyArray<number>>, outDef: TreeDef, outShapes: ReadonlyArray<ReadonlyArray<number>>): void {
  const must = `; ${m.name} must return a value with the structure and shapes of its input (it maps X to X: ${m.why})`;
  if (!sameDef(outDef, inDef)) throw new ShapeError('TREE_MISMATCH', m.owner, `${m.name} returned ${describeDef(outDef)} for an input ${describeDef(inDef)}${must}`);
  outShapes.forEach((s, i) => {
    if (!sameShape(s, inShapes[i]!)) {
      const leaf = outShapes.length === 1 ? '' : `leaf ${i} of `;
      throw new ShapeError('TREE_MISMATCH', m.owner, `${leaf}${m.name}'s result has shape ${formatShape(s)} but ${leaf === '' ? 'its input has' : `that of its input has`} shape ${formatShape(inShapes[i]!)}${must}`);
    }
  });
}

/** The map as handed to a solver outside any transform: each call's result is checked against its input. */
function checkedMap(m: MapName, fn: (x: unknown) => unknown): (x: unknown) => unknown {
  return (x) => {
    const y = fn(x);
    const a = leavesOf(m.owner, x);
    const b = leavesOf(m.owner, y);
    checkMapsToInput(m, a.def, a.leaves.map((t) => t.shape), b.def, b.leaves.map((t) => t.shape));
    return y;
  };
}

/** The closure-converted map's first (discovery) run, checked the same way. */
function checkConverted(m: MapName, conv: Converted, def: TreeDef, avals: ReadonlyArray<AbstractValue>): void {
  checkMapsToInput(
    m,
    def,
    avals.map((a) => a.shape),
    conv.outDef,
    conv.outAvals.map((a) => a.shape),
  );
}

/** Runs a user solver; it may close over nothing traced (its operator is handed to it). */
function runSolver(owner: string, inputs: ReadonlyArray<Tensor>, body: () => unknown): unknown {
  return withScopeChecked(makeScope('forbid', owner, inputs), body);
}

// ---- customLinearSolve ---------------------------------------------------------------------------

/** Who the user functions of a linear solve are, for messages. */
interface SolveNames {
  readonly matvec: MapName;
  readonly solve: string;
  readonly transposeSolve: string;
  /** Whether `matvec` is linear by construction (a Jacobian product the library built), so not checked. */
  readonly linear: boolean;
}

interface LinearSolveParams {
  /** `matvec` over flat leaves, closure-converted: operands `[x leaves..., captured...]`. */
  readonly mv: Converted;
  readonly def: TreeDef;
  readonly avals: ReadonlyArray<AbstractValue>;
  readonly solve: Solver;
  readonly transposeSolve: Solver;
  readonly names: SolveNames;
}

/** The operator as a function of pytrees, with its parameters bound to `caps`. */
function operator(p: LinearSolveParams, caps: ReadonlyArray<Tensor>): (x: unknown) => unknown {
  return (x) => unflatten(p.mv.outDef, p.mv.call([...leavesOf(p.names.matvec.owner, x).leaves, ...caps]));
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
    const [, pullback] = vjpAs('customLinearSolve', (...xs: Tensor[]) => p.mv.call([...xs, ...caps]), point) as unknown as readonly [unknown, (ct: Tensor[]) => Tensor[]];
    return unflatten(p.def, pullback(leavesOf('customLinearSolve', v).leaves).slice(0, n));
  };
}

/**
 * Checks that `matvec` is linear in x at the parameters `caps` (the dot-product identity, on one
 * lane's concrete values): the derivative rules transpose it and read `d(A x)` as `A dx + dA x`.
 */
function checkMatvec(p: LinearSolveParams, caps: ReadonlyArray<Tensor>): void {
  if (p.names.linear) return;
  const concrete = caps.map((c) => probeValue(c));
  const u = probePoint(p.avals);
  const w = probePoint(p.avals, 104729);
  const [au, pullback] = vjpAs(p.names.matvec.owner, (...xs: Tensor[]) => p.mv.call([...xs, ...concrete]), u) as unknown as readonly [Tensor[], (ct: Tensor[]) => Tensor[]];
  const hint = 'matvec(x) must be linear in x (no squares of x, no constant offsets, no branching on its values): the solution is differentiated as if it were A⁻¹ b with A = matvec';
  checkDotProduct(p.names.matvec.owner, 'matvec', hint, u, au, w, pullback(w).slice(0, p.avals.length));
}

/**
 * Solves a derivative's linear system `op(x) = rhs` (the operator `build(vals)`) as a
 * `customLinearSolve` of its own, so that higher derivatives are implicit too, and checks that the
 * solver is linear in the right-hand side: one more solve, of `-rhs`, on one lane's concrete values.
 */
function derivativeSolve(
  names: SolveNames,
  build: (vals: ReadonlyArray<Tensor>) => (v: unknown) => unknown,
  vals: ReadonlyArray<Tensor>,
  def: TreeDef,
  avals: ReadonlyArray<AbstractValue>,
  rhs: ReadonlyArray<Tensor>,
  solve: Solver,
  transposeSolve: Solver,
  buildConcrete = build,
): Tensor[] {
  const x = leavesOf(names.solve, linearSolve(build(vals), unflatten(def, rhs), solve, transposeSolve, names)).leaves;
  const op = buildConcrete(vals.map((v) => probeValue(v)));
  const minus = unflatten(def, rhs.map((r) => neg(probeValue(r))));
  const xNeg = solution(names.solve, runSolver(names.solve, [], () => solve(op, minus)), def, avals);
  checkOdd(names.solve, 'the solver', x, xNeg);
  return x;
}

export const linearSolveP: MultiRule<LinearSolveParams> = {
  batch: (args, dims, params, size) => liftBatch(linearSolveP)(args, dims, params, size),
  name: 'customLinearSolve',
  multipleResults: true,
  examples: [],
  describeParams: (p) => `[captured=${p.mv.captured.length}]`,
  shape: (_args, p) => p.avals,
  impl: (args, p) => {
    return solveWith(p, p.solve, p.names.solve, args);
  },
  // A(θ) x = b: dx = A⁻¹ (db - (dA) x)
  jvp: (primals, tangents, ans, p) => {
    const n = p.avals.length;
    const caps = primals.slice(n);
    let rhs: Tensor[] = tangents.slice(0, n).map((t, i) => materialize(t, primals[i]!));
    let names = p.names;
    if (tangents.slice(n).some((t) => !isZero(t))) {
      // d(A x) = A dx + dA x needs matvec linear in x; it is differentiated here anyway (with b's
      // tangent alone it is not, and may be a map the library cannot trace: the solver's check covers that case)
      checkMatvec(p, caps);
      names = { ...names, linear: true };
      const [, dAx] = jvpAs('customLinearSolve', (...cs: Tensor[]) => p.mv.call([...ans, ...cs]), [...caps], tangents.slice(n).map((t, i) => materialize(t, caps[i]!)), undefined, true) as unknown as [unknown, Tensor[]];
      rhs = rhs.map((r, i) => sub(r, dAx[i]!));
    }
    return derivativeSolve(names, (c) => operator(p, c), caps, p.def, p.avals, rhs, p.solve, p.transposeSolve);
  },
  // b̄ = A⁻ᵀ x̄; θ̄ = -(∂(A_θ x)/∂θ)ᵀ b̄
  vjp: (cts, primals, ans, p) => {
    const n = p.avals.length;
    const caps = primals.slice(n);
    // the transpose below is a vjp of matvec: linear in x, or the transposition is meaningless
    checkMatvec(p, caps);
    const ct = cts.map((c, i) => materialize(c, ans[i]!));
    const names: SolveNames = { matvec: p.names.matvec, solve: p.names.transposeSolve, transposeSolve: p.names.solve, linear: true };
    const bBar = derivativeSolve(names, (c) => transposed(p, c), caps, p.def, p.avals, ct, p.transposeSolve, p.solve);
    if (caps.length === 0) return bBar;
    const [, pullback] = vjpAs('customLinearSolve', (...cs: Tensor[]) => p.mv.call([...ans, ...cs]), caps) as unknown as readonly [unknown, (ct: Tensor[]) => Tensor[]];
    return [...bBar, ...pullback(bBar).map((c) => sub(0, c))];
  },
};

/** `customLinearSolve` with the names its messages use (the public one, and the derivative systems'). */
function linearSolve(matvec: (x: unknown) => unknown, b: unknown, solve: Solver, transposeSolve: Solver, names: SolveNames): unknown {
  const { leaves, def } = leavesOf('customLinearSolve', b);
  const avals = leaves.map(avalOf);
  if (!tracesOpen()) {
    const x = runSolver(names.solve, [], () => solve(names.linear ? matvec : checkedMap(names.matvec, matvec), b));
    solution(names.solve, x, def, avals);
    return x;
  }
  const mv = closureConvert(names.matvec.owner, (ls) => matvec(unflatten(def, ls, false)), leaves);
  checkConverted(names.matvec, mv, def, avals);
  const params: LinearSolveParams = { mv, def, avals, solve, transposeSolve, names };
  return unflatten(def, bindMulti(linearSolveP, [...leaves, ...mv.captured], params));
}

/**
 * Solves the linear system `matvec(x) = b` with the given solver and differentiates the solution
 * implicitly, with respect to `b` and to whatever `matvec` closes over, using the solver itself
 * (`transposeSolve` for the transposed system; by default `solve`, applied to the transpose of
 * `matvec`). `b` and `x` are pytrees of the same structure; `solve(matvec, b)` returns `x`.
 *
 * `customLinearSolve : (A, b, solve, transposeSolve?) => A⁻¹ b`
 *
 * Errors: `TREE_MISMATCH` if `matvec` returns a value without the structure and shapes of its
 * input, or a solver a solution without those of `b`; `NONLINEAR_RULE` if `matvec` is not linear in
 * x (checked when reverse mode transposes it, or forward mode differentiates it with respect to
 * what it closes over), or `solve` (`transposeSolve`) used for a derivative is not linear in its
 * right-hand side (a further solve, of `-y`, checks that `S(-y) = -S(y)`); `CLOSED_OVER_TRACER` if
 * a solver closes over a traced value; `INVALID_ARGUMENT` for non-functions.
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
  const names: SolveNames = {
    matvec: MATVEC,
    solve: 'customLinearSolve solve',
    transposeSolve: transposeSolve === undefined ? 'customLinearSolve solve' : 'customLinearSolve transposeSolve',
    linear: false,
  };
  return linearSolve(matvec as (x: unknown) => unknown, b, solve as unknown as Solver, (transposeSolve ?? solve) as unknown as Solver, names) as B;
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

/** The tangent systems' names: their operators are Jacobian products of `f`, linear by construction. */
const TANGENT: SolveNames = { matvec: F, solve: 'customRoot tangentSolve', transposeSolve: 'customRoot tangentSolve', linear: true };

/** `f` at parameters `caps`, as a function of pytrees. */
function fAt(p: RootParams, caps: ReadonlyArray<Tensor>): (x: unknown) => unknown {
  return (x) => unflatten(p.fc.outDef, p.fc.call([...leavesOf('customRoot f', x).leaves, ...caps]));
}

/** `v ↦ ∂f/∂x v` at the root `x` (linear), as a function of pytrees. */
function jacobianAt(p: RootParams, x: ReadonlyArray<Tensor>, caps: ReadonlyArray<Tensor>): (v: unknown) => unknown {
  return (v) => {
    const [, t] = jvpAs('customRoot', (...xs: Tensor[]) => p.fc.call([...xs, ...caps]), [...x], leavesOf('customRoot', v).leaves, undefined, true) as unknown as [unknown, Tensor[]];
    return unflatten(p.def, t);
  };
}

/** `w ↦ (∂f/∂x)ᵀ w` at the root `x`. */
function jacobianTransposeAt(p: RootParams, x: ReadonlyArray<Tensor>, caps: ReadonlyArray<Tensor>): (w: unknown) => unknown {
  return (w) => {
    const [, pullback] = vjpAs('customRoot', (...xs: Tensor[]) => p.fc.call([...xs, ...caps]), x) as unknown as readonly [unknown, (ct: Tensor[]) => Tensor[]];
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
    const [, dfdTheta] = jvpAs('customRoot', (...cs: Tensor[]) => p.fc.call([...ans, ...cs]), [...caps], tangents.slice(n).map((t, i) => materialize(t, caps[i]!)), undefined, true) as unknown as [unknown, Tensor[]];
    const build = (v: ReadonlyArray<Tensor>) => jacobianAt(p, v.slice(0, n), v.slice(n));
    return derivativeSolve(TANGENT, build, [...ans, ...caps], p.def, p.avals, dfdTheta.map((t) => neg(t)), p.tangentSolve, p.tangentSolve);
  },
  // λ = (∂f/∂x)⁻ᵀ x̄; θ̄ = -(∂f/∂θ)ᵀ λ
  vjp: (cts, primals, ans, p) => {
    const n = p.avals.length;
    const caps = primals.slice(n);
    const ct = cts.map((c, i) => materialize(c, ans[i]!));
    const build = (v: ReadonlyArray<Tensor>) => jacobianTransposeAt(p, v.slice(0, n), v.slice(n));
    // on concrete values (the solver's check) one pullback serves every product
    const buildConcrete = (v: ReadonlyArray<Tensor>) => {
      const [, pullback] = vjpAs('customRoot', (...xs: Tensor[]) => p.fc.call([...xs, ...v.slice(n)]), v.slice(0, n)) as unknown as readonly [unknown, (ct: Tensor[]) => Tensor[]];
      return (w: unknown) => unflatten(p.def, pullback(leavesOf('customRoot', w).leaves));
    };
    const lambda = derivativeSolve(TANGENT, build, [...ans, ...caps], p.def, p.avals, ct, p.tangentSolve, p.tangentSolve, buildConcrete);
    const [, pullback] = vjpAs('customRoot', (...cs: Tensor[]) => p.fc.call([...ans, ...cs]), caps) as unknown as readonly [unknown, (ct: Tensor[]) => Tensor[]];
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
 * Errors: `TREE_MISMATCH` if `f` returns a value without the structure and shapes of its input
 * (it maps X to X), or a solver returns the wrong structure or shapes; `NONLINEAR_RULE` if, when
 * differentiating, `tangentSolve` is not linear in its right-hand side (a further solve, of `-y`,
 * checks that `S(-y) = -S(y)`); `CLOSED_OVER_TRACER` if a solver closes over a traced value;
 * `INVALID_ARGUMENT` for non-functions.
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
  const avals = leaves.map(avalOf);
  if (!tracesOpen()) {
    const x = runSolver('customRoot solve', [], () => (solve as unknown as Solver)(checkedMap(F, f as (x: unknown) => unknown), initialGuess));
    solution('customRoot solve', x, def, avals);
    return x as X;
  }
  const fc = closureConvert(F.owner, (ls) => f(unflatten(def, ls, false) as X), leaves);
  checkConverted(F, fc, def, avals);
  const params: RootParams = { fc, def, avals, solve: solve as unknown as Solver, tangentSolve: tangentSolve as unknown as Solver };
  return unflatten(def, bindMulti(rootP, [...leaves, ...fc.captured], params)) as X;
}
