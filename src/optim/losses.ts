/**
 * Loss functions, written with the library's ops so they differentiate to any order. Each takes
 * predictions and targets of matching shapes and returns the mean over every example (option
 * `reduction: 'mean'`, the default), the sum (`'sum'`), or the per-example losses (`'none'`).
 * Shapes must match exactly: a silent broadcast of `[n, 1]` against `[n]` into `[n, n]` is a classic
 * bug, so it is a `SHAPE_MISMATCH` here. So is the mean of an empty batch (there is no mean of no
 * examples; the sum of none is 0).
 *
 * Labels are checked wherever they come from: concrete, traced by grad or jvp (their primal values
 * are read; the check is not differentiated), or batched by vmap (every lane is read).
 *
 * The classification losses take logits (unnormalised log-probabilities) and are computed in their
 * stable forms (`logSoftmax`, `softplus`), so they stay finite at any finite logit.
 *
 * @since 0.1.0
 */
import { checkArity, describeValue, invalidArgument, parseEnum, parseNumber, parseOptions } from '../core/args.js';
import { arange, asTensor } from '../core/creation.js';
import { ArgumentError, formatShape, ShapeError } from '../core/errors.js';
import { sameShape } from '../core/shape.js';
import { argumentValues, describeLanes } from '../core/BatchTrace.js';
import type { Tensor } from '../core/Tensor.js';
import { abs, equal, lessEqual, mul, neg, type Operand, square, sub, where } from '../rules/elementwise.js';
import { softplus } from '../rules/math.js';
import { logSoftmax, mean, sum } from '../rules/reduction.js';
import { checkClassIndices } from '../rules/indexing.js';
import { expandDims } from '../rules/structure.js';

/**
 * How a loss combines the per-example values: their mean (default), sum, or none (the per-example
 * values themselves).
 *
 * @category losses
 * @since 0.1.0
 */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Options of the losses.
 *
 * @category losses
 * @since 0.1.0
 */
export interface LossOptions {
  /** `'mean'` (default), `'sum'` or `'none'`. */
  readonly reduction?: Reduction;
}

const REDUCTIONS: ReadonlyArray<Reduction> = ['mean', 'sum', 'none'];

function reduce(op: string, losses: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean' && losses.size === 0) {
    // a mean of no examples is 0/0: refused, as std and argmax of nothing are, rather than a silent NaN
    throw new ShapeError('SHAPE_MISMATCH', op, `the batch is empty (per-example losses of shape ${formatShape(losses.shape)}), and a mean of no examples is undefined; pass at least one example, or use reduction 'sum' (0 for an empty batch) or 'none'`);
  }
  return reduction === 'mean' ? mean(losses) : reduction === 'sum' ? sum(losses) : losses;
}

function sameShapes(op: string, a: Tensor, b: Tensor, what: string): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new ShapeError('SHAPE_MISMATCH', op, `${what} have shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}; they must be equal (reshape one of them: losses do not broadcast)`);
  }
}

/**
 * Softmax cross-entropy `-Σ_c labels_c · logSoftmax(logits)_c` over the last axis, from logits of
 * shape `[..., classes]`. `labels` is either a distribution per example (one-hot or soft, the same
 * shape as `logits`) or integer class indices of shape `[...]` (the logits' shape without its last
 * axis), each an integer in `[0, classes)` (`INDEX_OUT_OF_RANGE` outside, `INVALID_ARGUMENT` if
 * fractional or NaN). Distributions hold probabilities in [0, 1] (`INVALID_ARGUMENT` otherwise; their
 * sums are not checked). Under vmap every lane's labels are checked.
 *
 * Shapes: `logits [..., C]`, `labels [..., C]` or `[...]`; result `[]` (or `[...]` with `reduction: 'none'`).
 * @example
 * import { softmaxCrossEntropy, tensor, toArray } from 'adjoint'
 * const logits = tensor([[0, 0], [1000, 0]])
 * assert.equal(toArray(softmaxCrossEntropy(logits, tensor([0, 0]), { reduction: 'none' }))[0], Math.LN2)
 * assert.deepEqual(toArray(softmaxCrossEntropy(logits, tensor([[1, 0], [0, 1]]), { reduction: 'none' })), [Math.LN2, 1000])
 * @category losses
 * @since 0.1.0
 */
export function softmaxCrossEntropy(logits: Operand, labels: Operand, options: LossOptions = {}): Tensor {
  const op = 'softmaxCrossEntropy';
  checkArity(op, arguments.length, 3, 'softmaxCrossEntropy(logits, labels, { reduction }?)');
  const x = asTensor(op, logits);
  const y = asTensor(op, labels);
  const reduction = parseReduction(op, options);
  if (x.ndim === 0) throw new ShapeError('SHAPE_MISMATCH', op, 'logits is 0-d; pass logits of shape [..., classes]');
  const classes = x.shape[x.ndim - 1]!;
  let targets: Tensor;
  if (y.ndim === x.ndim - 1 && sameShape(y.shape, x.shape.slice(0, -1))) {
    checkClassIndices(op, 'label', y, classes);
    targets = equal(expandDims(y, -1), arange(classes, undefined, 1, { dtype: x.dtype }));
  } else if (sameShape(y.shape, x.shape)) {
    checkProbabilities(op, y);
    targets = y;
  }
  else {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      op,
      `labels of shape ${formatShape(y.shape)} do not fit logits of shape ${formatShape(x.shape)}; pass class indices of shape ${formatShape(x.shape.slice(0, -1))} or distributions of shape ${formatShape(x.shape)}`,
    );
  }
  return reduce(op, neg(sum(mul(targets, logSoftmax(x)), { axis: -1 })), reduction);
}

