/**
 * Branches on values: `cond` and `switchCase`. The predicate (or index) is read as a number, as
 * `observe` reads one, and only the chosen branch runs, so under any transform the derivative is
 * that of the branch that executed (the predicate itself has none). Operands reach the branches as
 * arguments, or by closure; both differentiate.
 *
 * JAX traces both branches to check they agree; here the first call with a given set of branch
 * functions (by source text) also runs the others once on the same operands, with nothing recorded,
 * to check that every branch returns the same structure, shapes and dtypes (a mismatch is
 * `TREE_MISMATCH`); later calls with the same code run only the chosen branch. A branch that fails
 * on operands it was not chosen for is not held against it.
 *
 * @since 0.1.0
 */
import { describeValue, parseFunction } from '../core/args.js';
import { makeScope, withClosureScope } from '../core/closure.js';
import { asTensor } from '../core/creation.js';
import { AdjointError, ArgumentError, formatShape, IndexError, ShapeError } from '../core/errors.js';
import { isBatched } from '../core/BatchTrace.js';
import { equal, where } from '../rules/elementwise.js';
import { isTensor, item, type Tensor } from '../core/Tensor.js';
import { concreteOf, probeValue } from '../core/Trace.js';
import { describeDef, flatten, sameDef, type TreeDef, unflatten } from '../core/Tree.js';
import { isProgram } from '../effects/Program.js';
import { predicateLanes, readPredicate, scalarPredicate } from './loops.js';

/**
 * Branch sets already checked, by their source text: branches are usually written inline, so a
 * new set of closures arrives with every call, but their code (which decides what they return) is
 * the same. A set seen before is not probed again.
 */
const checked = new Set<string>();

const keyOf = (branches: ReadonlyArray<unknown>): string => branches.map((b) => String(b)).join('\u0000');

function alreadyChecked(branches: ReadonlyArray<unknown>): boolean {
  return checked.has(keyOf(branches));
}

function markChecked(branches: ReadonlyArray<unknown>): void {
  if (checked.size > 10_000) checked.clear();
  checked.add(keyOf(branches));
}

interface Signature {
  readonly def: TreeDef;
  readonly avals: ReadonlyArray<{ readonly shape: ReadonlyArray<number>; readonly dtype: string }>;
}

function signatureOf(op: string, v: unknown): Signature | undefined {
  if (isProgram(v)) return undefined;
  const { leaves, def } = flatten(op, v);
  return { def, avals: leaves.map((l) => (typeof l === 'number' ? { shape: [], dtype: 'float64' } : { shape: l.shape, dtype: l.dtype })) };
}

function sameSignature(a: Signature, b: Signature): boolean {
  return sameDef(a.def, b.def) && a.avals.length === b.avals.length && a.avals.every((x, i) => x.dtype === b.avals[i]!.dtype && x.shape.length === b.avals[i]!.shape.length && x.shape.every((d, j) => d === b.avals[i]!.shape[j]));
}

const describeSignature = (s: Signature): string => `${describeDef(s.def)} of ${s.avals.map((a) => `${formatShape(a.shape)} ${a.dtype}`).join(', ')}`;

/**
 * On the first call with this set of branches: runs the ones not chosen on the operands' values,
 * recording nothing, and checks that they return what the chosen one did.
 */
function checkBranches(op: string, branches: ReadonlyArray<(...xs: unknown[]) => unknown>, chosen: number, result: unknown, operands: ReadonlyArray<unknown>): void {
  if (alreadyChecked(branches)) return;
  const want = signatureOf(op, result);
  if (want === undefined) return;
  const concrete = operands.map(deepConcrete);
  branches.forEach((b, i) => {
    if (i === chosen) return;
    let got: Signature | undefined;
    try {
      got = withClosureScope(makeScope('discover', op, []), () => signatureOf(op, b(...concrete)));
    } catch {
      return; // a branch may fail on operands it is not meant for: not a mismatch
    }
    if (got !== undefined && !sameSignature(want, got)) {
      throw new ShapeError(
        'TREE_MISMATCH',
        op,
        `branch ${i} returns ${describeSignature(got)} but branch ${chosen} returns ${describeSignature(want)}; every branch must return the same structure, shapes and dtypes`,
      );
    }
  });
  markChecked(branches);
}

/** The operands with every tensor (in arrays and plain objects) replaced by its concrete value. */
function deepConcrete(v: unknown): unknown {
  if (isTensor(v)) return probeValue(v);
  if (Array.isArray(v)) return v.map(deepConcrete);
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepConcrete(x)]));
  }
  return v;
}

/**
 * `trueFun(...operands)` if `pred` holds, else `falseFun(...operands)` (as JAX's `lax.cond`): only
 * the chosen branch runs and is differentiated. `pred` is a boolean or a 0-d tensor (non-zero is
 * true), read for its value. Branches may return Programs (then so does `cond`).
 *
 * `cond : (pred, t, f, ...xs) => t(...xs) | f(...xs)`
 *
 * Under vmap, a predicate whose lanes differ runs both branches (which must then be pure) and
 * selects each lane's result.
 *
 * Errors: `TREE_MISMATCH` if the branches return different structures, shapes or dtypes (checked
 * on the first call with a pair of branches); `SHAPE_MISMATCH` for a predicate tensor that is not
 * 0-d (shape `[1]` included); `INVALID_ARGUMENT` for non-functions or a NaN predicate (in any lane);
 * `EFFECT_REFUSED` for branches that return Programs under a batched predicate.
 *
 * @example
 * import { cond, grad, greater, mul, sin, item } from 'adjoint'
 * const f = (x) => cond(greater(x, 0), (y) => mul(y, y), (y) => sin(y), x)
 * assert.equal(item(grad(f)(3)), 6)
 * assert.equal(item(grad(f)(-0)), 1)
 *
 * @category control flow
 * @since 0.1.0
 */
