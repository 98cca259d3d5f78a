/**
 * Tree utilities: functions over pytrees (nested arrays and plain objects whose leaves are tensors
 * or numbers), the structures `grad` takes and returns. Parameters, gradients and optimizer state
 * are pytrees, so an optimizer is a few `map2` calls; the vector-space helpers (`add`, `sub`,
 * `scale`, `dot`, `norm`) treat a whole tree as one vector, so they pair leaves of equal shapes and
 * dtypes and never broadcast (see `pairs.ts`). Every result is a new, frozen tree; the
 * inputs are never changed. Leaves are visited in `flatten`'s order (object keys sorted), and every
 * function is written with the library's ops, so it can be differentiated.
 *
 * Exported as the namespace `tree`: `tree.map(f, params)`.
 *
 * @since 0.1.0
 */
import { asTensor, zerosLike as zerosLikeTensor } from '../core/creation.js';
import { ArgumentError, formatShape, ShapeError } from '../core/errors.js';
import { describeDef, flatten as flattenTree, freezeDef, type Leaf, type TreeDef, unflatten as unflattenTree } from '../core/Tree.js';
import { pairLeaves, zipLeaves } from './pairs.js';
import { checkArity, describeValue, invalidArgument, parseFunction } from '../core/args.js';
import { isTensor, type Tensor } from '../core/Tensor.js';
import { add as addOp, astype, greater, mul, type Operand, sqrt, sub as subOp, where } from '../rules/elementwise.js';
import { sum } from '../rules/reduction.js';

export type { TreeDef } from '../core/Tree.js';

/** A leaf as the mapped function sees it: number leaves arrive as 0-d float64 tensors. */
const leafTensor = (op: string, l: Leaf): Tensor => asTensor(op, l);

function checkLeafResult(op: string, v: unknown, i: number): Leaf {
  if (isTensor(v) || typeof v === 'number') return v;
  throw new ArgumentError('NOT_NUMERIC', op, `leaf ${i} is ${describeValue(v)}; ${op === 'tree.unflatten' ? 'pass' : 'the function must return'} a Tensor or a number`);
}

/**
 * The leaves of `tree` in canonical order (object keys sorted) and its structure, for `unflatten`.
 * Throws `NOT_NUMERIC` naming the path of a leaf that is not a tensor or a number.
 *
 * `flatten : Tree -> [Leaf[], TreeDef]`
 * @example
 * import { tree, tensor } from 'adjoint'
 * const [leaves, def] = tree.flatten({ b: 2, a: [tensor([1, 2]), 3] })
 * assert.equal(leaves.length, 3)
 * assert.equal(leaves[2], 2)
 * assert.deepEqual(tree.unflatten(def, [10, 20, 30]), { a: [10, 20], b: 30 })
 * @category trees
 * @since 0.1.0
 */
export function flatten(tree: unknown): readonly [ReadonlyArray<Leaf>, TreeDef] {
  checkArity('tree.flatten', arguments.length, 1, 'tree.flatten(tree)');
  const { leaves, def } = flattenTree('tree.flatten', tree);
  // frozen all the way down: changing def.keys must not change what unflatten builds
  return Object.freeze([Object.freeze(leaves), freezeDef(def)] as const);
}

/**
 * Rebuilds a tree of structure `def` (from `flatten`) from `leaves` in flatten order; the result is
 * deeply frozen. Throws `TREE_MISMATCH` when the number of leaves differs from the structure's.
 * @example
 * import { tree } from 'adjoint'
 * const [, def] = tree.flatten([1, { x: 2 }])
 * assert.deepEqual(tree.unflatten(def, [5, 6]), [5, { x: 6 }])
 * @category trees
 * @since 0.1.0
 */
export function unflatten<T = unknown>(def: TreeDef, leaves: ReadonlyArray<Leaf>): T {
  checkArity('tree.unflatten', arguments.length, 2, 'tree.unflatten(def, leaves)');
  if (!Array.isArray(leaves)) invalidArgument('tree.unflatten', 'leaves', leaves, 'pass an array of tensors or numbers, one per leaf of def');
  const want = countLeaves(def);
  if (leaves.length !== want) {
    throw new ShapeError('TREE_MISMATCH', 'tree.unflatten', `got ${leaves.length} leaves for the structure ${describeDef(def)}, which has ${want}; pass one leaf per leaf`);
  }
  leaves.forEach((l, i) => checkLeafResult('tree.unflatten', l, i));
  return unflattenTree<T>(def, leaves);
}

