/**
 * Pairing the leaves of two pytrees for a leafwise operation: the tree utilities' `map2`, `add`,
 * `sub`, `dot`, `applyUpdates`, and the optimizers' updates, which combine gradients with moment
 * trees made by `init`. Errors name the function the caller called and the leaf's path, so a
 * mismatch reads as the caller's mistake, not as a broadcast failure deep inside `add`.
 *
 * @since 0.1.0
 */
import { ArgumentError, formatShape, ShapeError } from '../core/errors.js';
import { sameShape, SCALAR_SHAPE, type Shape } from '../core/shape.js';
import { isTensor, type Tensor } from '../core/Tensor.js';
import { describeDef, describeLeafPath, flatten as flattenTree, type Leaf, sameDef, type TreeDef, unflatten as unflattenTree } from '../core/Tree.js';
import type { Operand } from '../rules/elementwise.js';

/** The leaves of several trees that must share one structure (`TREE_MISMATCH` otherwise); `names` say what the trees are (default `tree 1`, ...). */
export function zipLeaves(op: string, trees: ReadonlyArray<unknown>, names?: ReadonlyArray<string>): { leaves: Leaf[][]; def: TreeDef } {
  const first = flattenTree(op, trees[0]);
  const leaves = [first.leaves];
  const name = (t: number): string => names?.[t] ?? `tree ${t + 1}`;
  for (let t = 1; t < trees.length; t++) {
    const other = flattenTree(op, trees[t]);
    if (!sameDef(first.def, other.def)) {
      throw new ShapeError(
        'TREE_MISMATCH',
        op,
        `${name(t)} has structure ${describeDef(other.def)} but ${name(0)} has ${describeDef(first.def)}; the trees must have the same nesting and keys`,
      );
    }
    leaves.push(other.leaves);
  }
  return { leaves, def: first.def };
}

const leafShape = (l: Leaf): Shape => (isTensor(l) ? l.shape : SCALAR_SHAPE);

/**
 * The leaves of two trees combined leaf by leaf (`tree.add`, `sub`, `dot`, `applyUpdates`,
 * the optimizers' updates). The trees have one structure (`TREE_MISMATCH`), and each pair of leaves
 * the same shape (`SHAPE_MISMATCH`: nothing broadcasts, so no leaf silently changes shape, as a
 * `[2]` parameter plus a `[2, 2]` update would) and, for two tensors, the same dtype
 * (`INVALID_DTYPE`: no leaf silently changes precision; a number leaf takes its partner's dtype).
 * `names` say what the two trees are, in messages.
 */
export function pairLeaves(op: string, a: unknown, b: unknown, names: readonly [string, string]): { readonly a: Leaf[]; readonly b: Leaf[]; readonly def: TreeDef } {
  const { leaves: [la, lb], def } = zipLeaves(op, [a, b], names);
  for (let i = 0; i < la!.length; i++) {
    const x = la![i]!;
    const y = lb![i]!;
    if (typeof x === 'number' && typeof y === 'number') continue;
    const sx = leafShape(x);
    const sy = leafShape(y);
    if (!sameShape(sx, sy)) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        op,
        `the leaf at ${describeLeafPath(def, i)} has shape ${formatShape(sx)} in ${names[0]} but ${formatShape(sy)} in ${names[1]}; paired leaves must have equal shapes (${op} does not broadcast)`,
      );
    }
    if (isTensor(x) && isTensor(y) && x.dtype !== y.dtype) {
      throw new ArgumentError(
        'INVALID_DTYPE',
        op,
        `the leaf at ${describeLeafPath(def, i)} is ${x.dtype} in ${names[0]} but ${y.dtype} in ${names[1]}; paired leaves must have the same dtype (cast one with astype)`,
      );
    }
  }
  return { a: la!, b: lb!, def };
}

/**
 * `f` over the paired leaves of `a` and `b` (see `pairLeaves`), in their structure, as a frozen tree.
 * Number leaves reach `f` as numbers (weakly typed, as in every op).
 */
export function zipWith<T>(op: string, names: readonly [string, string], f: (x: Operand, y: Operand) => Tensor, a: T, b: unknown): T {
  const { a: la, b: lb, def } = pairLeaves(op, a, b, names);
  return unflattenTree<T>(def, la.map((l, i) => f(l, lb[i]!)));
}
