/**
 * A small convolutional network trained on a dataset this example draws itself: 28×28 grayscale
 * images of ten procedurally drawn shapes (ring, disk, square, triangle, plus, cross, three kinds of
 * bar, corner), each at a random position, size, rotation and stroke width, with Gaussian pixel
 * noise and random speckles. `npm run example:cnn` trains it with Adam and minibatches, shows a
 * progress bar, reports the test accuracy and the time, and draws the loss curve and a sample of
 * test predictions to `docs/images/cnn.svg`.
 *
 * The network is conv(1→8, 5×5, stride 2, SAME) → relu → conv(8→16, 3×3, SAME) → relu → maxPool 2 →
 * dense(784→10), in float32; the loss is `softmaxCrossEntropy` with integer labels.
 *
 * @since 0.1.0
 */
import { SingleBar } from 'cli-progress';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  add,
  conv,
  equal,
  item,
  matmul,
  maxPool,
  mean,
  optim,
  random,
  relu,
  reshape,
  softmaxCrossEntropy,
  take,
  type Tensor,
  tensor,
  toTypedArray,
  valueAndGrad,
  zeros,
} from '../src/index.js';
import { grayImage, lineChart, svgDocument, text } from './svg.js';

export const CLASSES = ['ring', 'disk', 'square', 'triangle', 'plus', 'cross', 'h-bar', 'v-bar', 'slash', 'corner'] as const;
export const SIZE = 28;

/** A small seeded PRNG (mulberry32) for drawing the images: data generation is plain JavaScript. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Distance from (px, py) to the segment (ax, ay)-(bx, by). */
function segment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/** Distance to a closed polygon's outline. */
function polygon(px: number, py: number, pts: ReadonlyArray<readonly [number, number]>): number {
  let d = Infinity;
  for (let i = 0; i < pts.length; i++) {
    const [ax, ay] = pts[i]!;
    const [bx, by] = pts[(i + 1) % pts.length]!;
    d = Math.min(d, segment(px, py, ax, ay, bx, by));
  }
  return d;
}

/**
 * The distance from a point (in the shape's own frame: centred, unrotated, radius `r`) to the
 * stroke of class `k`, or a negative number inside a filled shape.
 */
function shapeDistance(k: number, x: number, y: number, r: number): number {
  switch (k) {
    case 0: // ring
      return Math.abs(Math.hypot(x, y) - r);
    case 1: // disk (filled)
      return Math.hypot(x, y) - r;
    case 2: // square outline
      return polygon(x, y, [[-r, -r], [r, -r], [r, r], [-r, r]]);
    case 3: // triangle outline
      return polygon(x, y, [[0, -r], [r * 0.95, r * 0.7], [-r * 0.95, r * 0.7]]);
    case 4: // plus
      return Math.min(segment(x, y, -r, 0, r, 0), segment(x, y, 0, -r, 0, r));
    case 5: // cross
      return Math.min(segment(x, y, -r * 0.8, -r * 0.8, r * 0.8, r * 0.8), segment(x, y, -r * 0.8, r * 0.8, r * 0.8, -r * 0.8));
    case 6: // horizontal bar
      return segment(x, y, -r, 0, r, 0);
    case 7: // vertical bar
      return segment(x, y, 0, -r, 0, r);
    case 8: // slash
      return segment(x, y, -r * 0.75, r * 0.75, r * 0.75, -r * 0.75);
    default: // corner (an L)
      return Math.min(segment(x, y, -r * 0.7, -r, -r * 0.7, r * 0.8), segment(x, y, -r * 0.7, r * 0.8, r, r * 0.8));
  }
}

/** A labelled image set: images `[n, 1, 28, 28]` (float32, in [0, 1] plus noise) and labels `[n]`. */
export interface ShapeData {
  readonly images: Tensor;
  readonly labels: Tensor;
}

/**
 * `n` images, classes in turn (balanced), drawn from `seed`: a random centre within ±4 px of the
 * middle, radius 6–10 px, rotation ±12° (so a rotated plus never looks like a cross), stroke width 1.6–3 px, then pixel noise (σ = 0.15) and a few
 * bright speckles.
 */
export function makeShapes(n: number, seed: number): ShapeData {
  const rand = prng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const pixels = new Float32Array(n * SIZE * SIZE);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % CLASSES.length;
    labels[i] = k;
    const cx = 13.5 + (rand() - 0.5) * 8;
    const cy = 13.5 + (rand() - 0.5) * 8;
    const r = 6 + rand() * 4;
    const angle = ((rand() - 0.5) * 24 * Math.PI) / 180;
    const half = 0.8 + rand() * 0.7;
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    const base = i * SIZE * SIZE;
    for (let py = 0; py < SIZE; py++) {
      for (let px = 0; px < SIZE; px++) {
        const dx = px - cx;
        const dy = py - cy;
        const d = shapeDistance(k, c * dx + s * dy, -s * dx + c * dy, r);
        // anti-aliased stroke: 1 inside the stroke, falling to 0 over one pixel
        const ink = Math.min(1, Math.max(0, half + 0.5 - d));
        pixels[base + py * SIZE + px] = ink + 0.15 * gauss();
      }
    }
    const speckles = Math.floor(rand() * 4);
    for (let j = 0; j < speckles; j++) pixels[base + Math.floor(rand() * SIZE * SIZE)] = 0.6 + 0.4 * rand();
  }
  return { images: tensor(pixels, { shape: [n, 1, SIZE, SIZE], dtype: 'float32' }), labels: tensor(labels, { shape: [n] }) };
}

