/**
 * The registry-driven suite: every primitive row, with the sample calls it carries, is checked
 * without per-op test code. Shape rule against kernel; jvp against central finite differences; the
 * dot-product identity between jvp and vjp; and the same at second order (checkGrads, order 2).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { checkGrads, type Tensor } from '../../src/index.js';
import { bind, evaluate } from '../../src/core/primitive.js';
import type { Rule } from '../../src/core/rule.js';
import { primitives } from '../../src/rules/registry.js';
import { sample } from './samples.js';

describe('registry', () => {
  it('has every primitive once, each with sample calls', () => {
    const names = primitives.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(40);
    for (const p of primitives) expect(p.examples.length, `${p.name} has no examples`).toBeGreaterThan(0);
  });
});

for (const prim of primitives as unknown as ReadonlyArray<Rule<unknown>>) {
  describe(`primitive ${prim.name}`, () => {
    prim.examples.forEach((example, n) => {
      const label = `example ${n} (${example.args.map((a) => `[${a.shape.join(',')}]`).join(' ')})`;
      test.prop([fc.integer({ min: 0, max: 1_000_000 })], { seed: 20261126, numRuns: 3 })(`${label}: shape rule, jvp, vjp, second order`, (seed) => {
        const args = example.args.map((spec, i) => sample(spec, seed * 31 + i));
        const out = evaluate(prim, args, example.params);
        const abstract = prim.shape(args, example.params);
        expect(out.shape).toEqual(abstract.shape);
        expect(out.dtype).toBe(abstract.dtype);

        const free = example.args.flatMap((spec, i) => (spec.constant ? [] : [i]));
        const f = (...xs: Tensor[]): Tensor => {
          const all = [...args];
          free.forEach((i, j) => (all[i] = xs[j]!));
          return bind(prim, all, example.params);
        };
        const report = checkGrads(f as (...a: never[]) => unknown, free.map((i) => args[i]!), { order: 2, seed });
        expect(report.checks).toBeGreaterThan(0);
      });
    });
  });
}
