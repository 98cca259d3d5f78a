/**
 * One derivative, whichever path computes it. A 0-d float64 value under `grad` is differentiated on
 * the scalar path (the row's `scalarPartials`, on plain numbers), a tensor under `grad` by the row's
 * `vjp`, and any value under `jvp` by the row's `jvp`. For every elementwise unary and binary row in
 * the registry (so a new row is covered without editing this file), the four must give the same
 * number, special values included: NaN, ±0, ±Infinity, ±1e308, subnormals. The cotangent and tangent
 * seeds are 1, so how a zero seed meets an infinite partial does not come into it.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { grad, item, jvp, scalar, sum, type Tensor, tensor, toArray } from '../../src/index.js';
import { bind } from '../../src/core/primitive.js';
import type { Rule } from '../../src/core/rule.js';
import { primitives } from '../../src/rules/registry.js';

/** Rows with a sample call on 0-d arguments only, one or two of them, no params: the elementwise rows. */
const ELEMENTWISE = (primitives as unknown as ReadonlyArray<Rule<void>>).filter((p) =>
  p.examples.some((ex) => ex.params === undefined && (ex.args.length === 1 || ex.args.length === 2) && ex.args.every((a) => a.shape.length === 0 && !a.constant)),
);
const arity = (p: Rule<void>): number => p.examples.find((ex) => ex.args.every((a) => a.shape.length === 0))!.args.length;

const SPECIAL = [NaN, 0, -0, Infinity, -Infinity, 1e308, -1e308, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1, -1, 0.5, 2, 3];
const value = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
);

/** Equal as derivatives: NaN equals NaN, and +0 equals -0 (the paths accumulate zeros differently). */
const same = (a: number, b: number): boolean => (Number.isNaN(a) && Number.isNaN(b)) || a === b;

/** The row applied with argument `i` replaced by `a` and the others fixed. */
const applyAt = (prim: Rule<void>, others: ReadonlyArray<Tensor>, i: number) => (a: Tensor): Tensor =>
  bind(prim, others.map((o, j) => (j === i ? a : o)), undefined);

/** d row / d argument i at each of `cases` (one tuple of arguments per case), by each path. */
function derivatives(prim: Rule<void>, cases: ReadonlyArray<ReadonlyArray<number>>, i: number): Record<string, number[]> {
  const n = arity(prim);
  const columns = Array.from({ length: n }, (_, j) => cases.map((c) => c[j]!));
  const out: Record<string, number[]> = { scalarGrad: [], shape1Grad: [], jvp0d: [] };
  for (const c of cases) {
    const s = c.slice(0, n).map((v) => scalar(v));
    out.scalarGrad!.push(item(grad(applyAt(prim, s, i))(s[i]!)));
    out.jvp0d!.push(item(jvp(applyAt(prim, s, i), [s[i]!], [scalar(1)])[1]));
    const t1 = c.slice(0, n).map((v) => tensor([v]));
    out.shape1Grad!.push((toArray(grad((a: Tensor) => sum(applyAt(prim, t1, i)(a)))(t1[i]!)) as number[])[0]!);
  }
  const t3 = columns.map((col) => tensor(col));
  out.shape3Grad = toArray(grad((a: Tensor) => sum(applyAt(prim, t3, i)(a)))(t3[i]!)) as number[];
  out.jvp3 = toArray(jvp(applyAt(prim, t3, i), [t3[i]!], [tensor(cases.map(() => 1))])[1]) as number[];
  return out;
}

describe('derivative paths agree', () => {
  it('covers every elementwise row, and every row with a scalar path', () => {
    const names = ELEMENTWISE.map((p) => p.name);
    for (const p of primitives as unknown as ReadonlyArray<Rule<void>>) if (p.scalarPartials !== undefined) expect(names).toContain(p.name);
    expect(names).toEqual(expect.arrayContaining(['abs', 'relu', 'pow', 'div', 'maximum', 'minimum', 'add', 'mul', 'sqrt', 'log']));
  });

  for (const prim of ELEMENTWISE) {
    const n = arity(prim);
    for (let i = 0; i < n; i++) {
      test.prop([fc.array(fc.tuple(value, value), { minLength: 3, maxLength: 3 })], { seed: 20260806, numRuns: 40 })(
        `${prim.name}: d/d(argument ${i}) by the scalar path, the tensor path ([1] and [3]) and jvp`,
        (cases) => {
          const d = derivatives(prim, cases, i);
          for (let k = 0; k < cases.length; k++) {
            const at = `${prim.name} at (${cases[k]!.slice(0, n).join(', ')})`;
            const want = d.scalarGrad![k]!;
            for (const [path, got] of Object.entries(d)) {
              expect(same(got[k]!, want), `${at}: ${path} gives ${got[k]}, the scalar path ${want}`).toBe(true);
            }
          }
        },
      );
    }
  }

  it('special values that once split the paths', () => {
    // abs'(NaN) was 0 on the scalar path and NaN on the others
    const absP = ELEMENTWISE.find((p) => p.name === 'abs')!;
    const d = derivatives(absP, [[NaN, 0], [0, 0], [-0, 0]], 0);
    for (const got of Object.values(d)) {
      expect(Number.isNaN(got[0]!)).toBe(true);
      expect(got[1]).toBe(0);
      expect(got[2] === 0).toBe(true);
    }
  });
});