export function cond<A extends unknown[], R>(pred: boolean | Tensor | number, trueFun: (...operands: A) => R, falseFun: (...operands: A) => R, ...operands: A): R {
  const op = 'cond';
  parseFunction(op, 'trueFun', trueFun);
  parseFunction(op, 'falseFun', falseFun);
  const branches = [trueFun, falseFun] as unknown as ReadonlyArray<(...xs: unknown[]) => unknown>;
  if (isTensor(pred) && isBatched(pred)) {
    // where would read NaN as true: every lane is checked, as an unbatched predicate is
    predicateLanes(op, 'predicate', pred);
    return selectBranches(op, pred, branches, operands) as R;
  }
  const which = readPredicate(op, pred) ? 0 : 1;
  const result = branches[which]!(...operands);
  checkBranches(op, branches, which, result, operands);
  return result as R;
}

/**
 * A predicate batched by vmap: lanes may take different branches, so every branch runs (on all
 * lanes) and each lane's result is selected from its branch with `where` (NaN-safe: the branch a
 * lane did not take gets a structural zero gradient). Branches must be pure here.
 */
function selectBranches(op: string, pred: Tensor, branches: ReadonlyArray<(...xs: unknown[]) => unknown>, operands: ReadonlyArray<unknown>): unknown {
  const results = branches.map((b) => b(...operands));
  results.forEach((r, i) => {
    if (isProgram(r)) {
      throw new AdjointError('EFFECT_REFUSED', op, `branch ${i} returns a Program, but the predicate is batched under vmap: every branch would run, with its effects, in every lane; make the branches pure or branch outside vmap`);
    }
  });
  const sigs = results.map((r) => signatureOf(op, r)!);
  sigs.forEach((s, i) => {
    if (!sameSignature(sigs[0]!, s)) {
      throw new ShapeError('TREE_MISMATCH', op, `branch ${i} returns ${describeSignature(s)} but branch 0 returns ${describeSignature(sigs[0]!)}; every branch must return the same structure, shapes and dtypes`);
    }
  });
  const leaves = results.map((r) => flatten(op, r).leaves.map((l) => asTensor(op, l)));
  // for two branches the predicate selects; for more (switchCase) the index does, one branch at a time
  const chosen = leaves[0]!.map((_, k) => {
    let acc = leaves[leaves.length - 1]![k]!;
    for (let i = leaves.length - 2; i >= 0; i--) acc = where(branches.length === 2 ? pred : equal(pred, i), leaves[i]![k]!, acc);
    return acc;
  });
  return unflatten(sigs[0]!.def, chosen);
}

/**
 * `branches[index](...operands)` (as JAX's `lax.switch`): only the chosen branch runs and is
 * differentiated. `index` is an integer number or a 0-d tensor holding one; out of range is an
 * error, not clamped.
 *
 * `switchCase : (i, [b0, b1, ...], ...xs) => b_i(...xs)`
 *
 * Errors: `INDEX_OUT_OF_RANGE` for an index outside `[0, branches.length)` (in any lane);
 * `SHAPE_MISMATCH` for an index tensor that is not 0-d (shape `[1]` included); `INVALID_ARGUMENT`
 * for a non-integer index, an empty list or a non-function branch; `TREE_MISMATCH` if branches
 * return different structures (checked on the first call with a list of branches).
 *
 * @example
 * import { switchCase, grad, mul, sin, cos, item } from 'adjoint'
 * const f = (i) => (x) => switchCase(i, [sin, cos, (y) => mul(y, y)], x)
 * assert.equal(item(grad(f(2))(3)), 6)
 * assert.equal(item(grad(f(0))(0)), 1)
 *
 * @category control flow
 * @since 0.1.0
 */
export function switchCase<A extends unknown[], R>(index: number | Tensor, branches: ReadonlyArray<(...operands: A) => R>, ...operands: A): R {
  const op = 'switchCase';
  if (!Array.isArray(branches) || branches.length === 0) throw new ArgumentError('INVALID_ARGUMENT', op, `branches is ${describeValue(branches)}; pass a non-empty array of functions`);
  branches.forEach((b, i) => parseFunction(op, `branches[${i}]`, b));
  if (isTensor(index) && isBatched(index)) {
    const values = predicateLanes(op, 'index', index);
    for (let k = 0; k < values.length; k++) {
      const v = values[k]!;
      if (!Number.isInteger(v)) throw new ArgumentError('INVALID_ARGUMENT', op, `lane ${k}'s index is ${v}; every lane's index must be an integer`);
      if (v < 0 || v >= branches.length) {
        throw new IndexError('INDEX_OUT_OF_RANGE', op, `lane ${k}'s index is ${v}, out of range for ${branches.length} branches; every lane's index must be an integer in [0, ${branches.length - 1}] (it is not clamped)`);
      }
    }
    return selectBranches(op, index, branches as unknown as ReadonlyArray<(...xs: unknown[]) => unknown>, operands) as R;
  }
  const i = typeof index === 'number' ? index : item(concreteOf(scalarPredicate(op, 'index', asTensor(op, index))));
  if (!Number.isInteger(i)) throw new ArgumentError('INVALID_ARGUMENT', op, `index is ${describeValue(i)}; pass an integer`);
  if (i < 0 || i >= branches.length) {
    throw new IndexError('INDEX_OUT_OF_RANGE', op, `index ${i} is out of range for ${branches.length} branches; pass an index in [0, ${branches.length - 1}] (it is not clamped)`);
  }
  const result = branches[i]!(...operands);
  checkBranches(op, branches as unknown as ReadonlyArray<(...xs: unknown[]) => unknown>, i, result, operands);
  return result;
}
