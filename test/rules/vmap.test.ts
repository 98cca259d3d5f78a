/**
 * The registry-driven suite for batching rules: for every primitive row and each sample call it
 * carries, `vmap` of the row equals the row applied lane by lane and stacked, with the lanes along
 * axis 0, axis 1, the last axis, and with some arguments not batched (`null`); and `grad` of the
 * vmapped row and `vmap` of its `grad` agree with the loop of `grad`, to 1e-12 in float64. A row
 * without a batching rule fails here by name, so a new primitive needs one.
 */
import { describe, expect, it } from 'vitest';
import { add, grad, mul, stack, sum, type Tensor, tensor, toTypedArray, vmap } from '../../src/index.js';
import { AdjointError } from '../../src/core/errors.js';
import { bind, bindMulti } from '../../src/core/primitive.js';
import type { ArgSpec, Example, MultiRule, Rule } from '../../src/core/rule.js';
import { sinP } from '../../src/rules/elementwise.js';
import { multiPrimitives, primitives } from '../../src/rules/registry.js';
import { expectClose as closeTo } from '../reference.js';
import { sample } from './samples.js';

/** Lanes per batch. */
const LANES = 3;
const TOL = 1e-12;

/**
 * One lane of a sample argument. Random arguments are drawn per lane. Fixed values are kept
 * meaningful: constant ones (indices, conditions, integer exponents) are rotated, so every lane
 * has different valid entries; differentiable ones (symmetric matrices with separated eigenvalues)
 * are scaled, which keeps their structure.
 */
function laneArg(spec: ArgSpec, seed: number, lane: number): Tensor {
  if (spec.values === undefined) return sample(spec, seed + 1009 * lane);
  const v = spec.values;
  const values = spec.constant ? v.map((_, i) => v[(i + lane) % v.length]!) : v.map((x) => x * (1 + 0.1 * lane));
  return tensor(values, { shape: [...spec.shape] });
}

/** How the arguments are batched: an axis per argument (`null`: the same value in every lane). */
interface Mode {
  readonly label: string;
  readonly axes: ReadonlyArray<number | null>;
  /** Where the result's lanes go (per result: clipped to its rank). */
  readonly outAxis: 0 | 1 | -1;
}

/** The ways to batch a call with `ranks` lane ranks: all on axis 0, 1 (0 for a scalar), last; every subset with one argument left out or kept alone; none. */
function modes(ranks: ReadonlyArray<number>): Mode[] {
  const n = ranks.length;
  const out: Mode[] = [
    { label: 'inAxes 0', axes: ranks.map(() => 0), outAxis: 0 },
    { label: 'inAxes 1', axes: ranks.map((r) => Math.min(1, r)), outAxis: 1 },
    { label: 'inAxes -1', axes: ranks.map(() => -1), outAxis: -1 },
  ];
  if (n > 1) {
    for (let i = 0; i < n; i++) {
      out.push({ label: `only argument ${i} batched`, axes: ranks.map((r, j) => (j === i ? Math.min(1, r) : null)), outAxis: 0 });
      if (n > 2) out.push({ label: `argument ${i} not batched`, axes: ranks.map((_, j) => (j === i ? null : 0)), outAxis: 0 });
    }
  }
  out.push({ label: 'nothing batched (axisSize)', axes: ranks.map(() => null), outAxis: 0 });
  return out;
}

/** An axis in `[-(rank + 1), rank]` made non-negative for a batched value of rank `rank + 1`. */
const position = (axis: number, laneRank: number): number => (axis < 0 ? axis + laneRank + 1 : Math.min(axis, laneRank));

const expectClose = (actual: Tensor, expected: Tensor, what: string): void => closeTo(actual, expected, TOL, what);

const labelOf = (example: Example<unknown>, n: number): string => `example ${n} (${example.args.map((a) => `[${a.shape.join(',')}]`).join(' ')})`;

/** `grad` with respect to the arguments at `argnums`, as a function of a list of tensors. */
const gradsOf = (h: (...xs: Tensor[]) => Tensor, argnums: number[]): ((...xs: Tensor[]) => Tensor[]) => grad(h, { argnums }) as unknown as (...xs: Tensor[]) => Tensor[];

/** A row as a function of its arguments returning a list of results (one for a single-result row). */
type Call = (args: ReadonlyArray<Tensor>) => Tensor[];

/**
 * Checks one sample call of a row in one batching mode: vmap against the stacked loop; grad of the
 * vmapped call (reduced with fixed per-lane weights) against the summed loop of grads; vmap of grad
 * against the stacked loop of grads.
 */
