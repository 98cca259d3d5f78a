/**
 * The registry-driven suite: every primitive row, with the sample calls it carries, is checked
 * without per-op test code. Shape rule against kernel; jvp against central finite differences; the
 * dot-product identity between jvp and vjp; and the same at second order (checkGrads, order 2).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { checkGrads, type Tensor } from '../../src/index.js';
import { bind, bindMulti, evaluate, evaluateMulti } from '../../src/core/primitive.js';
import type { Example, MultiRule, Rule } from '../../src/core/rule.js';
import { multiPrimitives, primitives } from '../../src/rules/registry.js';
import { sample } from './samples.js';

/** The sample arguments of an example, and the function of its non-constant ones that checkGrads differentiates. */
function prepare<R>(example: Example<unknown>, seed: number, call: (args: Tensor[]) => R): { args: Tensor[]; free: Tensor[]; f: (...xs: Tensor[]) => R } {
  const args = example.args.map((spec, i) => sample(spec, seed * 31 + i));
  const positions = example.args.flatMap((spec, i) => (spec.constant ? [] : [i]));
  const f = (...xs: Tensor[]): R => {
    const all = [...args];
    positions.forEach((i, j) => (all[i] = xs[j]!));
    return call(all);
  };
  return { args, free: positions.map((i) => args[i]!), f };
}

const labelOf = (example: Example<unknown>, n: number): string => `example ${n} (${example.args.map((a) => `[${a.shape.join(',')}]`).join(' ')})`;

describe('registry', () => {
  it('has every primitive once, each with sample calls', () => {
    const names = primitives.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(40);
    for (const p of primitives) expect(p.examples.length, `${p.name} has no examples`).toBeGreaterThan(0);
  });

  it('has every multiple-result primitive once, each with sample calls', () => {
    const names = [...primitives, ...multiPrimitives].map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(multiPrimitives.map((p) => p.name)).toEqual(expect.arrayContaining(['slogdet', 'qr', 'eigh']));
    for (const p of multiPrimitives) expect(p.examples.length, `${p.name} has no examples`).toBeGreaterThan(0);
  });
});

for (const prim of multiPrimitives as unknown as ReadonlyArray<MultiRule<unknown>>) {
  describe(`multiple-result primitive ${prim.name}`, () => {
    prim.examples.forEach((example, n) => {
      test.prop([fc.integer({ min: 0, max: 1_000_000 })], { seed: 20261126, numRuns: 3 })(`${labelOf(example, n)}: shape rule per output, jvp, vjp, second order`, (seed) => {
        const { args, free, f } = prepare(example, seed, (all) => bindMulti(prim, all, example.params));
        const outs = evaluateMulti(prim, args, example.params);
        const abstract = prim.shape(args, example.params);
        expect(outs.length).toBe(abstract.length);
        outs.forEach((out, i) => {
          expect(out.shape, `output ${i}`).toEqual(abstract[i]!.shape);
          expect(out.dtype, `output ${i}`).toBe(abstract[i]!.dtype);
        });
        // the tuple of outputs: every output's jvp against finite differences, the dot-product
        // identity with one cotangent per output, at first and second order
        const report = checkGrads(f as (...a: never[]) => unknown, free, { order: 2, seed });
        expect(report.checks).toBeGreaterThan(0);
      });
    });
  });
}

for (const prim of primitives as unknown as ReadonlyArray<Rule<unknown>>) {
  describe(`primitive ${prim.name}`, () => {
    prim.examples.forEach((example, n) => {
      test.prop([fc.integer({ min: 0, max: 1_000_000 })], { seed: 20261126, numRuns: 3 })(`${labelOf(example, n)}: shape rule, jvp, vjp, second order`, (seed) => {
        const { args, free, f } = prepare(example, seed, (all) => bind(prim, all, example.params));
        const out = evaluate(prim, args, example.params);
        const abstract = prim.shape(args, example.params);
        expect(out.shape).toEqual(abstract.shape);
        expect(out.dtype).toBe(abstract.dtype);

        const report = checkGrads(f as (...a: never[]) => unknown, free, { order: 2, seed });
        expect(report.checks).toBeGreaterThan(0);
      });
    });
  });
}
