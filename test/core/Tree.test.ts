import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { AdjointError, ArgumentError, grad, item, mul, scalar, ShapeError, sum, type Tensor, tensor, toArray } from '../../src/index.js';
import { describeDef, flatten, type Leaf, matchTree, sameDef, type TreeDef, unflatten } from '../../src/core/Tree.js';
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
