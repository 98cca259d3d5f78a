/**
 * Pytrees: transforms accept and return nested arrays and plain objects whose leaves are tensors or
 * numbers. `flatten` turns a tree into its leaves plus a structure descriptor; `unflatten` rebuilds a
 * tree of the same structure (frozen) from new leaves, which is how gradients come back in the shape
 * of the inputs. Object keys are visited in sorted order, so `{ b, a }` and `{ a, b }` are the same
 * structure.
 *
 * Every walk here is a loop over an explicit stack, not a recursion: a tree nested 10,000 (or a
 * million) levels deep is as fine as a flat one, and no input can end in a RangeError. A tree that
 * contains itself (an object or array reachable from one of its own children) would make a walk
 * endless; each walk checks the containers on its current path and throws `CYCLIC_TREE` naming both
 * places. The same object appearing twice side by side (a shared subtree) is not a cycle and is fine.
 *
 * `mapTensors` and `ownedCopy` walk the values effects carry (log payloads, state versions, IO
 * results), which may hold more than tensors: see each one.
 *
 * @since 0.1.0
 */
import { describeValue, isPlainObject } from './args.js';
import { ArgumentError, formatShape, ShapeError } from './errors.js';
import { isTensor, type Tensor } from './Tensor.js';

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

const LEAF: TreeDef = Object.freeze({ _tag: 'Leaf' });

// ---- the path of a walk: cycle detection and error messages ------------------------------------------

/** A key on a path: an array index, an object key, or a Map/Set position. */
type PathKey = number | string | { readonly map: 'key' | 'value' | 'element'; readonly index: number };

/** Up to this depth a cycle is found by scanning the path; deeper, a Set of the path's containers is kept. */
const SCAN_DEPTH = 16;

/**
 * The containers from the root to the current node of a walk, with the key each sits under in its
 * parent. Entering a container that is already on the path is a cycle.
 */
class Path {
  readonly nodes: object[] = [];
  readonly keys: PathKey[] = [];
  private set: Set<object> | undefined;

  constructor(
    private readonly op: string,
    private readonly what: string,
  ) {}

  get depth(): number {
    return this.nodes.length;
  }

  /** Pushes `node`, found under `key` in the current container; throws `CYCLIC_TREE` if it is already on the path. */
  enter(node: object, key: PathKey): void {
    const nodes = this.nodes;
    if (this.set !== undefined) {
      if (this.set.has(node)) this.cycle(node, key);
      this.set.add(node);
    } else {
      for (let i = 0; i < nodes.length; i++) if (nodes[i] === node) this.cycle(node, key);
      if (nodes.length >= SCAN_DEPTH) this.set = new Set([...nodes, node]);
    }
    nodes.push(node);
    this.keys.push(key);
  }

  leave(): void {
    const node = this.nodes.pop()!;
    this.keys.pop();
    this.set?.delete(node);
  }

  /** The current path, followed by `key`, as a caller would write it: `.w[1].z`. */
  describe(key?: PathKey): string {
    const keys = key === undefined ? this.keys.slice(1) : [...this.keys.slice(1), key];
    return describePath(keys);
  }

