import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { AdjointError, ArgumentError, grad, item, mul, scalar, ShapeError, sum, type Tensor, tensor, toArray, valueAndGrad, vjp } from '../../src/index.js';
import {
  describeDef,
  flatten,
  lastCopyHeldMutable,
  type Leaf,
  mapTensors,
  matchTree,
  ownedCopy,
  sameDef,
  type TreeDef,
  unflatten,
} from '../../src/core/Tree.js';
import { thrown } from '../reference.js';

const SEED = { seed: 7, numRuns: 30 } as const;

/** Runs `f`, expecting an `AdjointError` of class `cls` with `code` whose message contains `mentions`. */
function expectAdjointError(f: () => unknown, cls: Function, code: string, mentions: ReadonlyArray<string | RegExp>): AdjointError {
  const caught = thrown(() => f());
  expect(caught).toBeInstanceOf(cls);
  const err = caught as AdjointError;
  expect(err.code).toBe(code);
  for (const m of mentions) expect(err.message).toMatch(typeof m === 'string' ? new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : m);
  return err;
}

/** A tree with its leaves replaced by their flatten index, for comparing structures with `toEqual`. */
function skeleton(tree: unknown, counter = { i: 0 }): unknown {
  if (typeof tree === 'number' || (typeof tree === 'object' && tree !== null && 'shape' in tree)) return `#${counter.i++}`;
  if (Array.isArray(tree)) return tree.map((c) => skeleton(c, counter));
  const obj = tree as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) out[k] = skeleton(obj[k], counter);
  return out;
}

/** Asserts every array and object of `tree` is frozen. */
function expectDeepFrozen(tree: unknown): void {
  if (typeof tree !== 'object' || tree === null || 'shape' in tree) return;
  expect(Object.isFrozen(tree)).toBe(true);
  for (const v of Object.values(tree)) expectDeepFrozen(v);
}

// Arbitrary pytrees: numbers and small tensors at the leaves, arrays and plain objects inside.
const key = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,5}$/);
const leafArb: fc.Arbitrary<Leaf> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { maxLength: 3 }).map((xs): Tensor => tensor(xs)),
);
const { tree: treeArb } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('tree'), { maxLength: 3 }),
    fc.dictionary(key, tie('tree'), { maxKeys: 3, noNullPrototype: true }),
  ),
}));

