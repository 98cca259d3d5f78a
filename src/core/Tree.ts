/**
 * Pytrees: transforms accept and return nested arrays and plain objects whose leaves are tensors or
 * numbers. `flatten` turns a tree into its leaves plus a structure descriptor; `unflatten` rebuilds a
 * tree of the same structure (frozen, via immer) from new leaves, which is how gradients come back in
 * the shape of the inputs. Object keys are visited in sorted order, so `{ b, a }` and `{ a, b }` are
 * the same structure.
 *
 * @since 0.1.0
 */
import { freeze } from 'immer';
import { ArgumentError, formatShape, ShapeError } from './errors.js';
import { Tensor } from './Tensor.js';

/** A leaf of a pytree. */
export type Leaf = Tensor | number;

/**
 * A pytree: a leaf, or arrays and plain objects of pytrees.
 *
 * @category model
 * @since 0.1.0
 */
export type Tree = Leaf | ReadonlyArray<Tree> | { readonly [key: string]: Tree };

/** The structure of a tree, without its leaves. */
export type TreeDef =
  | { readonly _tag: 'Leaf' }
  | { readonly _tag: 'Array'; readonly children: ReadonlyArray<TreeDef> }
  | { readonly _tag: 'Object'; readonly keys: ReadonlyArray<string>; readonly children: ReadonlyArray<TreeDef> };

const LEAF: TreeDef = { _tag: 'Leaf' };

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** Leaves in a canonical order, and the structure. Throws `NOT_NUMERIC` naming the path of a bad leaf. */
export function flatten(op: string, tree: unknown): { leaves: Leaf[]; def: TreeDef } {
  const leaves: Leaf[] = [];
  const walk = (node: unknown, path: string): TreeDef => {
    if (node instanceof Tensor || typeof node === 'number') {
      leaves.push(node);
      return LEAF;
    }
    if (Array.isArray(node)) {
      // a plain loop, not map: holes in sparse arrays are visited and reported like undefined
      const children: TreeDef[] = [];
      for (let i = 0; i < node.length; i++) children.push(walk(node[i], `${path}[${i}]`));
      return { _tag: 'Array', children };
    }
    if (isPlainObject(node)) {
      const keys = Object.keys(node).sort();
      return { _tag: 'Object', keys, children: keys.map((k) => walk(node[k], `${path}.${k}`)) };
    }
    throw new ArgumentError(
      'NOT_NUMERIC',
      op,
      `the leaf at ${path || 'the top level'} is ${node === null ? 'null' : typeof node}; ` +
        'inputs and outputs of transforms are tensors, numbers, or arrays and plain objects of them (pass other data through closures)',
    );
  };
  const def = walk(tree, '');
  return { leaves, def };
}

/** Rebuilds a tree of structure `def` from `leaves` (in flatten order), deeply frozen unless `frozen` is false. */
export function unflatten<T = Tree>(def: TreeDef, leaves: ReadonlyArray<Leaf>, frozen = true): T {
  let i = 0;
  const build = (d: TreeDef): unknown => {
    switch (d._tag) {
      case 'Leaf':
        return leaves[i++];
      case 'Array':
        return d.children.map(build);
      case 'Object': {
        const out: Record<string, unknown> = {};
        // defineProperty: a key named __proto__ must stay an own key, not set the prototype
        d.keys.forEach((k, j) => Object.defineProperty(out, k, { value: build(d.children[j]!), enumerable: true, writable: true, configurable: true }));
        return out;
      }
    }
  };
  const tree = build(def);
  return (frozen ? freeze(tree, true) : tree) as T;
}

/** Describes a structure for error messages: `[_, { a: _, b: _ }]`. */
export function describeDef(d: TreeDef): string {
  switch (d._tag) {
    case 'Leaf':
      return '_';
    case 'Array':
      return `[${d.children.map(describeDef).join(', ')}]`;
    case 'Object':
      return `{ ${d.keys.map((k, j) => `${k}: ${describeDef(d.children[j]!)}`).join(', ')} }`;
  }
}

/** True when two structures are the same. */
export function sameDef(a: TreeDef, b: TreeDef): boolean {
  if (a._tag !== b._tag) return false;
  if (a._tag === 'Leaf') return true;
  const bc = (b as typeof a).children;
  if (a.children.length !== bc.length) return false;
  if (a._tag === 'Object' && (b as typeof a).keys.join('\u0000') !== a.keys.join('\u0000')) return false;
  return a.children.every((c, i) => sameDef(c, bc[i]!));
}

/**
 * Checks that `tree` has structure `def` and leaf shapes `shapes`; throws `TREE_MISMATCH` saying what
 * differs. Used for cotangents and tangents, which must match the value they belong to.
 */
export function matchTree(op: string, what: string, tree: unknown, def: TreeDef, shapes: ReadonlyArray<ReadonlyArray<number>>): Leaf[] {
  const { leaves, def: got } = flatten(op, tree);
  if (!sameDef(got, def)) {
    throw new ShapeError(
      'TREE_MISMATCH',
      op,
      `the ${what} has structure ${describeDef(got)} but must match ${describeDef(def)}; pass one leaf per leaf of the value it belongs to`,
    );
  }
  leaves.forEach((leaf, i) => {
    const s = leaf instanceof Tensor ? leaf.shape : [];
    const want = shapes[i]!;
    if (s.length !== want.length || s.some((d, j) => d !== want[j])) {
      throw new ShapeError(
        'TREE_MISMATCH',
        op,
        `leaf ${i} of the ${what} has shape ${formatShape(s)} but the value it belongs to has shape ${formatShape(want)}; shapes must be equal`,
      );
    }
  });
  return leaves;
}

/**
 * Applies `f` to every tensor inside arrays and plain objects, leaving everything else as it is
 * (unlike `flatten`, other values are allowed). Returns `value` itself when nothing changed.
 */
export function mapTensors(value: unknown, f: (t: Tensor) => Tensor): unknown {
  if (value instanceof Tensor) return f(value);
  if (Array.isArray(value)) {
    const out = value.map((v) => mapTensors(v, f));
    return out.every((v, i) => v === value[i]) ? value : Object.freeze(out);
  }
  if (isPlainObject(value)) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      const v = mapTensors(value[k], f);
      if (v !== value[k]) changed = true;
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return changed ? Object.freeze(out) : value;
  }
  return value;
}

/**
 * A deep copy of the arrays and plain objects in `value`, frozen; tensors and other values are
 * shared (they are immutable already). The caller's object is neither changed nor frozen.
 */
export function frozenCopy<T>(value: T): T {
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy)) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) Object.defineProperty(out, k, { value: frozenCopy(value[k]), enumerable: true });
    return Object.freeze(out) as T;
  }
  return value;
}