/** The network's parameters; `valueAndGrad` returns its gradient in the same shape. */
export interface Params {
  readonly conv1: Tensor;
  readonly bias1: Tensor;
  readonly conv2: Tensor;
  readonly bias2: Tensor;
  readonly dense: Tensor;
  readonly bias3: Tensor;
}

/** He-normal initialisation (variance 2 / fan in), for relu units. */
export function initParams(key: random.Key): Params {
  const [k1, k2, k3] = random.split(key, 3) as [random.Key, random.Key, random.Key];
  const he = (k: random.Key, shape: number[], fanIn: number): Tensor => random.normal(k, shape, { std: Math.sqrt(2 / fanIn), dtype: 'float32' });
  return Object.freeze({
    conv1: he(k1, [8, 1, 5, 5], 25),
    bias1: zeros([1, 8, 1, 1], { dtype: 'float32' }),
    conv2: he(k2, [16, 8, 3, 3], 72),
    bias2: zeros([1, 16, 1, 1], { dtype: 'float32' }),
    dense: he(k3, [16 * 7 * 7, 10], 16 * 7 * 7),
    bias3: zeros([10], { dtype: 'float32' }),
  });
}

/** Logits `[n, 10]` for images `[n, 1, 28, 28]`. */
export function predict(params: Params, images: Tensor): Tensor {
  const h1 = relu(add(conv(images, params.conv1, { padding: 'SAME', windowStrides: 2 }), params.bias1)); // [n, 8, 14, 14]
  const h2 = maxPool(relu(add(conv(h1, params.conv2, { padding: 'SAME' }), params.bias2)), 2); // [n, 16, 7, 7]
  return add(matmul(reshape(h2, [images.shape[0]!, 16 * 7 * 7]), params.dense), params.bias3);
}

/** Mean softmax cross-entropy of the logits against the integer labels. */
export function loss(params: Params, images: Tensor, labels: Tensor): Tensor {
  return softmaxCrossEntropy(predict(params, images), labels);
}

/** The predicted class of each image (argmax of the logits), as numbers. */
export function classify(params: Params, images: Tensor, batch = 500): number[] {
  const out: number[] = [];
  for (let start = 0; start < images.shape[0]!; start += batch) {
    const idx = Array.from({ length: Math.min(batch, images.shape[0]! - start) }, (_, i) => start + i);
    const logits = toTypedArray(predict(params, take(images, idx)));
    for (let i = 0; i < idx.length; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (logits[i * 10 + c]! > logits[i * 10 + best]!) best = c;
      out.push(best);
    }
  }
  return out;
}

/** Fraction of images classified as their label. */
export function accuracy(params: Params, data: ShapeData): number {
  const predicted = tensor(classify(params, data.images));
  return item(mean(equal(predicted, data.labels)));
}

/** Options of `train`. */
export interface TrainOptions {
  readonly train: ShapeData;
  /** Initial parameters (default `initParams(random.key(0))`); never modified. */
  readonly params?: Params;
  /** Passes over the training set (default 2). */
  readonly epochs?: number;
  /** Minibatch size (default 50). */
  readonly batchSize?: number;
  /** Stop after this many steps, whatever `epochs` says (for quick runs). */
  readonly maxSteps?: number;
  /** Adam's learning rate (default 3e-3). */
  readonly lr?: number;
  /** Called after every step with the step number (from 1), the total and the minibatch loss. */
  readonly onStep?: (step: number, total: number, loss: number) => void;
}

/** What `train` returns: final parameters and the minibatch loss of every step. */
export interface TrainResult {
  readonly params: Params;
  readonly losses: readonly number[];
}