describe('flatten / unflatten', () => {
  test.prop([treeArb], SEED)('round trip: unflatten(flatten(t)) has the same structure and the very same leaves', (tree) => {
    const { leaves, def } = flatten('test', tree);
    const back = unflatten(def, leaves);
    expect(skeleton(back)).toEqual(skeleton(tree));
    const again = flatten('test', back);
    expect(again.leaves).toHaveLength(leaves.length);
    again.leaves.forEach((l, i) => expect(l).toBe(leaves[i]));
    expect(sameDef(again.def, def)).toBe(true);
    expectDeepFrozen(back);
  });

  test.prop([treeArb], SEED)('unflatten with new leaves puts each leaf where flatten found the old one', (tree) => {
    const { leaves, def } = flatten('test', tree);
    const rebuilt = unflatten(def, leaves.map((_, i) => i));
    expect(flatten('test', rebuilt).leaves).toEqual(leaves.map((_, i) => i));
  });

  it('a concrete example: leaves in sorted-key, left-to-right order', () => {
    const t = tensor([1, 2]);
    const tree = { b: [3, t], a: { z: 1, y: 2 }, c: 4 };
    const { leaves, def } = flatten('test', tree);
    expect(leaves).toEqual([2, 1, 3, t, 4]);
    expect(leaves[3]).toBe(t);
    expect(describeDef(def)).toBe('{ a: { y: _, z: _ }, b: [_, _], c: _ }');
    const back = unflatten<{ a: { y: number; z: number }; b: [number, number]; c: number }>(def, [10, 20, 30, 40, 50]);
    expect(back).toEqual({ a: { y: 10, z: 20 }, b: [30, 40], c: 50 });
    expect(Object.keys(back)).toEqual(['a', 'b', 'c']);
  });

  it('object keys are visited in sorted order, so { b, a } and { a, b } are the same structure', () => {
    const one = flatten('test', { b: 1, a: 2 });
    const two = flatten('test', { a: 2, b: 1 });
    expect(one.leaves).toEqual([2, 1]);
    expect(two.leaves).toEqual([2, 1]);
    expect(sameDef(one.def, two.def)).toBe(true);
    expect(one.def).toEqual({ _tag: 'Object', keys: ['a', 'b'], children: [{ _tag: 'Leaf' }, { _tag: 'Leaf' }] });
  });

  it('a bare leaf, empty containers and null-prototype objects', () => {
    expect(flatten('test', 5)).toEqual({ leaves: [5], def: { _tag: 'Leaf' } });
    expect(unflatten({ _tag: 'Leaf' }, [7])).toBe(7);
    const emptyA = flatten('test', []);
    expect(emptyA.leaves).toEqual([]);
    expect(unflatten(emptyA.def, [])).toEqual([]);
    const emptyO = flatten('test', {});
    expect(unflatten(emptyO.def, [])).toEqual({});
    const bare = Object.create(null) as Record<string, number>;
    bare['x'] = 1;
    expect(flatten('test', bare).leaves).toEqual([1]);
  });

  it('unflatten freezes every container it builds', () => {
    const { leaves, def } = flatten('test', { a: [1, { b: 2 }], c: [[3]] });
    const back = unflatten<{ a: [number, { b: number }]; c: number[][] }>(def, leaves);
    expectDeepFrozen(back);
    expect(Object.isFrozen(back.a[1])).toBe(true);
    expect(Object.isFrozen(back.c[0])).toBe(true);
  });

  it('flatten does not freeze or change its input', () => {
    const input = { b: [1, 2], a: { c: 3 } };
    const { leaves, def } = flatten('test', input);
    unflatten(def, leaves);
    expect(Object.isFrozen(input)).toBe(false);
    expect(Object.isFrozen(input.b)).toBe(false);
    expect(Object.keys(input)).toEqual(['b', 'a']);
    expect(input).toEqual({ b: [1, 2], a: { c: 3 } });
  });

  it('a key named __proto__ (e.g. from JSON.parse) survives the round trip as an own key', () => {
    const tree = JSON.parse('{"__proto__": 1, "a": 2}') as Record<string, number>;
    const { leaves, def } = flatten('test', tree);
    expect(leaves).toEqual([1, 2]);
    const back = unflatten<Record<string, number>>(def, leaves);
    expect(Object.keys(back).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toBe(1);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });
});

describe('NOT_NUMERIC', () => {
  it('names the op and the path of the bad leaf', () => {
    expectAdjointError(() => flatten('grad', { w: 'a' }), ArgumentError, 'NOT_NUMERIC', ['grad: ', 'the leaf at .w is string']);
    expectAdjointError(() => flatten('grad', { w: [1, { z: null }] }), ArgumentError, 'NOT_NUMERIC', ['the leaf at .w[1].z is null']);
    expectAdjointError(() => flatten('jvp', [[1], [2, undefined]]), ArgumentError, 'NOT_NUMERIC', ['jvp: ', 'the leaf at [1][1] is undefined']);
    expectAdjointError(() => flatten('vjp', true), ArgumentError, 'NOT_NUMERIC', ['the leaf at the top level is boolean']);
    expectAdjointError(() => flatten('vjp', { f: () => 1 }), ArgumentError, 'NOT_NUMERIC', ['.f is function']);
    // class instances are not plain objects
    expectAdjointError(() => flatten('grad', { d: new Date(0) }), ArgumentError, 'NOT_NUMERIC', ['.d']);
    expectAdjointError(() => flatten('grad', new Map([['a', 1]])), ArgumentError, 'NOT_NUMERIC', ['the top level']);
  });

  it('a hole in a sparse array is a missing leaf, like an explicit undefined', () => {
    const sparse: unknown[] = [1];
    sparse[2] = 2; // index 1 is a hole
    expectAdjointError(() => flatten('grad', sparse), ArgumentError, 'NOT_NUMERIC', ['the leaf at [1] is undefined']);
  });

  it('through a transform: grad(f)({ w: "a" }) names grad and .w', () => {
    const loose = grad((p: { w: Tensor }) => sum(p.w)) as (p: unknown) => unknown;
    expectAdjointError(() => loose({ w: 'a' }), ArgumentError, 'NOT_NUMERIC', ['grad: ', '.w', 'string']);
    expectAdjointError(() => loose({ w: { deep: [scalar(1), 'x'] } }), ArgumentError, 'NOT_NUMERIC', ['.w.deep[1]']);
  });
});

describe('matchTree', () => {
  const def = flatten('test', { a: 0, b: [0, 0] }).def;
  const shapes = [[2], [], [3]];

  it('returns the leaves of a matching tree', () => {
    const a = tensor([1, 2]);
    const leaves = matchTree('vjp pullback', 'cotangent', { b: [5, tensor([1, 2, 3])], a }, def, shapes);
    expect(leaves).toHaveLength(3);
    expect(leaves[0]).toBe(a);
    expect(leaves[1]).toBe(5);
  });

  it('a different structure is TREE_MISMATCH describing both structures', () => {
    expectAdjointError(() => matchTree('vjp pullback', 'cotangent', { a: tensor([1, 2]), b: [5] }, def, shapes), ShapeError, 'TREE_MISMATCH', [
      'vjp pullback: ',
      'the cotangent has structure { a: _, b: [_] } but must match { a: _, b: [_, _] }',
    ]);
    expectAdjointError(() => matchTree('jvp', 'tangents', [1, 2, 3], def, shapes), ShapeError, 'TREE_MISMATCH', ['jvp: ', '[_, _, _]']);
    expectAdjointError(() => matchTree('jvp', 'tangents', { a: 1, c: [1, 2] }, def, shapes), ShapeError, 'TREE_MISMATCH', ['{ a: _, c: [_, _] }']);
  });

  it('a leaf of the wrong shape is TREE_MISMATCH naming the leaf and both shapes', () => {
    expectAdjointError(() => matchTree('vjp pullback', 'cotangent', { a: tensor([1, 2]), b: [5, tensor([1, 2])] }, def, shapes), ShapeError, 'TREE_MISMATCH', [
      'leaf 2 of the cotangent has shape [2]',
      'has shape [3]',
    ]);
    expectAdjointError(() => matchTree('jvp', 'tangents', { a: 1, b: [5, tensor([1, 2, 3])] }, def, shapes), ShapeError, 'TREE_MISMATCH', ['leaf 0', 'shape []', 'shape [2]']);
  });

  it('sameDef distinguishes leaves, arrays, objects, lengths and keys', () => {
    const d = (t: unknown): TreeDef => flatten('test', t).def;
    expect(sameDef(d(1), d(tensor([1, 2])))).toBe(true);
    expect(sameDef(d(1), d([1]))).toBe(false);
    expect(sameDef(d([1, 2]), d([1]))).toBe(false);
    expect(sameDef(d([1]), d({ 0: 1 }))).toBe(false);
    expect(sameDef(d({ a: 1 }), d({ b: 1 }))).toBe(false);
    expect(sameDef(d({ a: [1] }), d({ a: 1 }))).toBe(false);
    expect(sameDef(d({ a: [1, { x: 2 }] }), d({ a: [3, { x: tensor([4]) }] }))).toBe(true);
  });
});

describe('pytrees through the transforms', () => {
  it('the gradient of an object comes back with the same keys (sorted), frozen, with values in place', () => {
    const f = (p: { w: Tensor; b: Tensor; nested: { s: Tensor } }): Tensor => mul(sum(mul(p.w, p.b)), p.nested.s);
    const g = grad(f)({ w: tensor([1, 2]), b: tensor([3, 4]), nested: { s: scalar(2) } }) as { w: Tensor; b: Tensor; nested: { s: Tensor } };
    expect(Object.keys(g)).toEqual(['b', 'nested', 'w']);
    expect(toArray(g.w)).toEqual([6, 8]);
    expect(toArray(g.b)).toEqual([2, 4]);
    expect(item(g.nested.s)).toBe(11);
    expectDeepFrozen(g);
  });

  it('empty containers pass through a transform unchanged in structure', () => {
    const [gx, gEmpty] = grad((x: Tensor, _e: unknown[]) => sum(x), { argnums: [0, 1] })(tensor([1, 2]), []) as [Tensor, unknown[]];
    expect(toArray(gx)).toEqual([1, 1]);
    expect(gEmpty).toEqual([]);
    expect(Object.isFrozen(gEmpty)).toBe(true);
  });
});

// ---- cycles and depth ---------------------------------------------------------------------------------

/** `[[[...[leaf]...]]]`, `depth` arrays deep. */
function nested(depth: number, leaf: unknown): unknown {
  let t = leaf;
  for (let i = 0; i < depth; i++) t = [t];
  return t;
}

/** The innermost value of `nested`. */
function innermost(t: unknown): unknown {
  let v = t;
  while (Array.isArray(v)) v = v[0];
  return v;
}

/** The nesting depth of `nested` output. */
function depthOf(t: unknown): number {
  let d = 0;
  for (let v = t; Array.isArray(v); v = v[0]) d++;
  return d;
}

describe('CYCLIC_TREE', () => {
  const selfObject = (): Record<string, unknown> => {
    const o: Record<string, unknown> = { a: 1 };
    o['self'] = o;
    return o;
  };
  const selfArray = (): unknown[] => {
    const a: unknown[] = [1];
    a.push(a);
    return a;
  };
  const indirect = (): Record<string, unknown> => {
    const o: Record<string, unknown> = { x: 1 };
    o['b'] = { c: [2, { back: o }] };
    return o;
  };
  /** A cycle whose far end is below the depth where the walk switches from scanning its path to a Set. */
  const deepCycle = (): unknown[] => {
    const root: unknown[] = [];
    let at: unknown[] = root;
    for (let i = 0; i < 40; i++) {
      const next: unknown[] = [];
      at.push(next);
      at = next;
    }
    at.push(root);
    return root;
  };

  it('flatten names both places: the object and the enclosing one it is', () => {
    expectAdjointError(() => flatten('grad', selfObject()), ArgumentError, 'CYCLIC_TREE', ['grad: ', 'the object at .self is the one at the top level']);
    expectAdjointError(() => flatten('grad', selfArray()), ArgumentError, 'CYCLIC_TREE', ['the array at [1] is the one at the top level']);
    expectAdjointError(() => flatten('grad', indirect()), ArgumentError, 'CYCLIC_TREE', ['the object at .b.c[1].back is the one at the top level']);
    expectAdjointError(() => flatten('grad', { w: indirect() }), ArgumentError, 'CYCLIC_TREE', ['.w.b.c[1].back is the one at .w']);
    expectAdjointError(() => flatten('grad', deepCycle()), ArgumentError, 'CYCLIC_TREE', ['more', 'is the one at the top level']);
  });

  it('a subtree shared by two parents is not a cycle', () => {
    const shared = [1, 2];
    const { leaves, def } = flatten('test', { a: shared, b: shared, c: [shared, [shared]] });
    expect(leaves).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(describeDef(def)).toBe('{ a: [_, _], b: [_, _], c: [[_, _], [[_, _]]] }');
    const deepShared = nested(50, shared);
    expect(flatten('test', [deepShared, deepShared]).leaves).toEqual([1, 2, 1, 2]);
  });

  it('through the transforms: a cyclic input, output or aux is CYCLIC_TREE, not a stack overflow', () => {
    const cyc = selfObject();
    expectAdjointError(() => grad((p: { a: Tensor }) => p.a)(cyc as never), ArgumentError, 'CYCLIC_TREE', ['grad: ']);
    expectAdjointError(() => valueAndGrad((x: Tensor) => [x, selfArray()] as never)(1), ArgumentError, 'CYCLIC_TREE', ['valueAndGrad: ']);
    expectAdjointError(() => vjp((x: Tensor) => ({ y: x, more: selfObject() }) as never, tensor(1)), ArgumentError, 'CYCLIC_TREE', ['vjp: ']);
    expectAdjointError(() => grad((x: Tensor) => [mul(x, x), indirect()] as const, { hasAux: true })(1), ArgumentError, 'CYCLIC_TREE', [
      'grad: ',
      'the aux contains itself',
    ]);
    // and the library still works afterwards
    expect(item(grad((x: Tensor) => mul(x, x))(3))).toBe(6);
  });

  it('mapTensors and ownedCopy refuse cycles, including cycles through Maps and Sets', () => {
    expectAdjointError(() => mapTensors(selfObject(), (t) => t, 'Log.value', 'value'), ArgumentError, 'CYCLIC_TREE', ['Log.value: ', 'the value contains itself']);
    expectAdjointError(() => ownedCopy('State.set', 'value', deepCycle()), ArgumentError, 'CYCLIC_TREE', ['State.set: ']);
    const m = new Map<string, unknown>();
    m.set('me', [m]);
    expectAdjointError(() => ownedCopy('State.set', 'value', { m }), ArgumentError, 'CYCLIC_TREE', ['<value 0>[0] is the one at .m']);
    const s = new Set<unknown>();
    s.add({ s });
    expectAdjointError(() => mapTensors([s], (t) => t), ArgumentError, 'CYCLIC_TREE', ['[0]<element 0>.s is the one at [0]']);
  });
});

describe('deep trees: every walk is a loop, never a RangeError', () => {
  const DEEP = 10_000;

  it(`flatten / unflatten / sameDef / describeDef at depth ${DEEP} (and 50,000)`, () => {
    for (const depth of [DEEP, 50_000]) {
      const t = nested(depth, 7);
      const { leaves, def } = flatten('test', t);
      expect(leaves).toEqual([7]);
      const back = unflatten(def, [8]);
      expect(depthOf(back)).toBe(depth);
      expect(innermost(back)).toBe(8);
      expect(Object.isFrozen(back)).toBe(true);
      expect(sameDef(def, flatten('test', back).def)).toBe(true);
      expect(sameDef(def, flatten('test', nested(depth - 1, 7)).def)).toBe(false);
      expect(describeDef(def)).toBe('[[[[[[[[[…]]]]]]]]]');
    }
  });

  it(`a bad leaf at depth ${DEEP} is NOT_NUMERIC with an abbreviated path`, () => {
    const err = expectAdjointError(() => flatten('grad', nested(DEEP, 'x')), ArgumentError, 'NOT_NUMERIC', ['[0][0][0][0][0][0]…(9988 more)…[0][0][0][0][0][0] is string']);
    expect(err.message.length).toBeLessThan(400);
  });

  it(`grad of a function of a ${DEEP}-deep input returns a ${DEEP}-deep gradient`, () => {
    const g = grad((t: unknown) => mul(innermost(t) as Tensor, 3))(nested(DEEP, tensor(2)) as never);
    expect(depthOf(g)).toBe(DEEP);
    expect(item(innermost(g) as Tensor)).toBe(3);
  });

  it(`a ${DEEP}-deep output and aux pass through vjp and grad`, () => {
    const [y, pullback] = vjp((x: Tensor) => nested(DEEP, mul(x, 2)) as unknown as Tensor, tensor(1));
    expect(depthOf(y)).toBe(DEEP);
    expect(item(pullback(nested(DEEP, 1) as never)[0])).toBe(2);
    const [g, aux] = grad((x: Tensor) => [mul(x, x), nested(DEEP, x)] as const, { hasAux: true })(3);
    expect(item(g)).toBe(6);
    expect(depthOf(aux)).toBe(DEEP);
    expect(item(innermost(aux) as Tensor)).toBe(3);
  });

  it(`mapTensors and ownedCopy at depth ${DEEP}`, () => {
    const t = tensor(1);
    const deep = nested(DEEP, { t, m: new Map([['k', t]]) });
    const mapped = mapTensors(deep, () => tensor(2));
    expect(depthOf(mapped)).toBe(DEEP);
    expect(item((innermost(mapped) as { t: Tensor }).t)).toBe(2);
    expect(mapTensors(deep, (x) => x)).toBe(deep);
    const copy = ownedCopy('test', 'value', deep);
    expect(depthOf(copy)).toBe(DEEP);
    // (not `.not.toBe`: on a mismatch vitest compares the values deeply, recursively)
    expect(copy === deep).toBe(false);
    expect((innermost(copy) as { t: Tensor }).t).toBe(t);
  });
});

describe('mapTensors', () => {
  it('returns the value itself when no tensor changed, new frozen containers where one did', () => {
    const t = tensor([1, 2]);
    const other = { keep: [1, 'a', null] };
    const v = { t, other };
    expect(mapTensors(v, (x) => x)).toBe(v);
    const out = mapTensors(v, () => tensor(0)) as typeof v;
    expect(out).not.toBe(v);
    expect(out.other).toBe(other);
    expect(Object.isFrozen(out)).toBe(true);
    expect(Object.isFrozen(v)).toBe(false);
  });

  it('reaches tensors inside Maps and Sets; class instances are left alone', () => {
    class Box {
      constructor(readonly t: Tensor) {}
    }
    const box = new Box(tensor(1));
    const m = new Map<string, unknown>([['a', tensor(1)], ['box', box]]);
    const out = mapTensors({ m, s: new Set([tensor(1)]) }, () => tensor(5)) as { m: Map<string, unknown>; s: Set<Tensor> };
    expect(item(out.m.get('a') as Tensor)).toBe(5);
    expect(out.m.get('box')).toBe(box);
    expect([...out.s].map(item)).toEqual([5]);
    expect(item(m.get('a') as Tensor)).toBe(1);
  });
});

describe('ownedCopy', () => {
  it('copies and freezes arrays and plain objects, shares tensors and primitives, leaves the caller value alone', () => {
    const t = tensor([1, 2]);
    const input = { a: [1, { b: 'x' }], t, n: null, big: 2n, u: undefined };
    const copy = ownedCopy('test', 'value', input);
    expect(copy).toEqual(input);
    expect(copy).not.toBe(input);
    expect(copy.a).not.toBe(input.a);
    expect(copy.t).toBe(t);
    expectDeepFrozen(copy);
    expect(Object.isFrozen(input)).toBe(false);
    expect(Object.isFrozen(input.a)).toBe(false);
    expect(lastCopyHeldMutable()).toBe(false);
  });

  it('refuses functions and symbols, anywhere in the value: they are not data (they were shared)', () => {
    for (const [v, where, what] of [
      [Math.max, 'the top level', 'a function'],
      [{ f: () => 1 }, '.f', 'a function'],
      [[1, Symbol('s')], '[1]', 'a symbol'],
    ] as const) {
      const e = thrown(() => ownedCopy('test', 'value', v));
      expect(e).toBeInstanceOf(AdjointError);
      expect((e as AdjointError).code).toBe('INVALID_ARGUMENT');
      expect((e as AdjointError).message).toContain(`the value at ${where} is ${what}, which is not data`);
    }
  });

  it('copies typed arrays, ArrayBuffers, DataViews, Maps, Sets and Dates, and says so', () => {
    const f64 = new Float64Array([1, 2]);
    const buf = new ArrayBuffer(4);
    const view = new DataView(new ArrayBuffer(8), 2, 4);
    const m = new Map([[1, { x: f64 }]]);
    const s = new Set([1, 2]);
    const d = new Date(5);
    const copy = ownedCopy('test', 'value', { f64, buf, view, m, s, d });
    expect(lastCopyHeldMutable()).toBe(true);
    expect(copy.f64).not.toBe(f64);
    expect(Array.from(copy.f64)).toEqual([1, 2]);
    expect(copy.buf).not.toBe(buf);
    expect(copy.buf.byteLength).toBe(4);
    expect(copy.view.byteLength).toBe(4);
    expect(copy.view.buffer).not.toBe(view.buffer);
    expect(copy.m).not.toBe(m);
    expect(copy.m.get(1)!.x).not.toBe(f64);
    expect(Array.from(copy.m.get(1)!.x)).toEqual([1, 2]);
    expect([...copy.s]).toEqual([1, 2]);
    expect(copy.d).not.toBe(d);
    expect(copy.d.getTime()).toBe(5);
    f64[0] = 99;
    expect(copy.f64[0]).toBe(1);
    // a Map or Set alone is enough to need copies on the way out
    ownedCopy('test', 'value', { m: new Map() });
    expect(lastCopyHeldMutable()).toBe(true);
    ownedCopy('test', 'value', [new Set()]);
    expect(lastCopyHeldMutable()).toBe(true);
    ownedCopy('test', 'value', [{ a: 1 }]);
    expect(lastCopyHeldMutable()).toBe(false);
  });

  it('refuses class instances and promises, naming the path', () => {
    class Model {}
    expectAdjointError(() => ownedCopy('State.set', 'value', { layers: [new Model()] }), ArgumentError, 'INVALID_ARGUMENT', [
      'State.set: ',
      'the value at .layers[0] is a Model',
      'plain objects',
    ]);
    expectAdjointError(() => ownedCopy('Log.value', 'value', new WeakMap()), ArgumentError, 'INVALID_ARGUMENT', ['the value at the top level is a WeakMap']);
    expectAdjointError(() => ownedCopy('Log.value', 'value', { p: Promise.resolve(1) }), ArgumentError, 'ASYNC_FUNCTION', ['the value at .p is a promise']);
  });
});

describe('promises', () => {
  it('flatten of a promise is ASYNC_FUNCTION, and its later rejection is handled', async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: unknown): void => void rejections.push(e);
    process.on('unhandledRejection', onRejection);
    try {
      const p = Promise.reject(new Error('late'));
      expectAdjointError(() => flatten('grad', { x: p }), ArgumentError, 'ASYNC_FUNCTION', ['grad: ', 'the value at .x is a promise']);
      await new Promise((r) => setTimeout(r, 20));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
