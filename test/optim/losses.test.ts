import { describe, expect, it } from 'vitest';
import {
  type AdjointError,
  checkGrads,
  grad,
  huber,
  item,
  jvp,
  meanSquaredError,
  random,
  sigmoid,
  sigmoidBinaryCrossEntropy,
  softmaxCrossEntropy,
  tensor,
  toArray,
  type Tensor,
  sum,
  vmap,
  zeros,
} from '../../src/index.js';
import { thrown } from '../reference.js';

const code = (f: () => unknown): string | undefined => (thrown(f) as AdjointError | undefined)?.code;
const message = (f: () => unknown): string | undefined => (thrown(f) as Error | undefined)?.message;

describe('losses', () => {
  it('softmaxCrossEntropy: integer labels and one-hot labels give the same losses and gradients', () => {
    const logits = random.normal(random.key(2), [5, 4]);
    const labels = [3, 0, 1, 1, 2];
    const oneHot = tensor(labels.map((c) => [0, 1, 2, 3].map((j) => (j === c ? 1 : 0))));
    const a = softmaxCrossEntropy(logits, tensor(labels), { reduction: 'none' });
    const b = softmaxCrossEntropy(logits, oneHot, { reduction: 'none' });
    expect(toArray(a)).toEqual(toArray(b));
    // by hand: logsumexp(row) - row[label]
    const rows = toArray(logits) as number[][];
    rows.forEach((r, i) => expect((toArray(a) as number[])[i]).toBeCloseTo(Math.log(r.reduce((s, v) => s + Math.exp(v), 0)) - r[labels[i]!]!, 12));
    expect(item(softmaxCrossEntropy(logits, tensor(labels)))).toBeCloseTo((toArray(a) as number[]).reduce((s, v) => s + v, 0) / 5, 12);
    expect(item(softmaxCrossEntropy(logits, tensor(labels), { reduction: 'sum' }))).toBeCloseTo((toArray(a) as number[]).reduce((s, v) => s + v, 0), 12);
    // gradient of the mean: (softmax - onehot) / n
    const g = grad((x) => softmaxCrossEntropy(x, tensor(labels)))(logits);
    const probs = rows.map((r) => r.map((v) => Math.exp(v) / r.reduce((s, w) => s + Math.exp(w), 0)));
    (toArray(g) as number[][]).forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo((probs[i]![j]! - (j === labels[i] ? 1 : 0)) / 5, 12)));
    checkGrads((x) => softmaxCrossEntropy(x, oneHot), [logits], { order: 2 });
  });

  it('softmaxCrossEntropy stays finite at huge logits', () => {
    const l = softmaxCrossEntropy(tensor([[1e4, -1e4, 0]]), tensor([1]), { reduction: 'none' });
    expect(toArray(l)).toEqual([2e4]);
    expect(toArray(grad((x) => softmaxCrossEntropy(x, tensor([1])))(tensor([[1e4, -1e4, 0]])))).toEqual([[1, -1, 0]]);
  });

  it('sigmoidBinaryCrossEntropy equals the textbook formula where that is finite, stays finite beyond, and its gradient is sigmoid(x) - z', () => {
    const x = tensor([-3, -0.5, 0, 0.7, 4]);
    const z = tensor([0, 1, 0.5, 1, 0.2]);
    const got = toArray(sigmoidBinaryCrossEntropy(x, z, { reduction: 'none' })) as number[];
    const xs = toArray(x) as number[];
    const zs = toArray(z) as number[];
    got.forEach((v, i) => {
      const p = 1 / (1 + Math.exp(-xs[i]!));
      expect(v).toBeCloseTo(-(zs[i]! * Math.log(p) + (1 - zs[i]!) * Math.log(1 - p)), 12);
    });
    const g = toArray(grad((t) => sigmoidBinaryCrossEntropy(t, z, { reduction: 'sum' }))(x)) as number[];
    const s = toArray(sigmoid(x)) as number[];
    g.forEach((v, i) => expect(v).toBeCloseTo(s[i]! - zs[i]!, 14));
    // large |x|: the textbook form gives Infinity or NaN; this one is exact
    const big = tensor([1000, -1000, 1000]);
    const ones = tensor([0, 1, 1]);
    expect(toArray(sigmoidBinaryCrossEntropy(big, ones, { reduction: 'none' }))).toEqual([1000, 1000, 0]);
    expect(toArray(grad((t) => sigmoidBinaryCrossEntropy(t, ones, { reduction: 'sum' }))(big))).toEqual([1, -1, 0]);
    // at exactly 0 the gradient is 1/2 - z (softplus' = sigmoid, no kink convention involved)
    expect(toArray(grad((t) => sigmoidBinaryCrossEntropy(t, tensor([1]), { reduction: 'sum' }))(tensor([0])))).toEqual([-0.5]);
  });

  it('meanSquaredError and huber', () => {
    expect(item(meanSquaredError(tensor([[1, 2]]), tensor([[3, 2]])))).toBe(2);
    const e = tensor([-3, -1, -0.5, 0, 0.5, 2]);
    const zero = tensor([0, 0, 0, 0, 0, 0]);
    expect(toArray(huber(e, zero, { reduction: 'none' }))).toEqual([2.5, 0.5, 0.125, 0, 0.125, 1.5]);
    expect(toArray(huber(e, zero, { delta: 2, reduction: 'none' }))).toEqual([4, 0.5, 0.125, 0, 0.125, 2]);
    // the gradient is the error clipped to [-delta, delta]
    expect(toArray(grad((p) => huber(p, zero, { reduction: 'sum' }))(e))).toEqual([-1, -1, -0.5, 0, 0.5, 1]);
    checkGrads((p) => meanSquaredError(p, tensor([1, 2, 3])), [tensor([0.3, -1, 2])], { order: 2 });
  });

  it('refuses mismatched shapes, bad labels and bad options with typed errors', () => {
    expect(code(() => meanSquaredError(tensor([[1], [2]]), tensor([1, 2])))).toBe('SHAPE_MISMATCH');
    expect(code(() => sigmoidBinaryCrossEntropy(tensor([1, 2]), tensor([1])))).toBe('SHAPE_MISMATCH');
    expect(code(() => softmaxCrossEntropy(tensor([[1, 2]]), tensor([[1, 2, 3]])))).toBe('SHAPE_MISMATCH');
    expect(code(() => softmaxCrossEntropy(tensor([[1, 2]]), tensor([2])))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => softmaxCrossEntropy(tensor([[1, 2]]), tensor([0.5])))).toBe('INVALID_ARGUMENT');
    expect(code(() => softmaxCrossEntropy(tensor(1), tensor(1)))).toBe('SHAPE_MISMATCH');
    expect(code(() => huber(tensor([1]), tensor([1]), { delta: 0 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => huber(tensor([1]), tensor([1]), { reduce: 'sum' } as never))).toBe('UNKNOWN_OPTION');
    expect(code(() => meanSquaredError(tensor([1]), tensor([1]), { reduction: 'avg' } as never))).toBe('INVALID_ARGUMENT');
  });

  it('labels out of range: class indices (INDEX_OUT_OF_RANGE; fractional ones INVALID_ARGUMENT, as take) and probabilities (INVALID_ARGUMENT)', () => {
    expect(code(() => softmaxCrossEntropy(tensor([[1, 2]]), tensor([-1])))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => softmaxCrossEntropy(tensor([[1, 2]]), tensor([NaN])))).toBe('INVALID_ARGUMENT');
    expect(code(() => softmaxCrossEntropy(tensor([[1, 2]]), tensor([[1.5, -0.5]])))).toBe('INVALID_ARGUMENT');
    expect(code(() => sigmoidBinaryCrossEntropy(tensor([1, 2]), tensor([1, 2])))).toBe('INVALID_ARGUMENT');
    expect(code(() => sigmoidBinaryCrossEntropy(tensor([1]), tensor([NaN])))).toBe('INVALID_ARGUMENT');
    expect(message(() => sigmoidBinaryCrossEntropy(tensor([1, 2]), tensor([0, -1])))).toContain('label -1 at position 1 is not a probability');
    // soft labels in [0, 1] are fine, and differentiable
    const soft = tensor([[0.9, 0.1]]);
    expect(toArray(grad((y: Tensor) => softmaxCrossEntropy(tensor([[0, 0]]), y))(soft))).toEqual([[Math.LN2, Math.LN2]]);
  });

  it('labels traced by vmap, grad or jvp are checked too: every lane, and the primal', () => {
    const logits = tensor([1, 2]);
    const sce = (y: Tensor) => softmaxCrossEntropy(logits, y);
    // label 5 of 2 classes once gave a loss of 0 under vmap; 0.5 and NaN too
    expect(code(() => vmap(sce)(tensor([0, 5])))).toBe('INDEX_OUT_OF_RANGE');
    expect(message(() => vmap(sce)(tensor([0, 5])))).toBe('softmaxCrossEntropy: label 5 at position 0 (in vmap lane 1) is not a class in [0, 1]');
    expect(code(() => vmap(sce)(tensor([0, 0.5])))).toBe('INVALID_ARGUMENT');
    expect(code(() => vmap(sce)(tensor([NaN, 1])))).toBe('INVALID_ARGUMENT');
    // soft labels: 1.5 in the second lane
    expect(message(() => vmap(sce)(tensor([[0.5, 0.5], [1.5, -0.5]])))).toContain('label 1.5 at position 0 (in vmap lane 1) is not a probability');
    // binary labels: 5 gave a negative loss
    const bce = (z: Tensor) => sigmoidBinaryCrossEntropy(tensor([1]), z);
    expect(code(() => vmap(bce)(tensor([[0], [5]])))).toBe('INVALID_ARGUMENT');
    // lanes on another axis, and nested vmaps: the position and the lanes as the caller sees them
    const batch = (y: Tensor) => softmaxCrossEntropy(tensor([[1, 2], [3, 4]]), y, { reduction: 'none' });
    expect(message(() => vmap(batch, { inAxes: 1 })(tensor([[0, 1, 1], [1, 0, 2]])))).toContain('label 2 at position 1 (in vmap lane 2)');
    expect(message(() => vmap(vmap(sce))(tensor([[0, 1], [1, 3]])))).toContain('label 3 at position 0 (in vmap lanes 1, 1, outermost vmap first)');
    expect(message(() => vmap(vmap(batch), { inAxes: 1 })(tensor([[[0, 0], [1, 1]], [[1, 1], [0, 7]]])))).toContain('label 7 at position 1 (in vmap lanes 1, 1, outermost vmap first)');
    // under grad and jvp the primal is read (the labels here are what is differentiated)
    expect(code(() => grad((y: Tensor) => sce(y))(tensor(5)))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => grad((z: Tensor) => sum(bce(z)))(tensor([2])))).toBe('INVALID_ARGUMENT');
    expect(code(() => jvp(bce, [tensor([-1])], [tensor([1])]))).toBe('INVALID_ARGUMENT');
    expect(code(() => vmap(grad(bce))(tensor([[0.5], [2]])))).toBe('INVALID_ARGUMENT');
    // valid labels go through every transform with the values they have when called directly
    expect(toArray(vmap(sce)(tensor([0, 1])))).toEqual([item(sce(tensor(0))), item(sce(tensor(1)))]);
    expect(toArray(vmap(bce)(tensor([[0], [1]])))).toEqual([item(bce(tensor([0]))), item(bce(tensor([1])))]);
  });

  it('the mean over an empty batch is SHAPE_MISMATCH (there is no mean of nothing); its sum is 0', () => {
    const empty: Array<[string, () => unknown]> = [
      ['meanSquaredError', () => meanSquaredError(zeros([0]), zeros([0]))],
      ['huber', () => huber(zeros([0, 2]), zeros([0, 2]))],
      ['softmaxCrossEntropy', () => softmaxCrossEntropy(zeros([0, 3]), zeros([0]))],
      ['softmaxCrossEntropy', () => softmaxCrossEntropy(zeros([0, 3]), zeros([0, 3]))],
      ['sigmoidBinaryCrossEntropy', () => sigmoidBinaryCrossEntropy(zeros([0]), zeros([0]))],
    ];
    for (const [op, f] of empty) {
      expect(code(f)).toBe('SHAPE_MISMATCH');
      expect(message(f)).toContain(`${op}: the batch is empty`);
    }
    expect(item(meanSquaredError(zeros([0]), zeros([0]), { reduction: 'sum' }))).toBe(0);
    expect(softmaxCrossEntropy(zeros([0, 3]), zeros([0]), { reduction: 'none' }).shape).toEqual([0]);
    // a zero anywhere in the per-example shape means no losses to average
    expect(code(() => sigmoidBinaryCrossEntropy(zeros([2, 0]), zeros([2, 0])))).toBe('SHAPE_MISMATCH');
  });

  it('every loss refuses a fourth argument', () => {
    const call = (f: unknown, ...args: unknown[]): unknown => (f as (...a: unknown[]) => unknown)(...args);
    const a = tensor([0.5]);
    for (const f of [softmaxCrossEntropy, sigmoidBinaryCrossEntropy, meanSquaredError, huber]) expect(code(() => call(f, a, a, {}, 'mean'))).toBe('INVALID_ARGUMENT');
  });
});
