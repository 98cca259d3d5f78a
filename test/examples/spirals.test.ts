import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accuracy, initParams, makeSpirals, type Params, spiralsFigure, train, writeFile } from '../../examples/spirals.js';
import { random, toArray, toTypedArray } from '../../src/index.js';

describe('examples/spirals', () => {
  it('makeSpirals is reproducible from its key and labels half the points of each class', () => {
    const a = makeSpirals(random.key(3), 10);
    const b = makeSpirals(random.key(3), 10);
    expect(a.x.shape).toEqual([20, 2]);
    expect(a.y.shape).toEqual([20, 2]);
    expect(toArray(a.x)).toEqual(toArray(b.x));
    expect(toArray(a.labels)).toEqual([...Array(10).fill(0), ...Array(10).fill(1)]);
    expect(toArray(makeSpirals(random.key(4), 10).x)).not.toEqual(toArray(a.x));
  });

  it('a reduced training run fits the spirals and leaves its inputs untouched', () => {
    const data = makeSpirals(random.key(0), 100);
    const params = initParams(random.key(1), 16);
    const before = Object.fromEntries(Object.entries(params).map(([k, t]) => [k, Array.from(toTypedArray(t))]));
    const refs = { ...params };
    const xBefore = Array.from(toTypedArray(data.x));
    const logged: number[] = [];

    // Untrained, the net is at chance: that is what makes the final accuracy a real test.
    expect(accuracy(params, data)).toBeLessThan(0.7);
    const result = train({ data, params, steps: 300, lr: 0.03, logEvery: 100, log: (step) => logged.push(step) });

    expect(result.losses).toHaveLength(301);
    expect(result.losses[0]).toBeCloseTo(Math.log(2), 1);
    expect(result.losses.at(-1)!).toBeLessThan(0.25 * result.losses[0]!);
    expect(result.accuracy).toBeGreaterThan(0.95);
    expect(logged).toEqual([0, 100, 200, 300]);

    // Training returned new trees; the ones passed in still hold the same tensors with the same values.
    expect(result.params).not.toBe(params);
    expect(result.params.w1).not.toBe(params.w1);
    for (const k of Object.keys(refs) as (keyof Params)[]) {
      expect(params[k]).toBe(refs[k]);
      expect(Array.from(toTypedArray(params[k]))).toEqual(before[k]);
    }
    expect(Array.from(toTypedArray(data.x))).toEqual(xBefore);

    // the demo's picture: decision regions and the loss curve, written as an SVG file
    const dir = mkdtempSync(join(tmpdir(), 'spirals-'));
    try {
      const path = join(dir, 'figure.svg');
      writeFile(path, spiralsFigure(result, data));
      const svg = readFileSync(path, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trim().endsWith('</svg>')).toBe(true);
      expect(svg.match(/<circle /g)).toHaveLength(200);
      expect(svg).toContain('<polyline');
      expect(svg).toContain(`accuracy ${(100 * result.accuracy).toFixed(1)}%`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
