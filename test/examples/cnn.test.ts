import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accuracy, classify, CLASSES, cnnFigure, initParams, makeShapes, train, writeFile } from '../../examples/cnn.js';
import { random, toArray, toTypedArray } from '../../src/index.js';

describe('examples/cnn', () => {
  it('makeShapes is reproducible, balanced, and 28x28 with one channel', () => {
    const a = makeShapes(30, 5);
    const b = makeShapes(30, 5);
    expect(a.images.shape).toEqual([30, 1, 28, 28]);
    expect(toArray(a.labels)).toEqual(Array.from({ length: 30 }, (_, i) => i % CLASSES.length));
    expect(Array.from(toTypedArray(a.images))).toEqual(Array.from(toTypedArray(b.images)));
    expect(Array.from(toTypedArray(makeShapes(30, 6).images))).not.toEqual(Array.from(toTypedArray(a.images)));
  });

  it('a reduced training run learns (loss falls, test accuracy well above chance) and writes its figure', () => {
    const trainSet = makeShapes(800, 1);
    const testSet = makeShapes(200, 2);
    const params = initParams(random.key(0));
    const before = accuracy(params, testSet);
    const steps: number[] = [];
    const result = train({ train: trainSet, params, maxSteps: 48, batchSize: 25, lr: 3e-3, onStep: (s) => steps.push(s) });
    expect(steps).toEqual(Array.from({ length: 48 }, (_, i) => i + 1));
    const head = result.losses.slice(0, 8).reduce((a, b) => a + b) / 8;
    const tail = result.losses.slice(-8).reduce((a, b) => a + b) / 8;
    expect(tail).toBeLessThan(0.6 * head);
    const after = accuracy(result.params, testSet);
    // chance is 10%; untrained the net is near it, and a few dozen steps already get well past it
    expect(before).toBeLessThan(0.3);
    expect(after).toBeGreaterThan(0.5);

    const dir = mkdtempSync(join(tmpdir(), 'cnn-'));
    try {
      const path = join(dir, 'cnn.svg');
      const predicted = classify(result.params, testSet.images);
      writeFile(path, cnnFigure(result, testSet, predicted, after));
      const svg = readFileSync(path, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.match(/<image /g)).toHaveLength(32);
      expect(svg).toContain('<polyline');
      expect(svg).toContain(`test accuracy ${(100 * after).toFixed(1)}%`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
