/**
 * Symbolic zeros never reach a kernel, and arguments that are not differentiable (indices,
 * conditions) have a zero derivative in every transform. Registry-driven: for every row and each of
 * its sample calls, a tangent on one argument at a time (the others get `Zero`), forward Jacobians
 * over all arguments at once (each direction has `Zero` for all but one argument), reverse mode
 * wanting one argument at a time, forward over reverse with a tangent on an argument that is not
 * differentiable (the reverse rule's ops then see a forward tracer next to `Zero`), and reverse over
 * forward with respect to such an argument.
 */
import { describe, expect, it } from 'vitest';
import {
  concat,
  grad,
  jacfwd,
  jacrev,
  jvp,
  matmul,
  mul,
  onesLike,
  pad,
  slice,
  stack,
  sum,
  take,
  type Tensor,
  tensor,
  toArray,
  toTypedArray,
  where,
} from '../../src/index.js';
import { bind } from '../../src/core/primitive.js';
import type { Rule } from '../../src/core/rule.js';
import { primitives } from '../../src/rules/registry.js';
import { sample } from './samples.js';

const allZero = (t: Tensor): boolean => toTypedArray(t).every((v) => v === 0);

function expectClose(a: Tensor, b: Tensor): void {
  expect(a.shape).toEqual(b.shape);
  const x = toTypedArray(a);
  const y = toTypedArray(b);
  x.forEach((v, k) => {
    if (Number.isNaN(v)) expect(y[k]).toBeNaN();
    else expect(Math.abs(v - y[k]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(v)));
  });
}

for (const prim of primitives as unknown as ReadonlyArray<Rule<unknown>>) {
  // an argument that is constant in every sample call is not differentiable (indices, conditions);
  // one held constant in some samples only (pow's exponent at x = 0) is merely not checked there
  const nondiff = (i: number): boolean => prim.examples.every((ex) => ex.args[i]?.constant === true);
  describe(`primitive ${prim.name}`, () => {
    prim.examples.forEach((example, n) => {
      const args = example.args.map((spec, i) => sample(spec, 7 + 31 * n + i));
      const at = (i: number) => (a: Tensor): Tensor => bind(prim, args.map((o, j) => (j === i ? a : o)), example.params);
      const free = example.args.flatMap((spec, i) => (spec.constant ? [] : [i]));

      it(`example ${n}: a tangent on one argument at a time`, () => {
        args.forEach((x, i) => {
          const [y, dy] = jvp(at(i), [x], [onesLike(x)]);
          expect(dy.shape).toEqual(y.shape);
          if (nondiff(i)) expect(allZero(dy), `${prim.name}: tangent on argument ${i}, which is not differentiable`).toBe(true);
        });
      });

      it(`example ${n}: forward and reverse Jacobians over every argument`, () => {
        const f = (...xs: Tensor[]): Tensor => bind(prim, xs, example.params);
        const argnums = args.map((_, i) => i);
        // f takes any number of tensors: the type arguments pick the overload for a rest parameter
        const fwd = jacfwd<Tensor[], Tensor, { argnums: number[] }>(f, { argnums })(...args);
        const rev = jacrev<Tensor[], Tensor, { argnums: number[] }>(f, { argnums })(...args);
        args.forEach((_, i) => {
          expectClose(fwd[i]!, rev[i]!);
          if (nondiff(i)) expect(allZero(fwd[i]!)).toBe(true);
        });
      });

      it(`example ${n}: reverse mode wanting one argument at a time`, () => {
        args.forEach((x, i) => {
          const g = grad((a: Tensor) => sum(at(i)(a)))(x);
          expect(g.shape).toEqual(x.shape);
          if (nondiff(i)) expect(allZero(g)).toBe(true);
        });
      });

      it(`example ${n}: forward over reverse with a tangent on an argument that is not differentiable`, () => {
        args.forEach((c, i) => {
          if (!nondiff(i)) return;
          for (const j of free) {
            const inner = (ci: Tensor): Tensor =>
              grad((x: Tensor) => sum(bind(prim, args.map((o, k) => (k === i ? ci : k === j ? x : o)), example.params)))(args[j]!);
            const [, dg] = jvp(inner, [c], [onesLike(c)]);
            expect(allZero(dg)).toBe(true);
          }
        });
      });

      it(`example ${n}: reverse over forward with respect to an argument that is not differentiable`, () => {
        args.forEach((c, i) => {
          if (!nondiff(i)) return;
          for (const j of free) {
            const outer = (ci: Tensor): Tensor =>
              sum(jvp((x: Tensor) => bind(prim, args.map((o, k) => (k === i ? ci : k === j ? x : o)), example.params), [args[j]!], [onesLike(args[j]!)])[1]);
            expect(allZero(grad(outer)(c))).toBe(true);
          }
        });
      });
    });
  });
}

