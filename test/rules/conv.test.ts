import { describe, expect, it } from 'vitest';
import { type AdjointError, avgPool, checkGrads, conv, grad, maxPool, random, sum, type Tensor, tensor, toArray, toTypedArray } from '../../src/index.js';
import { thrown } from '../reference.js';

const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;

interface Case {
  readonly x: number[]; // [N, C, H, W]
  readonly w: number[]; // [O, C/G, KH, KW]
  readonly strides: [number, number];
  readonly pad: [[number, number], [number, number]];
  readonly dil: [number, number];
  readonly groups: number;
}

/** Direct convolution by its definition (cross-correlation, zero padding), on flat arrays. */
function referenceConv(x: Float64Array, xs: number[], w: Float64Array, ws: number[], c: Omit<Case, 'x' | 'w'>): { data: number[]; shape: number[] } {
  const [n, ch, h, wd] = xs as [number, number, number, number];
  const [o, cg, kh, kw] = ws as [number, number, number, number];
  const og = o / c.groups;
  const oh = Math.floor((h + c.pad[0][0] + c.pad[0][1] - ((kh - 1) * c.dil[0] + 1)) / c.strides[0]) + 1;
  const ow = Math.floor((wd + c.pad[1][0] + c.pad[1][1] - ((kw - 1) * c.dil[1] + 1)) / c.strides[1]) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let y = 0; y < oh; y++)
        for (let z = 0; z < ow; z++) {
          let s = 0;
          const g = Math.floor(oc / og);
          for (let ic = 0; ic < cg; ic++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = y * c.strides[0] + ky * c.dil[0] - c.pad[0][0];
                const ix = z * c.strides[1] + kx * c.dil[1] - c.pad[1][0];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                s += x[((b * ch + g * cg + ic) * h + iy) * wd + ix]! * w[((oc * cg + ic) * kh + ky) * kw + kx]!;
              }
          out.push(s);
        }
  void ch;
  return { data: out, shape: [n, o, oh, ow] };
}

const CASES: Case[] = [
  { x: [2, 3, 6, 7], w: [4, 3, 3, 3], strides: [1, 1], pad: [[0, 0], [0, 0]], dil: [1, 1], groups: 1 },
  { x: [1, 2, 7, 6], w: [3, 2, 3, 2], strides: [2, 3], pad: [[1, 2], [0, 1]], dil: [1, 1], groups: 1 },
  { x: [2, 4, 8, 8], w: [6, 2, 3, 3], strides: [1, 2], pad: [[2, 2], [1, 1]], dil: [2, 1], groups: 2 },
  { x: [1, 3, 5, 5], w: [3, 1, 2, 2], strides: [1, 1], pad: [[0, 1], [1, 0]], dil: [1, 2], groups: 3 },
];