/** Minibatch Adam over shuffled epochs; parameters and optimizer state are threaded as values. */
export function train(options: TrainOptions): TrainResult {
  const { images, labels } = options.train;
  const n = images.shape[0]!;
  const batchSize = options.batchSize ?? 50;
  const epochs = options.epochs ?? 2;
  const perEpoch = Math.floor(n / batchSize);
  const total = Math.min(options.maxSteps ?? Infinity, epochs * perEpoch);
  const optimizer = optim.adam(options.lr ?? 3e-3);
  const lossAndGrad = valueAndGrad(loss);
  let params = options.params ?? initParams(random.key(0));
  let state = optimizer.init(params);
  const losses: number[] = [];
  const rand = prng(12345);
  let order: number[] = [];
  for (let step = 0; step < total; step++) {
    if (step % perEpoch === 0) {
      // a fresh shuffle each epoch (Fisher–Yates)
      order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    const at = (step % perEpoch) * batchSize;
    const idx = order.slice(at, at + batchSize);
    const [value, grads] = lossAndGrad(params, take(images, idx), take(labels, idx)) as readonly [Tensor, Params];
    const [updates, next] = optimizer.update(grads, state, params);
    params = optim.applyUpdates(params, updates);
    state = next;
    losses.push(item(value));
    options.onStep?.(step + 1, total, losses[losses.length - 1]!);
  }
  return { params, losses: Object.freeze(losses) };
}

/**
 * The picture the example writes: the minibatch loss per step (and its running mean) on a log scale,
 * and a grid of test images with their predicted class (red where wrong).
 */
export function cnnFigure(result: TrainResult, test: ShapeData, predicted: ReadonlyArray<number>, testAccuracy: number): string {
  const parts: string[] = [];
  const steps = result.losses.map((_, i) => i + 1);
  const window = Math.max(1, Math.round(result.losses.length / 30));
  const smooth = result.losses.map((_, i) => {
    const from = Math.max(0, i - window + 1);
    let s = 0;
    for (let j = from; j <= i; j++) s += result.losses[j]!;
    return s / (i - from + 1);
  });
  parts.push(
    lineChart({ x: 0, y: 0, width: 420, height: 330 }, [
      { xs: steps, ys: result.losses, color: '#d5a6a0', label: 'minibatch loss' },
      { xs: steps, ys: smooth, color: '#c0392b', label: `mean of ${window}` },
    ], { title: `training loss; test accuracy ${(100 * testAccuracy).toFixed(1)}%`, xLabel: 'Adam step', logY: true }),
  );
  const cols = 8;
  const rows = 4;
  const scale = 2;
  const cell = SIZE * scale + 10;
  const x0 = 440;
  const labels = toTypedArray(test.labels);
  // the first test images, with the misclassified ones (if any) in the last row
  const wrong = predicted.flatMap((p, i) => (p !== labels[i] ? [i] : [])).slice(0, cols);
  const shown = [...predicted.map((_, i) => i).filter((i) => !wrong.includes(i)).slice(0, rows * cols - wrong.length), ...wrong];
  parts.push(text(x0 + (cols * cell) / 2, 16, `test images: predicted class${wrong.length > 0 ? ' (red: wrong, true class in brackets)' : ''}`, { anchor: 'middle', size: 13 }));
  const pixels = toTypedArray(test.images);
  shown.forEach((i, slot) => {
    const x = x0 + (slot % cols) * cell;
    const y = 26 + Math.floor(slot / cols) * (cell + 14);
    parts.push(grayImage(x, y, pixels.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE), SIZE, SIZE, scale));
    const ok = predicted[i] === labels[i];
    const label = ok ? CLASSES[predicted[i]!]! : `${CLASSES[predicted[i]!]!} (${CLASSES[labels[i]!]!})`;
    parts.push(text(x + (SIZE * scale) / 2, y + SIZE * scale + 11, label, { anchor: 'middle', size: ok ? 10 : 8, fill: ok ? '#222' : '#c0392b' }));
  });
  return svgDocument(x0 + cols * cell, 26 + rows * (cell + 14), parts);
}

/** Writes `contents` to `path`, creating its folder. */
export function writeFile(path: string, contents: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, contents);
}

function main(): void {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const trainSet = makeShapes(6000, 1);
  const testSet = makeShapes(2000, 2);
  console.log(`shapes: 6000 training and 2000 test images, 28x28, ${CLASSES.length} classes (${CLASSES.join(', ')})`);
  console.log('CNN: conv 5x5/2 (8) - relu - conv 3x3 (16) - relu - maxPool 2 - dense 10, float32, Adam lr 3e-3, batch 50, 2 epochs');
  const bar = new SingleBar({ format: 'training [{bar}] {percentage}% | step {value}/{total} | loss {loss} | {duration}s', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 });
  let started_ = false;
  const result = train({
    train: trainSet,
    onStep: (step, total, l) => {
      if (!started_) {
        bar.start(total, 0, { loss: l.toFixed(3) });
        started_ = true;
      }
      bar.update(step, { loss: l.toFixed(3) });
    },
  });
  bar.stop();
  const trainSeconds = (performance.now() - started) / 1000;
  const predicted = classify(result.params, testSet.images);
  const labels = toTypedArray(testSet.labels);
  const testAccuracy = predicted.filter((p, i) => p === labels[i]).length / predicted.length;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  console.log(`test accuracy ${(100 * testAccuracy).toFixed(2)}% after ${result.losses.length} steps`);
  console.log(`time: ${seconds.toFixed(1)} s in all (training ${trainSeconds.toFixed(1)} s), ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU`);
  const out = process.argv[2] ?? join(import.meta.dirname, '../docs/images/cnn.svg');
  writeFile(out, cnnFigure(result, testSet, predicted, testAccuracy));
  console.log(`wrote ${relative(process.cwd(), out)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