describe('zero tangents through the public ops', () => {
  it('jvp with respect to the indices of take is a zero tangent (once a TypeError inside bind)', () => {
    const [y, dy] = jvp((i: Tensor) => take(tensor([1, 2, 3]), i), [tensor([0, 2])], [tensor([1, 1])]);
    expect(toArray(y)).toEqual([1, 3]);
    expect(toArray(dy)).toEqual([0, 0]);
    expect(toArray(jacfwd((x: Tensor, i: Tensor) => take(x, i), { argnums: 1 })(tensor([1, 2, 3]), tensor([0, 2])))).toEqual([[0, 0], [0, 0]]);
    expect(toArray(grad((i: Tensor) => sum(take(tensor([1, 2, 3]), i)))(tensor([0, 2])))).toEqual([0, 0]);
  });

  it('forward over reverse through take: the pullback (scatterAdd) with traced indices', () => {
    const w = tensor([1, 10]);
    const inner = (i: Tensor): Tensor => grad((x: Tensor) => sum(mul(take(x, i), w)))(tensor([5, 6, 7]));
    expect(toArray(inner(tensor([0, 2])))).toEqual([1, 0, 10]);
    const [g, dg] = jvp(inner, [tensor([0, 2])], [tensor([1, 1])]);
    expect(toArray(g)).toEqual([1, 0, 10]);
    expect(toArray(dg)).toEqual([0, 0, 0]);
  });

  it('where: a tangent on the condition alone gives a zero tangent; mixed branches keep theirs', () => {
    const c = tensor([1, 0]);
    expect(toArray(jvp((k: Tensor) => where(k, tensor([1, 2]), tensor([3, 4])), [c], [tensor([1, 1])])[1])).toEqual([0, 0]);
    expect(toArray(jvp((a: Tensor) => where(c, a, tensor([3, 4])), [tensor([1, 2])], [tensor([5, 6])])[1])).toEqual([5, 0]);
    expect(toArray(jvp((b: Tensor) => where(c, tensor([1, 2]), b), [tensor([3, 4])], [tensor([5, 6])])[1])).toEqual([0, 6]);
  });

  it('concat and stack of traced and constant pieces', () => {
    const [, d1] = jvp((x: Tensor) => concat([tensor([9]), x, tensor([8, 7])]), [tensor([1, 2])], [tensor([3, 4])]);
    expect(toArray(d1)).toEqual([0, 3, 4, 0, 0]);
    const [, d2] = jvp((x: Tensor) => stack([x, tensor([0, 0])], 1), [tensor([1, 2])], [tensor([3, 4])]);
    expect(toArray(d2)).toEqual([[3, 0], [4, 0]]);
    expect(toArray(grad((x: Tensor) => sum(mul(concat([tensor([9]), x]), tensor([1, 2, 3]))))(tensor([1, 2])))).toEqual([2, 3]);
  });

  it('matmul with one operand traced, pad and slice of a tangent', () => {
    const a = tensor([[1, 2], [3, 4]]);
    expect(toArray(jvp((b: Tensor) => matmul(a, b), [tensor([1, 1])], [tensor([1, 0])])[1])).toEqual([1, 3]);
    expect(toArray(jvp((x: Tensor) => matmul(x, tensor([1, 1])), [a], [tensor([[0, 1], [0, 0]])])[1])).toEqual([1, 0]);
    expect(toArray(jvp((x: Tensor) => pad(x, [[1, 0]], 5), [tensor([1, 2])], [tensor([3, 4])])[1])).toEqual([0, 3, 4]);
    expect(toArray(jvp((x: Tensor) => slice(x, [1]), [tensor([1, 2, 3])], [tensor([3, 4, 5])])[1])).toEqual([4, 5]);
  });
});