function checkMode(call: Call, example: Example<unknown>, mode: Mode, seed: number): void {
  const specs = example.args;
  const lanes = Array.from({ length: LANES }, (_, b) => specs.map((s, i) => laneArg(s, seed * 31 + i, b)));
  // an argument not batched is lane 0's value in every lane
  const laneValue = (b: number, i: number): Tensor => lanes[mode.axes[i] === null ? 0 : b]![i]!;
  const laneCall = (b: number): Tensor[] => call(specs.map((_, i) => laneValue(b, i)));
  const batched = specs.map((s, i) => {
    const a = mode.axes[i]!;
    return a === null ? lanes[0]![i]! : stack(lanes.map((l) => l[i]!), position(a, s.shape.length));
  });
  const perLane = Array.from({ length: LANES }, (_, b) => laneCall(b));
  const outRanks = perLane[0]!.map((o) => o.ndim);
  const outAxes = outRanks.map((r) => (mode.outAxis === -1 ? -1 : Math.min(mode.outAxis, r)));
  const inAxes = [...mode.axes];
  const anyBatched = inAxes.some((a) => a !== null);
  const options = { inAxes, outAxes, ...(anyBatched ? {} : { axisSize: LANES }) };

  // vmap(f) equals stacking f over the lanes
  const mapped = vmap((...xs: Tensor[]) => call(xs), options)(...batched);
  expect(mapped.length).toBe(perLane[0]!.length);
  mapped.forEach((m, k) => {
    const expected = stack(perLane.map((outs) => outs[k]!), position(outAxes[k]!, outRanks[k]!));
    expectClose(m, expected, `${mode.label}: result ${k}`);
  });

  // the arguments to differentiate (not indices or conditions)
  const free = specs.flatMap((s, i) => (s.constant ? [] : [i]));
  if (free.length === 0) return;
  // fixed per-lane weights reduce each result to a scalar: L = Σ_lanes Σ_k <f_k(lane), w_k(lane)>
  const weights = Array.from({ length: LANES }, (_, b) => perLane[0]!.map((o, k) => laneArg({ shape: o.shape }, seed * 97 + 13 * k, b)));
  const reduce = (outs: ReadonlyArray<Tensor>, ws: ReadonlyArray<Tensor>): Tensor => outs.map((o, k) => sum(mul(o, ws[k]!))).reduce((s, t) => add(s, t));
  const laneGrads = Array.from({ length: LANES }, (_, b) => {
    const h = (...xs: Tensor[]): Tensor => {
      const all = specs.map((_, i) => laneValue(b, i));
      free.forEach((i, j) => (all[i] = xs[j]!));
      return reduce(call(all), weights[b]!);
    };
    return gradsOf(h, free.map((_, j) => j))(...free.map((i) => laneValue(b, i)));
  });

  // grad(vmap(f)): a batched argument's gradient is the lanes' gradients stacked; an unbatched
  // one's is their sum
  const stackedWeights = perLane[0]!.map((_, k) => stack(weights.map((w) => w[k]!), position(outAxes[k]!, outRanks[k]!)));
  const total = (...xs: Tensor[]): Tensor => {
    const all = [...batched];
    free.forEach((i, j) => (all[i] = xs[j]!));
    const outs = vmap((...ys: Tensor[]) => call(ys), options)(...all);
    return reduce(outs, stackedWeights);
  };
  const gradOfVmap = gradsOf(total, free.map((_, j) => j))(...free.map((i) => batched[i]!));
  free.forEach((i, j) => {
    const a = mode.axes[i]!;
    const parts = laneGrads.map((g) => g[j]!);
    const expected = a === null ? parts.reduce((s, t) => add(s, t)) : stack(parts, position(a, specs[i]!.shape.length));
    expectClose(gradOfVmap[j]!, expected, `${mode.label}: grad(vmap) of argument ${i}`);
  });

  // vmap(grad(f)): the weights are one more batched argument; every gradient comes back per lane
  const h = (...xs: Tensor[]): Tensor => reduce(call(xs.slice(0, specs.length)), xs.slice(specs.length));
  const vmapOfGrad = vmap(gradsOf(h, free), { inAxes: [...inAxes, ...outAxes], outAxes: 0 })(...batched, ...stackedWeights);
  free.forEach((i, j) => {
    expectClose(vmapOfGrad[j]!, stack(laneGrads.map((g) => g[j]!)), `${mode.label}: vmap(grad) of argument ${i}`);
  });
}

function suite(name: string, row: Rule<unknown> | MultiRule<unknown>, call: (example: Example<unknown>) => Call): void {
  describe(`${name} under vmap`, () => {
    it('has a batching rule', () => {
      expect(typeof row.batch, `the primitive ${row.name} has no batching rule (Rule.batch): every row needs one to run under vmap`).toBe('function');
    });
    row.examples.forEach((example, n) => {
      it(`${labelOf(example, n)}: vmap equals the stacked loop; grad(vmap) and vmap(grad) equal the loop of grad`, () => {
        const ranks = example.args.map((a) => a.shape.length);
        for (const mode of modes(ranks)) checkMode(call(example), example, mode, 20261130 + n);
      });
    });
  });
}

describe('vmap registry', () => {
  it('covers every row, single- and multiple-result', () => {
    expect(primitives.length).toBeGreaterThanOrEqual(40);
    expect(multiPrimitives.map((p) => p.name)).toEqual(expect.arrayContaining(['slogdet', 'qr', 'eigh']));
  });

  it('a row without a batching rule is a MISSING_RULE error naming it, not a loop over the lanes', () => {
    const bare: Rule<void> = { ...(sinP as Rule<void>), name: 'sinWithoutBatch', batch: undefined };
    const f = vmap((x: Tensor) => bind(bare, [x], undefined));
    let error: unknown;
    try {
      f(tensor([1, 2]));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AdjointError);
    expect((error as AdjointError).code).toBe('MISSING_RULE');
    expect((error as AdjointError).message).toMatch(/sinWithoutBatch has no batching rule/);
    // unbatched operands never reach the batching rule: the row runs as it is
    expect(toTypedArray(vmap((x: Tensor) => add(x, bind(bare, [tensor(0)], undefined)))(tensor([1, 2])))).toEqual(new Float64Array([1, 2]));
  });
});

for (const prim of primitives as unknown as ReadonlyArray<Rule<unknown>>) {
  suite(`primitive ${prim.name}`, prim, (example) => (args) => [bind(prim, args, example.params)]);
}

for (const prim of multiPrimitives as unknown as ReadonlyArray<MultiRule<unknown>>) {
  suite(`multiple-result primitive ${prim.name}`, prim, (example) => (args) => [...bindMulti(prim, args, example.params)]);
}
