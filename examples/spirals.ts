/**
 * Two interleaved spirals, classified by a small MLP trained with `valueAndGrad` and Adam.
 *
 * This is the end-to-end demo (`npm run demo`): a dataset drawn with a fixed random key, a loss written
 * only with the library's ops, `valueAndGrad(loss)(params, x, y)` returning gradients in the shape of
 * the parameter tree, and `optim.adam`, which never mutates anything: every step builds new parameter and
 * moment trees from the old ones, so the caller's initial parameters are still intact afterwards.
 *
 * @since 0.1.0
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  add,
  concat,
  cos,
  equal,
  greater,
  item,
  linspace,
  matmul,
  mean,
  mul,
  ones,
  optim,
  random,
  sin,
  softmax,
  softmaxCrossEntropy,
  stack,
  sub,
  take,
  tanh,
  type Tensor,
  toTypedArray,
  valueAndGrad,
  zeros,
} from '../src/index.js';
import { type Frame, lineChart, mix, svgDocument, text } from './svg.js';

/** A labelled point set: inputs `[m, 2]`, one-hot targets `[m, 2]` and class labels `[m]` (0 or 1). */
export interface Dataset {
  readonly x: Tensor;
  readonly y: Tensor;
  readonly labels: Tensor;
}

/** Options of `makeSpirals`. */
export interface SpiralOptions {
  /** Standard deviation of the Gaussian noise added to every coordinate (default 0.05). */
  readonly noise?: number;
  /** How many half-turns each arm makes (default 4, i.e. two full turns). */
  readonly halfTurns?: number;
}

/**
 * `n` points per class on two spiral arms, the second arm the first rotated by π, so the classes
 * interleave and no linear or shallow boundary separates them. Radii run from 0.2 to 2 (a range
 * `tanh` units can resolve without input scaling); noise comes from `key`, so the set is reproducible.
 */
export function makeSpirals(key: random.Key, n = 200, options: SpiralOptions = {}): Dataset {
  const { noise = 0.05, halfTurns = 4 } = options;
  const t = linspace(0, 1, n);
  const radius = add(0.2, mul(1.8, t));
  const arm = (phase: number): Tensor => {
    const angle = add(mul(halfTurns * Math.PI, t), phase);
    return stack([mul(radius, cos(angle)), mul(radius, sin(angle))], 1);
  };
  const clean = concat([arm(0), arm(Math.PI)], 0);
  const x = add(clean, random.normal(key, [2 * n, 2], { std: noise }));
  const labels = concat([zeros([n]), ones([n])], 0);
  // One-hot targets turn cross-entropy into a product and a sum, with no gather in the loss.
  const y = stack([sub(1, labels), labels], 1);
  return { x, y, labels };
}

/** Weights and biases of a 2-h-h-2 MLP; `valueAndGrad` returns its gradient in this same shape. */
export interface Params {
  readonly w1: Tensor;
  readonly b1: Tensor;
  readonly w2: Tensor;
  readonly b2: Tensor;
  readonly w3: Tensor;
  readonly b3: Tensor;
}

/** Glorot-normal weights (variance 2 / (fan in + fan out)) keep tanh units out of saturation at the start. */
export function initParams(key: random.Key, hidden = 32): Params {
  const [k1, k2, k3] = random.split(key, 3) as [random.Key, random.Key, random.Key];
  const layer = (k: random.Key, fanIn: number, fanOut: number): Tensor =>
    random.normal(k, [fanIn, fanOut], { std: Math.sqrt(2 / (fanIn + fanOut)) });
  return Object.freeze({
    w1: layer(k1, 2, hidden),
    b1: zeros([hidden]),
    w2: layer(k2, hidden, hidden),
    b2: zeros([hidden]),
    w3: layer(k3, hidden, 2),
    b3: zeros([2]),
  });
}

/** Logits `[m, 2]` of the MLP; biases broadcast over the batch dimension. */
export function predict(params: Params, x: Tensor): Tensor {
  const h1 = tanh(add(matmul(x, params.w1), params.b1));
  const h2 = tanh(add(matmul(h1, params.w2), params.b2));
  return add(matmul(h2, params.w3), params.b3);
}

/** Mean softmax cross-entropy against one-hot targets. */
export function loss(params: Params, x: Tensor, y: Tensor): Tensor {
  return softmaxCrossEntropy(predict(params, x), y);
}

/** Fraction of points whose larger logit is their class. */
export function accuracy(params: Params, data: Dataset): number {
  const logits = predict(params, data.x);
  const predicted = greater(take(logits, 1, 1), take(logits, 0, 1));
  return item(mean(equal(predicted, data.labels)));
}

/** Options of `train`; every field has a default that reaches > 95% accuracy on the default data. */
export interface TrainOptions {
  /** The training set (default: `makeSpirals(random.key(0), 200)`). */
  readonly data?: Dataset;
  /** Initial parameters (default: `initParams(random.key(1), hidden)`); never modified. */
  readonly params?: Params;
  /** Hidden width when `params` is not given (default 32). */
  readonly hidden?: number;
  /** Number of full-batch Adam steps (default 600). */
  readonly steps?: number;
  /** Learning rate (default 0.02). */
  readonly lr?: number;
  /** Called every `logEvery` steps and after the last one. */
  readonly log?: (step: number, loss: number) => void;
  /** Logging interval in steps (default 50). */
  readonly logEvery?: number;
}

/** What `train` returns: the final parameters, the loss before each step then after the last, and the final training accuracy. */
export interface TrainResult {
  readonly params: Params;
  readonly losses: readonly number[];
  readonly accuracy: number;
}

