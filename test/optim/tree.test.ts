import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type AdjointError, add, grad, item, mul, scalar, type Tensor, tensor, toArray, tree } from '../../src/index.js';
import { thrown } from '../reference.js';

const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;
const message = (f: () => unknown): string | undefined => (thrown(f) as Error | undefined)?.message;
const params = () => ({ w: tensor([[1, 2], [3, 4]]), b: tensor([0.5, -1]), layers: [tensor(2), 3] });

describe('tree utilities', () => {
  it('leaves, flatten and unflatten agree on the canonical order (sorted keys) and round-trip', () => {
    const p = params();
    const ls = tree.leaves(p);
    expect(ls).toEqual([p.b, p.layers[0], 3, p.w]);
    const [leaves, def] = tree.flatten(p);
    expect(leaves).toEqual(ls);
    const back = tree.unflatten<ReturnType<typeof params>>(def, leaves);
    expect(back).toEqual(p);
    expect(back).not.toBe(p);
    expect(Object.isFrozen(back) && Object.isFrozen(back.layers)).toBe(true);
  });

  it('map and map2 keep the structure and never change their inputs', () => {
    const p = params();
    const doubled = tree.map((x) => mul(x, 2), p);
    expect(toArray(doubled.w)).toEqual([[2, 4], [6, 8]]);
    expect(toArray(doubled.layers[1] as Tensor)).toBe(6);
    expect(Object.isFrozen(doubled)).toBe(true);
    expect(p.layers[1]).toBe(3);
    const summed = tree.map2((a, b) => add(a, b), p, doubled);
    expect(toArray(summed.b)).toEqual([1.5, -3]);
  });

  it('the structure flatten returns is frozen all the way down', () => {
    const [, def] = tree.flatten({ b: [1, { c: 2 }], a: 3 });
    const d = def as unknown as { keys: string[]; children: Array<{ children: Array<{ keys: string[] }> }> };
    expect(Object.isFrozen(def) && Object.isFrozen(d.keys) && Object.isFrozen(d.children)).toBe(true);
    expect(Object.isFrozen(d.children[1]!.children) && Object.isFrozen(d.children[1]!.children[1]!.keys)).toBe(true);
    // def.keys[0] = 'hacked' once changed what unflatten builds; in strict code it now throws
    expect(() => {
      d.keys[0] = 'hacked';
    }).toThrow(TypeError);
    expect(() => {
      d.children[1]!.children[1]!.keys[0] = 'hacked';
    }).toThrow(TypeError);
    expect(tree.unflatten(def, [1, 2, 3])).toEqual({ a: 1, b: [2, { c: 3 }] });
  });

  it('reduce folds the leaves in order', () => {
    expect(tree.reduce((acc: number[], x) => [...acc, x.size], params(), [])).toEqual([2, 1, 1, 4]);
  });

  it('the vector-space helpers treat a tree as one vector', () => {
    const p = params();
    const q = tree.map((x) => add(x, 1), p);
    // dot over all 8 entries: Σ x(x + 1)
    const flat = [1, 2, 3, 4, 0.5, -1, 2, 3];
    expect(item(tree.dot(p, q))).toBeCloseTo(flat.reduce((s, x) => s + x * (x + 1), 0), 12);
    expect(item(tree.norm(p))).toBeCloseTo(Math.hypot(...flat), 12);
    expect(toArray(tree.sub(q, p).w)).toEqual([[1, 1], [1, 1]]);
    expect(toArray(tree.add(p, p).b)).toEqual([1, -2]);
    expect(toArray(tree.scale(p, -2).b)).toEqual([-1, 2]);
    expect(toArray(tree.zerosLike(p).w)).toEqual([[0, 0], [0, 0]]);
    expect(item(tree.dot({}, {}))).toBe(0);
  });

  test.prop([fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 6 })], { seed: 11, numRuns: 30 })(
    'norm² = dot(t, t), and the gradient of norm is t / norm (0 at the zero tree)',
    (xs) => {
      const t = { a: tensor(xs), b: [scalar(xs[0]!)] };
      const n = item(tree.norm(t));
      expect(n * n).toBeCloseTo(item(tree.dot(t, t)), 8);
      const g = grad((u: typeof t) => tree.norm(u))(t);
      if (n === 0) expect(toArray(g.a)).toEqual(xs.map(() => 0));
      else (toArray(g.a) as number[]).forEach((v, i) => expect(v).toBeCloseTo(xs[i]! / n, 10));
    },
  );

  it('add, sub and dot pair leaves of equal shapes and dtypes; a mismatch names the helper and the leaf', () => {
    // tree.dot({ a: [1, 2] }, { a: 3 }) was 9, a broadcast
    expect(code(() => tree.dot({ a: tensor([1, 2]) }, { a: tensor(3) }))).toBe('SHAPE_MISMATCH');
    expect(code(() => tree.dot({ a: tensor([1, 2]) }, { a: 3 }))).toBe('SHAPE_MISMATCH');
    expect(message(() => tree.dot({ a: tensor([1, 2]) }, { a: tensor(3) }))).toBe(
      'tree.dot: the leaf at .a has shape [2] in a but [] in b; paired leaves must have equal shapes (tree.dot does not broadcast)',
    );
    expect(message(() => tree.add({ x: [1, tensor([[1, 2]])] }, { x: [2, tensor([1, 2])] }))).toContain('tree.add: the leaf at .x[1] has shape [1, 2] in a but [2] in b');
    expect(code(() => tree.sub([tensor([1, 2])], [tensor([[1], [2]])]))).toBe('SHAPE_MISMATCH');
    expect(message(() => tree.add(tensor([1, 2]), tensor([1])))).toContain('the leaf at the top level');
    expect(message(() => tree.sub({ w: tensor([1], 'float32') }, { w: tensor([1]) }))).toContain('tree.sub: the leaf at .w is float32 in a but float64 in b');
    expect(code(() => tree.dot({ w: tensor([1], 'float32') }, { w: tensor([1]) }))).toBe('INVALID_DTYPE');
    expect(message(() => tree.add({ a: 1 }, { b: 1 } as never))).toContain('tree.add: b has structure');
    // numbers are 0-d leaves that take their partner's dtype
    expect((tree.add<{ a: Tensor | number }>({ a: tensor(1, 'float32') }, { a: 2 }).a as Tensor).dtype).toBe('float32');
    expect(item(tree.dot([1, tensor(2)], [3, 4]))).toBe(11);
    // map2 is a general zip: shapes are the function's business (a number per leaf, here)
    expect(toArray(tree.map2<{ w: Tensor | number }>((x, s) => mul(x, s), { w: tensor([1, 2]) }, { w: 3 }).w as Tensor)).toEqual([3, 6]);
  });

  it('scale takes a number or a 0-d tensor and keeps each leaf\'s shape and dtype', () => {
    expect(code(() => tree.scale({ a: tensor([1, 2]) }, tensor([[1], [2]])))).toBe('SHAPE_MISMATCH');
    const scaled = tree.scale({ a: tensor([1, 2], 'float32'), b: tensor([3]) }, scalar(0.5));
    expect([scaled.a.dtype, scaled.b.dtype]).toEqual(['float32', 'float64']);
    expect(toArray(scaled.a)).toEqual([0.5, 1]);
    expect(tree.scale({ b: tensor([3]) }, tensor(2, 'float32')).b.dtype).toBe('float64');
  });

  it('scale differentiates with respect to its factor', () => {
    const f = (s: Tensor) => tree.dot(tree.scale({ a: tensor([1, 2]) }, s), { a: tensor([3, 4]) });
    expect(item(grad(f)(scalar(7)))).toBe(11);
  });

  it('refuses mismatched structures, bad leaves and bad functions with typed errors', () => {
    expect(code(() => tree.map2((a) => a, { a: 1 }, { b: 1 } as never))).toBe('TREE_MISMATCH');
    expect(code(() => tree.add([1, 2], [1] as never))).toBe('TREE_MISMATCH');
    expect(code(() => tree.map((x) => x, { a: 'x' } as never))).toBe('NOT_NUMERIC');
    expect(code(() => tree.map((() => 'no') as never, { a: 1 }))).toBe('NOT_NUMERIC');
    expect(code(() => tree.map(3 as never, { a: 1 }))).toBe('INVALID_ARGUMENT');
    const [, def] = tree.flatten([1, 2]);
    expect(code(() => tree.unflatten(def, [1]))).toBe('TREE_MISMATCH');
    expect(code(() => tree.unflatten({} as never, [1]))).toBe('INVALID_ARGUMENT');
    expect(code(() => tree.unflatten(def, 'ab' as never))).toBe('INVALID_ARGUMENT');
    expect(message(() => tree.map((() => 'no') as never, { a: 1 }))).toContain('leaf 0 is the string "no"');
  });

  it('every function refuses extra arguments (tree.map(f, a, b) is not a zip: that is map2)', () => {
    const call = (f: unknown, ...args: unknown[]): unknown => (f as (...a: unknown[]) => unknown)(...args);
    const t = { a: 1 };
    const [, def] = tree.flatten(t);
    expect(message(() => call(tree.map, (x: unknown) => x, t, t))).toContain('tree.map2');
    for (const [f, args] of [
      [tree.map, [(x: unknown) => x, t, t]],
      [tree.map2, [(x: unknown) => x, t, t, t]],
      [tree.flatten, [t, t]],
      [tree.unflatten, [def, [1], 1]],
      [tree.leaves, [t, 1]],
      [tree.reduce, [(a: unknown) => a, t, 0, 1]],
      [tree.add, [t, t, t]],
      [tree.sub, [t, t, t]],
      [tree.scale, [t, 2, 3]],
      [tree.dot, [t, t, t]],
      [tree.norm, [t, 2]],
      [tree.zerosLike, [t, 'float32']],
    ] as const) {
      expect(code(() => call(f, ...args))).toBe('INVALID_ARGUMENT');
    }
  });
});
