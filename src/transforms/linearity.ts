/**
 * Checks that a user-supplied map the library treats as linear is linear: custom rules' tangent and
 * cotangent maps (transposed for the other mode), `customLinearSolve`'s `matvec` (transposed, and
 * differentiated as `A dx`), and the solvers used for derivative systems (`customRoot`'s
 * `tangentSolve`, `customLinearSolve`'s `solve`). A map that is not linear there gives wrong
 * derivatives silently, so it fails with `NONLINEAR_RULE` naming the map.
 *
 * - A map `T` whose transpose is at hand (a vjp) is checked with the dot-product identity
 *   `<T u, w> = <u, Tᵀ w>` at a fixed non-zero point `u`, which fails for squares, constant
 *   offsets and branches on the values.
 * - A solver `S`, which the library never differentiates, is checked by scaling: a linear solve is
 *   odd in its right-hand side, `S(-y) = -S(y)`, which fails for squares, constant offsets and
 *   iterations warm-started from a non-zero guess, and holds exactly (not only to a tolerance) for
 *   any solver that treats `y` and `-y` alike, direct or iterative with any stopping rule.
 *
 * @since 0.1.0
 */
import { AdjointError } from '../core/errors.js';
import type { AbstractValue } from '../core/primitive.js';
import { key, normal } from '../core/random.js';
import { dataOf, scalarOf, type Tensor } from '../core/Tensor.js';
import { probeValue } from '../core/Trace.js';

/** A fixed, non-degenerate point of each shape at which a linear map is transposed (and checked). */
export function probePoint(avals: ReadonlyArray<AbstractValue>, seed = 7919): Tensor[] {
  return avals.map((a, i) => normal(key(seed + i), a.shape, { dtype: a.dtype }));
}

/** The numbers of a value, read on one lane under vmap (`probeValue`). */
const numbersOf = (x: Tensor): ArrayLike<number> => (x.ndim === 0 ? [scalarOf(probeValue(x))] : dataOf(probeValue(x)));

/**
 * `<a, b>` on concrete values, and the sum of the terms' magnitudes. Under vmap (a lifted rule) the
 * operands are lanes: both sides read lane 0 (`probeValue`), so the identity is checked on one lane
 * consistently (a batched value's whole buffer would pair entries of different lanes, or of a lane
 * with an unbatched value).
 */
function dot(a: ReadonlyArray<Tensor>, b: ReadonlyArray<Tensor>): [number, number] {
  let s = 0;
  let scale = 0;
  a.forEach((x, i) => {
    const p = numbersOf(x);
    const q = numbersOf(b[i]!);
    for (let j = 0; j < p.length; j++) {
      s += p[j]! * q[j]!;
      scale += Math.abs(p[j]! * q[j]!);
    }
  });
  return [s, scale];
}

const relTol = (values: ReadonlyArray<Tensor>): number => (values.some((t) => t.dtype === 'float32') ? 1e-4 : 1e-9);

/**
 * Checks the dot-product identity `<T u, w> = <u, Tᵀ w>` given `tu = T u` and `tw = Tᵀ w` (from a
 * vjp of `T` at `u`); throws `NONLINEAR_RULE` from `owner` saying `what` is not linear.
 */
export function checkDotProduct(
  owner: string,
  what: string,
  hint: string,
  u: ReadonlyArray<Tensor>,
  tu: ReadonlyArray<Tensor>,
  w: ReadonlyArray<Tensor>,
  tw: ReadonlyArray<Tensor>,
): void {
  const [lhs, s1] = dot(tu, w);
  const [rhs, s2] = dot(u, tw);
  const tol = relTol([...u, ...w]) * Math.max(s1, s2, 1e-300);
  if (!(Math.abs(lhs - rhs) <= tol)) {
    throw new AdjointError('NONLINEAR_RULE', owner, `${what} is not linear: the dot-product identity <T u, w> = <u, Tᵀ w> gives ${lhs} vs ${rhs}; ${hint}`);
  }
}

/**
 * Checks that a solver is odd in its right-hand side given its solutions `x = S(y)` and
 * `xNeg = S(-y)`; throws `NONLINEAR_RULE` from `owner`.
 */
export function checkOdd(owner: string, what: string, x: ReadonlyArray<Tensor>, xNeg: ReadonlyArray<Tensor>): void {
  let gap = 0;
  let scale = 0;
  x.forEach((t, i) => {
    const p = numbersOf(t);
    const q = numbersOf(xNeg[i]!);
    for (let j = 0; j < p.length; j++) {
      gap += Math.abs(p[j]! + q[j]!);
      scale += Math.abs(p[j]!) + Math.abs(q[j]!);
    }
  });
  // a non-finite solution is not a linearity question (checkNumerics is the tool for it)
  if (Number.isFinite(gap) && gap > relTol(x) * scale) {
    throw new AdjointError(
      'NONLINEAR_RULE',
      owner,
      `${what} is not linear in its right-hand side: the solution for -y is not minus the solution for y (the sum of |S(y) + S(-y)| is ${gap}, of |S(y)| + |S(-y)| ${scale}); ` +
        'the solve of a linear system must be linear in the right-hand side (no squares, no constant offsets, no iterations warm-started from a non-zero guess)',
    );
  }
}
