import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { AdjointError, grad, hessian, norm, tensor, type Tensor, toArray, toTypedArray, zeros } from '../../src/index.js';
import { thrown } from '../reference.js';
import { expectClose, matArb } from '../linalgReference.js';

const SEED = { seed: 13, numRuns: 40 } as const;

const vecArb = fc.integer({ min: 1, max: 6 }).chain((n) => fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n, maxLength: n }));
const abs = (v: number[]): number[] => v.map(Math.abs);

describe('norm follows numpy.linalg.norm', () => {
  test.prop([vecArb], SEED)('vector orders', (v) => {
    const x = tensor(v);
    const close = (got: Tensor, want: number): void => expect(Math.abs((toArray(got) as number) - want)).toBeLessThanOrEqual(1e-13 * Math.max(1, want));
    close(norm(x), Math.hypot(...v));
    close(norm(x, 2), Math.hypot(...v));
    close(norm(x, 1), abs(v).reduce((s, a) => s + a, 0));
    close(norm(x, Infinity), Math.max(...abs(v)));
    close(norm(x, -Infinity), Math.min(...abs(v)));
    close(norm(x, 0), v.filter((a) => a !== 0).length);
    close(norm(x, 3), abs(v).reduce((s, a) => s + a ** 3, 0) ** (1 / 3));
  });

  test.prop([fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })).chain(([n, m]) => matArb(n, m))], SEED)('matrix orders, and vector orders along an axis', (a) => {
    const x = tensor(a);
    const colSums = a[0]!.map((_, j) => a.reduce((s, row) => s + Math.abs(row[j]!), 0));
    const rowSums = a.map((row) => abs(row).reduce((s, v) => s + v, 0));
    const close = (got: Tensor, want: number): void => expect(Math.abs((toArray(got) as number) - want)).toBeLessThanOrEqual(1e-13 * Math.max(1, want));
    close(norm(x), Math.hypot(...a.flat()));
    close(norm(x, 'fro'), Math.hypot(...a.flat()));
    close(norm(x, 1), Math.max(...colSums));
    close(norm(x, -1), Math.min(...colSums));
    close(norm(x, Infinity), Math.max(...rowSums));
    close(norm(x, -Infinity), Math.min(...rowSums));
    close(norm(x, 1, [1, 0]), Math.max(...rowSums)); // the axes name (rows, columns)
    expectClose(norm(x, 2, 1), a.map((row) => Math.hypot(...row)), 1e-13);
    expectClose(norm(x, { ord: 1, axis: 0, keepdims: true }), [colSums], 1e-13);
  });

  it('more than two axes: the 2-norm of everything by default; keepdims', () => {
    const x = tensor([[[1, 2], [2, 0]], [[0, 0], [4, 4]]]);
    expect(toArray(norm(x))).toBeCloseTo(Math.sqrt(41), 14);
    expect(norm(x, null, [1, 2], true).shape).toEqual([2, 1, 1]);
    expect(toArray(norm(x, 'fro', [1, 2]))).toEqual([3, Math.sqrt(32)]);
  });

  it('is overflow- and underflow-safe', () => {
    expect(toArray(norm(tensor([3e200, 4e200])))).toBeCloseTo(5e200, -186);
    expect((toArray(norm(tensor([3e-200, 4e-200]))) as number) / 5e-200).toBeCloseTo(1, 14);
  });

  it('its derivative at 0 is 0 at every order, not NaN', () => {
    const z = zeros([3]);
    expect(toArray(grad((x: Tensor) => norm(x))(z))).toEqual([0, 0, 0]);
    expect(toArray(grad((x: Tensor) => norm(x, 3))(z))).toEqual([0, 0, 0]);
    expect(toTypedArray(hessian((x: Tensor) => norm(x))(z)).every((v) => v === 0)).toBe(true);
    expectClose(grad((x: Tensor) => norm(x))(tensor([3, 4])), [0.6, 0.8], 1e-15);
  });

  it('unsupported orders and bad arguments are typed errors', () => {
    const code = (f: () => unknown): string => (thrown(f) as AdjointError).code;
    const m = tensor([[1, 2], [3, 4]]);
    for (const ord of [2, -2, 'nuc'] as const) {
      const e = thrown(() => norm(m, ord)) as AdjointError;
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toContain('svd');
    }
    expect(code(() => norm(m, 3))).toBe('INVALID_ARGUMENT');
    expect(code(() => norm(tensor([1, 2]), 'fro'))).toBe('INVALID_ARGUMENT');
    expect(code(() => norm(tensor([1, 2]), 0.5))).toBe('INVALID_ARGUMENT');
    expect(code(() => norm(zeros([2, 2, 2]), 1))).toBe('INVALID_ARGUMENT');
    expect(code(() => norm(m, null, [0, 0]))).toBe('AXIS_OUT_OF_RANGE'); // a repeated axis, as in every op
    expect(code(() => norm(m, null, 2))).toBe('AXIS_OUT_OF_RANGE');
    expect(code(() => norm(m, { ordd: 1 } as never))).toBe('UNKNOWN_OPTION');
    expect(code(() => norm(m, 'max' as never))).toBe('INVALID_ARGUMENT');
  });
});