describe('conv', () => {
  CASES.forEach((c, i) => {
    it(`case ${i}: matches the direct definition (strides ${c.strides}, padding ${JSON.stringify(c.pad)}, dilation ${c.dil}, groups ${c.groups})`, () => {
      const x = random.normal(random.key(i), c.x);
      const w = random.normal(random.key(100 + i), c.w);
      const got = conv(x, w, { windowStrides: c.strides, padding: c.pad, rhsDilation: c.dil, featureGroupCount: c.groups });
      const want = referenceConv(toTypedArray(x) as Float64Array, c.x, toTypedArray(w) as Float64Array, c.w, c);
      expect(got.shape).toEqual(want.shape);
      Array.from(toTypedArray(got)).forEach((v, j) => expect(v).toBeCloseTo(want.data[j]!, 12));
    });
  });

  it('derivatives with respect to both operands pass checkGrads at order 2 (strided, dilated, grouped, padded)', () => {
    const x = random.normal(random.key(7), [1, 4, 5, 6]);
    const w = random.normal(random.key(8), [4, 2, 2, 3]);
    const f = (a: Tensor, b: Tensor) => conv(a, b, { windowStrides: [2, 1], padding: [[1, 0], [2, 1]], rhsDilation: [1, 2], featureGroupCount: 2 });
    expect(checkGrads(f, [x, w], { order: 2 }).checks).toBeGreaterThan(0);
    const f1 = (a: Tensor, b: Tensor) => conv(a, b, { padding: 'SAME', windowStrides: 2 });
    expect(checkGrads(f1, [random.normal(random.key(9), [2, 2, 7]), random.normal(random.key(10), [3, 2, 3])], { order: 2 }).checks).toBeGreaterThan(0);
  });

  it("'SAME' keeps ceil(size / stride) positions and pads as JAX (extra after)", () => {
    const x = tensor([[[1, 2, 3, 4]]]);
    // total padding 2 for a window of 3 at stride 1: one on each side
    expect(toArray(conv(x, tensor([[[1, 1, 1]]]), { padding: 'SAME' }))).toEqual([[[3, 6, 9, 7]]]);
    // window 2, stride 1: total 1, all after
    expect(toArray(conv(x, tensor([[[1, 1]]]), { padding: 'SAME' }))).toEqual([[[3, 5, 7, 4]]]);
    expect(conv(random.normal(random.key(1), [1, 1, 7, 5]), random.normal(random.key(2), [2, 1, 3, 3]), { padding: 'SAME', windowStrides: 2 }).shape).toEqual([1, 2, 4, 3]);
  });

  it('refuses bad shapes and options with typed errors', () => {
    const x = random.normal(random.key(1), [1, 2, 5, 5]);
    expect(code(() => conv(x, random.normal(random.key(2), [3, 3, 3, 3])))).toBe('SHAPE_MISMATCH');
    expect(code(() => conv(x, random.normal(random.key(2), [3, 2, 3])))).toBe('SHAPE_MISMATCH');
    expect(code(() => conv(tensor([1, 2]), tensor([1])))).toBe('SHAPE_MISMATCH');
    expect(code(() => conv(x, random.normal(random.key(2), [3, 2, 7, 7])))).toBe('SHAPE_MISMATCH');
    expect(code(() => conv(x, random.normal(random.key(2), [3, 1, 3, 3]), { featureGroupCount: 2 }))).toBe('SHAPE_MISMATCH');
    expect(code(() => conv(x, random.normal(random.key(2), [3, 2, 3, 3]), { stride: 2 } as never))).toBe('UNKNOWN_OPTION');
    expect(code(() => conv(x, random.normal(random.key(2), [3, 2, 3, 3]), { windowStrides: 0 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => conv(x, random.normal(random.key(2), [3, 2, 3, 3]), { padding: 'FULL' as never }))).toBe('INVALID_ARGUMENT');
    expect(code(() => conv(x, random.normal(random.key(2), [3, 2, 3, 3]), { padding: [[1, 1]] }))).toBe('INVALID_ARGUMENT');
  });
});

describe('pooling', () => {
  it('maxPool and avgPool match window maxima and means, and pad as stated', () => {
    const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
    expect(toArray(maxPool(x, 2, { strides: 1 }))).toEqual([[[[5, 6], [8, 9]]]]);
    expect(toArray(avgPool(x, 2, { strides: 1 }))).toEqual([[[[3, 4], [6, 7]]]]);
    // SAME with stride 2: windows [0:2] and [2:3] (padded after); -Infinity padding never wins the max
    expect(toArray(maxPool(tensor([[[[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]]]]), 2, { padding: 'SAME' }))).toEqual([[[[-1, -3], [-7, -9]]]]);
    expect(toArray(avgPool(x, 2, { padding: 'SAME' }))).toEqual([[[[3, 2.25], [3.75, 2.25]]]]);
    expect(toArray(maxPool(tensor([[[3, 1, 4, 1, 5, 9]]]), 3))).toEqual([[[4, 9]]]);
  });

  it('maxPool sends the gradient to each window maximum (the first on ties), and both pass checkGrads at order 2', () => {
    const g = grad((t: Tensor) => sum(maxPool(t, 2)))(tensor([[[[1, 7, 2, 2], [3, 0, 2, 2]]]]));
    expect(toArray(g)).toEqual([[[[0, 1, 1, 0], [0, 0, 0, 0]]]]);
    // overlapping windows: an element that is the maximum of two windows gets both cotangents
    expect(toArray(grad((t: Tensor) => sum(maxPool(t, 2, { strides: 1 })))(tensor([[[1, 5, 2]]])))).toEqual([[[0, 2, 0]]]);
    const x = random.normal(random.key(4), [2, 2, 5, 4]);
    expect(checkGrads((t: Tensor) => maxPool(t, [2, 2], { strides: 1, padding: 'SAME' }), [x], { order: 2 }).checks).toBeGreaterThan(0);
    expect(checkGrads((t: Tensor) => avgPool(t, [3, 2], { padding: [[1, 1], [0, 0]] }), [x], { order: 2 }).checks).toBeGreaterThan(0);
  });

  it('refuses bad windows with typed errors', () => {
    const x = random.normal(random.key(1), [1, 1, 4, 4]);
    expect(code(() => maxPool(x, 5))).toBe('SHAPE_MISMATCH');
    expect(code(() => maxPool(x, [2, 2, 2]))).toBe('INVALID_ARGUMENT');
    expect(code(() => avgPool(x, 2, { stride: 1 } as never))).toBe('UNKNOWN_OPTION');
    expect(code(() => avgPool(tensor([1, 2]), 2))).toBe('SHAPE_MISMATCH');
    expect(code(() => maxPool(x, 2, { padding: [[2, 0], [0, 0]] }))).toBe('INVALID_ARGUMENT');
  });
});