/**
 * Targets are probabilities: ones outside [0, 1] (or NaN) would give a loss that is not a
 * cross-entropy (a negative one, for a label 5). Traced targets are checked too: under grad and jvp
 * their primal values, under vmap every lane.
 */
function checkProbabilities(op: string, z: Tensor): void {
  const values = argumentValues(z);
  if (values === undefined) return;
  const d = values.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v >= 0 && v <= 1) continue;
    const { position, lanes } = values.locate(i);
    throw new ArgumentError(
      'INVALID_ARGUMENT',
      op,
      `label ${describeValue(v).replace('the number ', '')} at position ${position}${describeLanes(lanes)} is not a probability; labels that are not class indices are probabilities, numbers in [0, 1]`,
    );
  }
}

/**
 * Binary cross-entropy from logits, `-(z·log σ(x) + (1 - z)·log(1 - σ(x)))`, computed as
 * `softplus(x) - x·z`: finite at any finite logit (where `log(sigmoid(x))` would give -Infinity), with
 * gradient `sigmoid(x) - z`. Targets `z` are probabilities in [0, 1], the same shape as the logits
 * (`INVALID_ARGUMENT` otherwise, NaN included, in every lane under vmap).
 *
 * Shapes: `logits` and `labels` equal; result `[]` (or that shape with `reduction: 'none'`).
 * @example
 * import { sigmoidBinaryCrossEntropy, tensor, toArray } from 'adjoint'
 * const l = sigmoidBinaryCrossEntropy(tensor([0, 800, -800]), tensor([1, 1, 1]), { reduction: 'none' })
 * assert.deepEqual(toArray(l), [Math.LN2, 0, 800])
 * @category losses
 * @since 0.1.0
 */
export function sigmoidBinaryCrossEntropy(logits: Operand, labels: Operand, options: LossOptions = {}): Tensor {
  const op = 'sigmoidBinaryCrossEntropy';
  checkArity(op, arguments.length, 3, 'sigmoidBinaryCrossEntropy(logits, labels, { reduction }?)');
  const x = asTensor(op, logits);
  const z = asTensor(op, labels);
  const reduction = parseReduction(op, options);
  sameShapes(op, x, z, 'logits and labels');
  checkProbabilities(op, z);
  return reduce(op, sub(softplus(x), mul(x, z)), reduction);
}

/**
 * Mean squared error `mean((predictions - targets)²)` (with `reduction: 'none'`, the squared errors).
 *
 * Shapes: `predictions` and `targets` equal; result `[]`.
 * @example
 * import { meanSquaredError, tensor, toArray } from 'adjoint'
 * assert.equal(toArray(meanSquaredError(tensor([1, 2, 3]), tensor([1, 2, 5]))), 4 / 3)
 * @category losses
 * @since 0.1.0
 */
export function meanSquaredError(predictions: Operand, targets: Operand, options: LossOptions = {}): Tensor {
  const op = 'meanSquaredError';
  checkArity(op, arguments.length, 3, 'meanSquaredError(predictions, targets, { reduction }?)');
  const p = asTensor(op, predictions);
  const t = asTensor(op, targets);
  const reduction = parseReduction(op, options);
  sameShapes(op, p, t, 'predictions and targets');
  return reduce(op, square(sub(p, t)), reduction);
}

/**
 * Options of `huber`.
 *
 * @category losses
 * @since 0.1.0
 */
export interface HuberOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1; must be positive). */
  readonly delta?: number;
}

/**
 * Huber loss of the error `e = predictions - targets`: `e²/2` where `|e| ≤ delta`, else
 * `delta·(|e| - delta/2)` (optax's `huber_loss`). Its gradient is the error clipped to `[-delta, delta]`.
 *
 * Shapes: `predictions` and `targets` equal; result `[]`.
 * @example
 * import { huber, tensor, toArray } from 'adjoint'
 * assert.deepEqual(toArray(huber(tensor([0.5, 3]), tensor([0, 0]), { reduction: 'none' })), [0.125, 2.5])
 * @category losses
 * @since 0.1.0
 */
export function huber(predictions: Operand, targets: Operand, options: HuberOptions = {}): Tensor {
  const op = 'huber';
  checkArity(op, arguments.length, 3, 'huber(predictions, targets, { reduction, delta }?)');
  const p = asTensor(op, predictions);
  const t = asTensor(op, targets);
  const o = parseOptions(op, 'options', options, ['reduction', 'delta']);
  const reduction = o.reduction === undefined ? 'mean' : parseEnum(op, 'reduction', o.reduction, REDUCTIONS);
  const delta = o.delta === undefined ? 1 : parseNumber(op, 'delta', o.delta);
  if (delta <= 0) invalidArgument(op, 'delta', o.delta, 'pass a positive number');
  sameShapes(op, p, t, 'predictions and targets');
  const e = sub(p, t);
  const a = abs(e);
  return reduce(op, where(lessEqual(a, delta), mul(0.5, square(e)), mul(delta, sub(a, 0.5 * delta))), reduction);
}

function parseReduction(op: string, options: unknown): Reduction {
  const o = parseOptions(op, 'options', options, ['reduction']);
  return o.reduction === undefined ? 'mean' : parseEnum(op, 'reduction', o.reduction, REDUCTIONS);
}