  private cycle(node: object, key: PathKey): never {
    const at = this.nodes.indexOf(node);
    const outer = describePath(this.keys.slice(1, at + 1)) || 'the top level';
    throw new ArgumentError(
      'CYCLIC_TREE',
      this.op,
      `the ${this.what} contains itself: the ${Array.isArray(node) ? 'array' : 'object'} at ${this.describe(key)} is the one at ${outer}; ` +
        'pass a tree (arrays and plain objects that do not refer back to an enclosing one)',
    );
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function describePath(keys: ReadonlyArray<PathKey>): string {
  const one = (k: PathKey): string =>
    typeof k === 'number' ? `[${k}]` : typeof k === 'string' ? (IDENTIFIER.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`) : `<${k.map} ${k.index}>`;
  // a path thousands of levels deep is shown by its ends
  if (keys.length > 16) return `${keys.slice(0, 6).map(one).join('')}…(${keys.length - 12} more)…${keys.slice(-6).map(one).join('')}`;
  return keys.map(one).join('');
}

// ---- flatten / unflatten --------------------------------------------------------------------------------

interface FlattenFrame {
  readonly node: Readonly<Record<string, unknown>> | ReadonlyArray<unknown>;
  /** Sorted keys of an object; undefined for an array. */
  readonly keys: string[] | undefined;
  readonly length: number;
  i: number;
  readonly children: TreeDef[];
}

function flattenFrame(node: object): FlattenFrame {
  if (Array.isArray(node)) return { node, keys: undefined, length: node.length, i: 0, children: [] };
  const keys = Object.keys(node).sort();
  return { node: node as Record<string, unknown>, keys, length: keys.length, i: 0, children: [] };
}

/**
 * Leaves in a canonical order, and the structure. Throws `NOT_NUMERIC` naming the path of a bad leaf,
 * `CYCLIC_TREE` for a tree that contains itself, and `ASYNC_FUNCTION` for a promise (a function that
 * should have returned a value returned a promise of it).
 */
export function flatten(op: string, tree: unknown): { leaves: Leaf[]; def: TreeDef } {
  if (isTensor(tree) || typeof tree === 'number') return { leaves: [tree], def: LEAF };
  const leaves: Leaf[] = [];
  if (!Array.isArray(tree) && !isPlainObject(tree)) badLeaf(op, tree, '');
  const path = new Path(op, 'tree');
  path.enter(tree, '');
  const frames: FlattenFrame[] = [flattenFrame(tree)];
  for (;;) {
    const frame = frames[frames.length - 1]!;
    if (frame.i < frame.length) {
      const key = frame.keys === undefined ? frame.i : frame.keys[frame.i]!;
      frame.i++;
      // holes in sparse arrays read as undefined and are reported like it
      const child = (frame.node as Record<string | number, unknown>)[key];
      if (isTensor(child) || typeof child === 'number') {
        leaves.push(child);
        frame.children.push(LEAF);
      } else if (Array.isArray(child) || isPlainObject(child)) {
        path.enter(child, key);
        frames.push(flattenFrame(child));
      } else {
        badLeaf(op, child, path.describe(key));
      }
      continue;
    }
    frames.pop();
    path.leave();
    const def: TreeDef = frame.keys === undefined ? { _tag: 'Array', children: frame.children } : { _tag: 'Object', keys: frame.keys, children: frame.children };
    if (frames.length === 0) return { leaves, def };
    frames[frames.length - 1]!.children.push(def);
  }
}

function badLeaf(op: string, leaf: unknown, path: string): never {
  const where = path === '' ? 'the top level' : path;
  if (isThenable(leaf)) {
    ignoreRejection(leaf);
    throw new ArgumentError(
      'ASYNC_FUNCTION',
      op,
      `the value at ${where} is a promise; transforms need functions that return their result synchronously (not async functions); ` +
        'load data first, or inside a Program with IO.promise and runPromise',
    );
  }
  throw new ArgumentError(
    'NOT_NUMERIC',
    op,
    `the leaf at ${where} is ${leaf === null ? 'null' : typeof leaf}; ` +
      'inputs and outputs of transforms are tensors, numbers, or arrays and plain objects of them (pass other data through closures)',
  );
}

/** True for a promise or any object with a `then` method. */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Attaches a rejection handler to a promise the library refuses, so that when it later rejects
 * (typically with `LEAKED_TRACER`, its function running on after its trace closed) the rejection
 * is not unhandled and does not end the process. The refusal itself is the error the caller sees.
 */
export function ignoreRejection(p: PromiseLike<unknown>): void {
  try {
    void Promise.resolve(p).then(undefined, () => undefined);
  } catch {
    // a thenable whose `then` throws has nothing left to reject
  }
}

interface BuildFrame {
  readonly def: Extract<TreeDef, { children: unknown }>;
  readonly values: unknown[];
}

/** Rebuilds a tree of structure `def` from `leaves` (in flatten order), deeply frozen unless `frozen` is false. */
export function unflatten<T = Tree>(def: TreeDef, leaves: ReadonlyArray<Leaf>, frozen = true): T {
  if (def._tag === 'Leaf') return leaves[0] as T;
  let at = 0;
  const frames: BuildFrame[] = [{ def, values: [] }];
  for (;;) {
    const frame = frames[frames.length - 1]!;
    const { children } = frame.def;
    if (frame.values.length < children.length) {
      const child = children[frame.values.length]!;
      if (child._tag === 'Leaf') frame.values.push(leaves[at++]);
      else frames.push({ def: child, values: [] });
      continue;
    }
    frames.pop();
    let built: unknown;
    if (frame.def._tag === 'Array') built = frame.values;
    else {
      const out: Record<string, unknown> = {};
      const keys = frame.def.keys;
      for (let j = 0; j < keys.length; j++) {
        // defineProperty: a key named __proto__ must stay an own key, not set the prototype
        if (keys[j] === '__proto__') Object.defineProperty(out, '__proto__', { value: frame.values[j], enumerable: true, writable: true, configurable: true });
        else out[keys[j]!] = frame.values[j];
      }
      built = out;
    }
    if (frozen) Object.freeze(built);
    if (frames.length === 0) return built as T;
    frames[frames.length - 1]!.values.push(built);
  }
}

/**
 * Freezes a structure made by `flatten` all the way down (its nodes, children arrays and key
 * arrays) and returns it, for handing it out (`tree.flatten`): a caller cannot then change it to
 * make `unflatten` build something else. `flatten` itself does not freeze: its structures stay
 * inside the library, and three `Object.freeze` calls per container would be paid by every
 * transform call.
 */
export function freezeDef(def: TreeDef): TreeDef {
  const pending: TreeDef[] = [def];
  while (pending.length > 0) {
    const d = pending.pop()!;
    if (Object.isFrozen(d)) continue; // the shared leaf, or a subtree frozen already
    if (d._tag !== 'Leaf') {
      Object.freeze(d.children);
      if (d._tag === 'Object') Object.freeze(d.keys);
      for (let j = 0; j < d.children.length; j++) pending.push(d.children[j]!);
    }
    Object.freeze(d);
  }
  return def;
}

/** Describes a structure for error messages: `[_, { a: _, b: _ }]`; deep or wide structures are elided with `…`. */
export function describeDef(d: TreeDef): string {
  const show = (x: TreeDef, depth: number): string => {
    if (x._tag === 'Leaf') return '_';
    if (depth >= 8) return x._tag === 'Array' ? '[…]' : '{ … }';
    const items = x.children.slice(0, 12).map((c, j) => (x._tag === 'Array' ? show(c, depth + 1) : `${x.keys[j]}: ${show(c, depth + 1)}`));
    if (x.children.length > 12) items.push(`…(${x.children.length - 12} more)`);
    return x._tag === 'Array' ? `[${items.join(', ')}]` : `{ ${items.join(', ')} }`;
  };
  return show(d, 0);
}

/** Where leaf `i` (in flatten order) of a tree of structure `def` sits, as a caller writes it: `.w[1]`, or `the top level`. */
export function describeLeafPath(def: TreeDef, i: number): string {
  if (def._tag === 'Leaf') return 'the top level';
  // a walk in flatten order (an explicit stack, as every walk here) to the i-th leaf
  const frames: Array<{ readonly def: Extract<TreeDef, { children: unknown }>; j: number }> = [{ def, j: 0 }];
  let seen = 0;
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    if (frame.j >= frame.def.children.length) {
      frames.pop();
      continue;
    }
    const child = frame.def.children[frame.j++]!;
    if (child._tag !== 'Leaf') frames.push({ def: child, j: 0 });
    else if (seen++ === i) return describePath(frames.map((f) => (f.def._tag === 'Array' ? f.j - 1 : f.def.keys[f.j - 1]!)));
  }
  return `leaf ${i}`;
}

/** True when two structures are the same. */
export function sameDef(a: TreeDef, b: TreeDef): boolean {
  const pending: TreeDef[] = [a, b];
  while (pending.length > 0) {
    const y = pending.pop()!;
    const x = pending.pop()!;
    if (x === y) continue;
    if (x._tag !== y._tag) return false;
    if (x._tag === 'Leaf') continue;
    const yc = (y as typeof x).children;
    if (x.children.length !== yc.length) return false;
    if (x._tag === 'Object') {
      const yk = (y as typeof x).keys;
      for (let j = 0; j < yk.length; j++) if (x.keys[j] !== yk[j]) return false;
    }
    for (let j = 0; j < yc.length; j++) pending.push(x.children[j]!, yc[j]!);
  }
  return true;
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
    const s = isTensor(leaf) ? leaf.shape : [];
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

// ---- walks over effect values: mapTensors and ownedCopy ------------------------------------------------

/** What effects (State values, Log entries) may hold, as messages and the README list it. */
export const EFFECT_DATA = 'tensors, numbers, strings, booleans, bigints, null, arrays, plain objects, Maps, Sets, typed arrays and Dates';

/** Set by `ownedCopy`: whether the copy holds mutable containers (Maps, Sets, typed arrays, Dates). */
let copiedMutable = false;

type Container = ReadonlyArray<unknown> | Record<string, unknown> | Map<unknown, unknown> | Set<unknown>;

interface RebuildFrame {
  readonly node: Container;
  /** The children to visit, in order: array elements, object values, Map keys and values alternately, Set elements. */
  readonly children: ReadonlyArray<unknown>;
  /** Object keys, for rebuilding and for paths. */
  readonly keys: ReadonlyArray<string> | undefined;
  readonly out: unknown[];
  changed: boolean;
}

const isContainer = (v: unknown): v is Container =>
  Array.isArray(v) || isPlainObject(v) || v instanceof Map || v instanceof Set;

function rebuildFrame(node: Container): RebuildFrame {
  if (Array.isArray(node)) return { node, children: node, keys: undefined, out: [], changed: false };
  if (node instanceof Map || node instanceof Set) copiedMutable = true; // (read only after ownedCopy)
  if (node instanceof Map) {
    const children: unknown[] = [];
    for (const [k, v] of node) children.push(k, v);
    return { node, children, keys: undefined, out: [], changed: false };
  }
  if (node instanceof Set) return { node, children: [...node], keys: undefined, out: [], changed: false };
  const keys = Object.keys(node);
  return { node, children: keys.map((k) => (node as Record<string, unknown>)[k]), keys, out: [], changed: false };
}

function childKey(frame: RebuildFrame, j: number): PathKey {
  if (frame.keys !== undefined) return frame.keys[j]!;
  if (frame.node instanceof Map) return { map: j % 2 === 0 ? 'key' : 'value', index: j >> 1 };
  if (frame.node instanceof Set) return { map: 'element', index: j };
  return j;
}

/** A new container of `frame.node`'s kind holding `frame.out`; arrays and plain objects are frozen. */
function assembled(frame: RebuildFrame): Container {
  const { node, out } = frame;
  if (Array.isArray(node)) return Object.freeze(out);
  if (node instanceof Map) {
    const m = new Map<unknown, unknown>();
    for (let j = 0; j < out.length; j += 2) m.set(out[j], out[j + 1]);
    return m;
  }
  if (node instanceof Set) return new Set(out);
  const o: Record<string, unknown> = Object.getPrototypeOf(node) === null ? Object.create(null) : {};
  const keys = frame.keys!;
  for (let j = 0; j < keys.length; j++) Object.defineProperty(o, keys[j]!, { value: out[j], enumerable: true });
  return Object.freeze(o);
}

/**
 * The walk behind `mapTensors` and `ownedCopy`: rebuilds the containers (arrays, plain objects, Maps,
 * Sets) of `value` bottom-up, replacing every other value by `leaf(v, path)`. A container whose
 * children all came back unchanged is returned as it is unless `copy` is set.
 */
function rebuild(op: string, what: string, value: unknown, copy: boolean, leaf: (v: unknown, path: Path, key: PathKey) => unknown): unknown {
  if (!isContainer(value)) return leaf(value, new Path(op, what), '');
  const path = new Path(op, what);
  path.enter(value, '');
  const frames: RebuildFrame[] = [rebuildFrame(value)];
  for (;;) {
    const frame = frames[frames.length - 1]!;
    const j = frame.out.length;
    if (j < frame.children.length) {
      const child = frame.children[j];
      if (isContainer(child)) {
        path.enter(child, childKey(frame, j));
        frames.push(rebuildFrame(child));
      } else {
        const v = leaf(child, path, childKey(frame, j));
        if (v !== child) frame.changed = true;
        frame.out.push(v);
      }
      continue;
    }
    frames.pop();
    path.leave();
    const built = copy || frame.changed ? assembled(frame) : frame.node;
    if (frames.length === 0) return built;
    const parent = frames[frames.length - 1]!;
    if (built !== frame.node) parent.changed = true;
    parent.out.push(built);
  }
}

/**
 * Applies `f` to every tensor inside arrays, plain objects, Maps and Sets, leaving everything else as
 * it is (unlike `flatten`, other values are allowed). Returns `value` itself when nothing changed;
 * changed arrays and objects come back frozen. Throws `CYCLIC_TREE` for a value that contains itself.
 */
export function mapTensors(value: unknown, f: (t: Tensor) => Tensor, op = 'mapTensors', what = 'value'): unknown {
  if (isTensor(value)) return f(value);
  return rebuild(op, what, value, false, (v) => (isTensor(v) ? f(v) : v));
}

/** Whether the last `ownedCopy` met a Map, Set, typed array, ArrayBuffer or Date (which it copied but could not freeze). */
export function lastCopyHeldMutable(): boolean {
  return copiedMutable;
}

/**
 * A deep copy of `value` that no caller can reach, for the values effects keep (log entries, state
 * versions). Arrays and plain objects are copied and frozen. Maps, Sets, typed arrays, ArrayBuffers,
 * DataViews and Dates cannot be frozen, so they are copied (and `lastCopyHeldMutable()` becomes
 * true): whoever hands such a value out must hand out another `ownedCopy` of it. Tensors (immutable)
 * and primitives (numbers, strings, booleans, bigints, null, undefined inside a container) are
 * shared. Anything else is not data and is refused: `INVALID_ARGUMENT` naming its path for a
 * function (it may close over state no copy can reach), a symbol (no two runs could agree on it),
 * a class instance or a WeakMap, `ASYNC_FUNCTION` for a promise, `CYCLIC_TREE` for a value that
 * contains itself. The caller's value is neither changed nor frozen.
 */
export function ownedCopy<T>(op: string, what: string, value: T): T {
  copiedMutable = false;
  return rebuild(op, what, value, true, (v, path, key) => {
    if ((typeof v !== 'object' && typeof v !== 'function' && typeof v !== 'symbol') || v === null || isTensor(v)) return v;
    if (ArrayBuffer.isView(v)) {
      copiedMutable = true;
      if (v instanceof DataView) return new DataView(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
      return (v as unknown as { slice(): unknown }).slice();
    }
    if (v instanceof ArrayBuffer) {
      copiedMutable = true;
      return v.slice(0);
    }
    if (v instanceof Date) {
      copiedMutable = true;
      return new Date(v.getTime());
    }
    const where = key === '' && path.depth === 0 ? 'the top level' : path.describe(key);
    if (isThenable(v)) {
      ignoreRejection(v);
      throw new ArgumentError('ASYNC_FUNCTION', op, `the ${what} at ${where} is a promise; await it first (IO.promise in a program run by runPromise)`);
    }
    throw new ArgumentError(
      'INVALID_ARGUMENT',
      op,
      `the ${what} at ${where} is ${describeValue(v)}, which ${typeof v === 'object' ? 'cannot be copied' : 'is not data'}; ` +
        `effects keep data: ${EFFECT_DATA} (${typeof v === 'object' ? 'convert the object to one of these' : 'keep functions and symbols outside the program\'s state and log'})`,
    );
  }) as T;
}