/** The number of leaves of a structure; anything that is not a structure `flatten` made is `INVALID_ARGUMENT`. */
function countLeaves(def: unknown, seen = new Set<unknown>()): number {
  const d = def as { _tag?: unknown; children?: unknown; keys?: unknown };
  const bad = (): never => {
    throw new ArgumentError('INVALID_ARGUMENT', 'tree.unflatten', `def is ${describeValue(def)}; pass the structure returned by tree.flatten`);
  };
  if (d === null || typeof d !== 'object' || seen.has(d)) return bad();
  if (d._tag === 'Leaf') return 1;
  if ((d._tag !== 'Array' && d._tag !== 'Object') || !Array.isArray(d.children)) return bad();
  if (d._tag === 'Object' && (!Array.isArray(d.keys) || d.keys.length !== d.children.length || d.keys.some((k) => typeof k !== 'string'))) return bad();
  seen.add(d);
  return d.children.reduce((n: number, c: unknown) => n + countLeaves(c, seen), 0);
}

/**
 * The leaves of `tree` in canonical order (object keys sorted).
 * @example
 * import { tree, toArray } from 'adjoint'
 * assert.deepEqual(tree.leaves({ w: 1, b: [2, 3] }), [2, 3, 1])
 * @category trees
 * @since 0.1.0
 */
export function leaves(tree: unknown): ReadonlyArray<Leaf> {
  checkArity('tree.leaves', arguments.length, 1, 'tree.leaves(tree)');
  return Object.freeze(flattenTree('tree.leaves', tree).leaves);
}

/**
 * Applies `f` to every leaf, keeping the structure (`jax.tree.map`). Number leaves are passed as 0-d
 * float64 tensors; `f` returns a tensor or a number.
 *
 * `map : (Tensor -> Tensor) -> T -> T`
 * @example
 * import { tree, mul, tensor, toArray } from 'adjoint'
 * const doubled = tree.map((x) => mul(x, 2), { w: tensor([1, 2]), b: 3 })
 * assert.deepEqual(toArray(doubled.w), [2, 4])
 * assert.equal(toArray(doubled.b), 6)
 * @category trees
 * @since 0.1.0
 */
export function map<T>(f: (leaf: Tensor) => Operand, tree: T): T {
  checkArity('tree.map', arguments.length, 2, 'tree.map(f, tree); to zip two trees use tree.map2(f, a, b)');
  const fn = parseFunction<(leaf: Tensor) => Operand>('tree.map', 'f', f);
  const { leaves: ls, def } = flattenTree('tree.map', tree);
  return unflattenTree<T>(def, ls.map((l, i) => checkLeafResult('tree.map', fn(leafTensor('tree.map', l)), i)));
}

/**
 * Applies `f` to the leaves of two trees of the same structure, pairwise (a zip). Throws
 * `TREE_MISMATCH` when the structures differ. The leaves' shapes are `f`'s business (a tree of
 * per-leaf factors may hold numbers); the vector-space helpers `add`, `sub` and `dot` require equal
 * shapes.
 *
 * `map2 : ((Tensor, Tensor) -> Tensor) -> T -> T -> T`
 * @example
 * import { tree, sub, tensor, toArray } from 'adjoint'
 * const d = tree.map2(sub, { a: tensor([5, 6]) }, { a: tensor([1, 1]) })
 * assert.deepEqual(toArray(d.a), [4, 5])
 * @category trees
 * @since 0.1.0
 */
export function map2<T>(f: (a: Tensor, b: Tensor) => Operand, a: T, b: T): T {
  checkArity('tree.map2', arguments.length, 3, 'tree.map2(f, a, b)');
  const fn = parseFunction<(a: Tensor, b: Tensor) => Operand>('tree.map2', 'f', f);
  const { leaves: [la, lb], def } = zipLeaves('tree.map2', [a, b]);
  return unflattenTree<T>(def, la!.map((l, i) => checkLeafResult('tree.map2', fn(leafTensor('tree.map2', l), leafTensor('tree.map2', lb![i]!)), i)));
}

/**
 * Folds the leaves in canonical order: `f(...f(f(initial, leaf0), leaf1)..., leafN)`.
 * @example
 * import { tree, add, tensor, toArray } from 'adjoint'
 * assert.equal(toArray(tree.reduce((acc, x) => add(acc, x), { a: 1, b: tensor(2) }, 10)), 13)
 * @category trees
 * @since 0.1.0
 */
export function reduce<A>(f: (acc: A, leaf: Tensor) => A, tree: unknown, initial: A): A {
  checkArity('tree.reduce', arguments.length, 3, 'tree.reduce(f, tree, initial)');
  const fn = parseFunction<(acc: A, leaf: Tensor) => A>('tree.reduce', 'f', f);
  return flattenTree('tree.reduce', tree).leaves.reduce((acc, l) => fn(acc, leafTensor('tree.reduce', l)), initial);
}

/**
 * Leafwise sum of two trees of the same structure, whose paired leaves have equal shapes and dtypes
 * (a number leaf takes its partner's dtype): `TREE_MISMATCH`, `SHAPE_MISMATCH` (nothing broadcasts)
 * and `INVALID_DTYPE` otherwise, naming the leaf's path.
 * @example
 * import { tree, toArray } from 'adjoint'
 * assert.deepEqual(tree.map(toArray, tree.add({ a: 1, b: 2 }, { a: 10, b: 20 })) as unknown, { a: 11, b: 22 })
 * @category trees
 * @since 0.1.0
 */