/** Full-batch training: a fold of Adam's update over the steps, threading parameters and state as values. */
export function train(options: TrainOptions = {}): TrainResult {
  const data = options.data ?? makeSpirals(random.key(0), 200);
  const steps = options.steps ?? 600;
  const lr = options.lr ?? 0.02;
  const logEvery = options.logEvery ?? 50;
  const lossAndGrad = valueAndGrad(loss);
  const init = options.params ?? initParams(random.key(1), options.hidden ?? 32);

  const optimizer = optim.adam(lr);
  let params = init;
  let state = optimizer.init(init);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const [value, grads] = lossAndGrad(params, data.x, data.y) as readonly [Tensor, Params];
    const l = item(value);
    losses.push(l);
    if (options.log && step % logEvery === 0) options.log(step, l);
    const [updates, next] = optimizer.update(grads, state, params);
    params = optim.applyUpdates(params, updates);
    state = next;
  }
  const finalLoss = item(loss(params, data.x, data.y));
  options.log?.(steps, finalLoss);
  return { params, losses: Object.freeze([...losses, finalLoss]), accuracy: accuracy(params, data) };
}

/** The probability of class 1 on a `resolution` × `resolution` grid over [-lim, lim]², row 0 at the top. */
function decisionGrid(params: Params, resolution: number, lim: number): Float64Array {
  const coords = linspace(-lim, lim, resolution);
  const xs = toTypedArray(coords);
  const points: number[][] = [];
  for (let r = 0; r < resolution; r++) for (let c = 0; c < resolution; c++) points.push([xs[c]!, xs[resolution - 1 - r]!]);
  const probs = softmax(predict(params, stack(points.map((p) => stack(p)))));
  return Float64Array.from(toTypedArray(take(probs, 1, 1)));
}

/**
 * The picture `npm run demo` writes: the decision regions of the trained net with the training
 * points on top (left), and the training loss per step on a log scale (right).
 */
export function spiralsFigure(result: TrainResult, data: Dataset): string {
  const lim = 2.4;
  const res = 80;
  const size = 360;
  const grid = decisionGrid(result.params, res, lim);
  const cell = size / res;
  const left: Frame = { x: 20, y: 30, width: size, height: size };
  const blue = [49, 99, 189] as const;
  const orange = [230, 126, 34] as const;
  const white = [255, 255, 255] as const;
  const parts: string[] = [text(left.x + size / 2, 20, 'decision regions (shade: p(class 1))', { anchor: 'middle', size: 13 })];
  // shades quantised to 12 levels and runs of equal shade merged: a small file for the README
  parts.push('<g shape-rendering="crispEdges">');
  const shade = (p: number): number => Math.round(Math.min(1, Math.max(0, p)) * 12) / 12;
  const colour = (q: number): string => (q >= 0.5 ? mix(white, orange, (q - 0.5) * 1.4) : mix(white, blue, (0.5 - q) * 1.4));
  for (let r = 0; r < res; r++) {
    for (let c = 0; c < res; ) {
      const q = shade(grid[r * res + c]!);
      let end = c + 1;
      while (end < res && shade(grid[r * res + end]!) === q) end++;
      parts.push(`<rect x="${(left.x + c * cell).toFixed(1)}" y="${(left.y + r * cell).toFixed(1)}" width="${((end - c) * cell + 0.3).toFixed(1)}" height="${(cell + 0.3).toFixed(1)}" fill="${colour(q)}"/>`);
      c = end;
    }
  }
  parts.push('</g>');
  const pts = toTypedArray(data.x);
  const labels = toTypedArray(data.labels);
  for (let i = 0; i < labels.length; i++) {
    const px = left.x + ((pts[2 * i]! + lim) / (2 * lim)) * size;
    const py = left.y + ((lim - pts[2 * i + 1]!) / (2 * lim)) * size;
    parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="2.2" fill="${labels[i] === 1 ? 'rgb(160,70,0)' : 'rgb(20,50,120)'}"/>`);
  }
  parts.push(`<rect x="${left.x}" y="${left.y}" width="${size}" height="${size}" fill="none" stroke="#999"/>`);
  const steps = result.losses.map((_, i) => i);
  parts.push(
    lineChart({ x: size + 40, y: 14, width: 380, height: size + 30 }, [{ xs: steps, ys: result.losses, color: '#c0392b', label: 'training loss' }], {
      title: `loss (final ${result.losses.at(-1)!.toExponential(1)}), accuracy ${(100 * result.accuracy).toFixed(1)}%`,
      xLabel: 'Adam step',
      logY: true,
    }),
  );
  return svgDocument(size + 440, size + 50, parts);
}

/** Writes `contents` to `path`, creating its folder. */
export function writeFile(path: string, contents: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, contents);
}

function main(): void {
  const start = performance.now();
  const data = makeSpirals(random.key(0), 200);
  console.log(`two spirals (2 turns each): ${data.x.shape[0]} points, MLP 2-32-32-2 tanh, full-batch Adam, lr 0.02`);
  const result = train({
    data,
    log: (step, l) => console.log(`step ${String(step).padStart(4)}  loss ${l.toFixed(4)}`),
  });
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(`training accuracy ${(100 * result.accuracy).toFixed(1)}% (${seconds} s)`);
  const out = process.argv[2] ?? join(import.meta.dirname, '../docs/images/spirals.svg');
  writeFile(out, spiralsFigure(result, data));
  console.log(`wrote ${relative(process.cwd(), out)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