export function add<T>(a: T, b: T): T {
  checkArity('tree.add', arguments.length, 2, 'tree.add(a, b)');
  const { a: la, b: lb, def } = pairLeaves('tree.add', a, b, ['a', 'b']);
  return unflattenTree<T>(def, la.map((l, i) => addOp(l, lb[i]!)));
}

/**
 * Leafwise difference `a - b` of two trees of the same structure, with paired leaves of equal shapes
 * and dtypes (as `tree.add`).
 * @example
 * import { tree, toArray } from 'adjoint'
 * assert.equal(toArray(tree.sub({ a: 5 }, { a: 3 }).a as never), 2)
 * @category trees
 * @since 0.1.0
 */
export function sub<T>(a: T, b: T): T {
  checkArity('tree.sub', arguments.length, 2, 'tree.sub(a, b)');
  const { a: la, b: lb, def } = pairLeaves('tree.sub', a, b, ['a', 'b']);
  return unflattenTree<T>(def, la.map((l, i) => subOp(l, lb[i]!)));
}

/**
 * Every leaf times `s`, a number or a 0-d tensor (which may be traced: `grad` with respect to a step
 * size goes through it). Each leaf keeps its shape and dtype: a tensor `s` is cast to each leaf's
 * dtype, as a number would be, and one with axes is `SHAPE_MISMATCH` (it would broadcast the leaves).
 * @example
 * import { tree, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(tree.scale([tensor([1, 2])], 3)[0]!), [3, 6])
 * assert.equal(tree.scale([tensor([1, 2], 'float32')], tensor(0.5))[0]!.dtype, 'float32')
 * @category trees
 * @since 0.1.0
 */
export function scale<T>(tree: T, s: Operand): T {
  checkArity('tree.scale', arguments.length, 2, 'tree.scale(tree, s)');
  const { leaves: ls, def } = flattenTree('tree.scale', tree);
  const factor = asTensor('tree.scale', s);
  if (factor.ndim !== 0) throw new ShapeError('SHAPE_MISMATCH', 'tree.scale', `s is a tensor of shape ${formatShape(factor.shape)}; pass a number or a 0-d tensor (a factor with axes would broadcast the leaves)`);
  return unflattenTree<T>(def, ls.map((l) => mul(l, isTensor(l) && l.dtype !== factor.dtype ? astype(factor, l.dtype) : factor)));
}

/**
 * The inner product of two trees seen as one long vector: the sum over leaves of `sum(a * b)`. A
 * 0-d tensor (0 for a tree without leaves). Paired leaves have equal shapes and dtypes (as `tree.add`).
 * @example
 * import { tree, tensor, toArray } from 'adjoint'
 * assert.equal(toArray(tree.dot({ w: tensor([1, 2]), b: 3 }, { w: tensor([3, 4]), b: 2 })), 17)
 * @category trees
 * @since 0.1.0
 */
export function dot<T>(a: T, b: T): Tensor {
  checkArity('tree.dot', arguments.length, 2, 'tree.dot(a, b)');
  const { a: la, b: lb } = pairLeaves('tree.dot', a, b, ['a', 'b']);
  return la.reduce<Tensor>((acc, l, i) => addOp(acc, sum(mul(l, lb[i]!))), asTensor('tree.dot', 0));
}

/**
 * The global L2 norm of a tree: `sqrt(tree.dot(t, t))`, as `clipByGlobalNorm` measures gradients.
 * Its gradient at the zero tree is taken as 0 (not NaN).
 * @example
 * import { tree, tensor, toArray } from 'adjoint'
 * assert.equal(toArray(tree.norm({ w: tensor([3, 0]), b: 4 })), 5)
 * @category trees
 * @since 0.1.0
 */
export function norm(tree: unknown): Tensor {
  checkArity('tree.norm', arguments.length, 1, 'tree.norm(tree)');
  const sq = dot(tree, tree);
  // sqrt'(0) is infinite; the unselected branch of where contributes an exact 0 instead of NaN
  return where(greater(sq, 0), sqrt(sq), 0);
}

/**
 * A tree of zeros shaped like `tree` (each leaf's shape and dtype).
 * @example
 * import { tree, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(tree.zerosLike({ w: tensor([1, 2]) }).w), [0, 0])
 * @category trees
 * @since 0.1.0
 */
export function zerosLike<T>(tree: T): T {
  checkArity('tree.zerosLike', arguments.length, 1, 'tree.zerosLike(tree)');
  const { leaves: ls, def } = flattenTree('tree.zerosLike', tree);
  return unflattenTree<T>(def, ls.map((l) => zerosLikeTensor(asTensor('tree.zerosLike', l))));
}
