/**
 * The MLP benchmark: one training-step's worth of work for a 784-256-10 ReLU network with softmax
 * cross-entropy on a batch of 128, float32. It measures what tensor code spends its time on: matmul
 * kernels, elementwise maps and the reverse pass's bookkeeping. Contestants, with the same numbers
 * copied into each: adjoint on its WebAssembly kernels (the default) and on its plain-JS ones,
 * jax-js (`jit` of the loss and of `valueAndGrad`, on its WebAssembly backend, single-threaded in
 * Node), and TensorFlow.js on its WebAssembly and pure-JS cpu backends.
 *
 * loss(w1, b1, w2, b2) = mean over the batch of -logSoftmax(relu(x w1 + b1) w2 + b2)[label]
 *
 * The label is picked with a one-hot mask (sum of mask · logSoftmax over the class axis), identical
 * in every library. Results are checked equal first (loss and every gradient against tfjs-cpu).
 * Rounds interleave the contestants (switching tfjs backends between them, rotating the order);
 * medians are reported, and each bar's ratio is the median of per-round ratios. The grad/forward
 * bar, about adjoint alone, is timed with adjoint's two calls interleaved with each other only.
 *
 * jax-js needs `globalThis.navigator` before it is imported, which Node 20 lacks; it is defined
 * here, then jax-js is imported dynamically.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  add,
  getBackend,
  grad,
  item,
  logSoftmax,
  matmul,
  mean,
  mul,
  neg,
  random,
  relu,
  setBackend,
  sum,
  type Tensor,
  tensor,
  toArray,
  toTypedArray,
} from '../src/index.js';
import { measureRounds, median, pairedRatio, printTable } from './harness.js';

const BATCH = 128;
const IN = 784;
const HIDDEN = 256;
const OUT = 10;

interface Params {
  readonly w1: Tensor;
  readonly b1: Tensor;
  readonly w2: Tensor;
  readonly b2: Tensor;
}
const NAMES = ['w1', 'b1', 'w2', 'b2'] as const;

// ---- adjoint --------------------------------------------------------------------------------------

function adjointLoss(x: Tensor, oneHot: Tensor): (p: Params) => Tensor {
  return (p) => {
    const h = relu(add(matmul(x, p.w1), p.b1));
    const logits = add(matmul(h, p.w2), p.b2);
    return neg(mean(sum(mul(logSoftmax(logits, -1), oneHot), { axis: -1 })));
  };
}

// ---- tfjs -----------------------------------------------------------------------------------------

interface TfData {
  readonly x: tf.Tensor;
  readonly oneHot: tf.Tensor;
  readonly params: readonly tf.Tensor[];
}

function tfLoss(d: TfData): (...p: tf.Tensor[]) => tf.Tensor {
  return (w1, b1, w2, b2) => {
    const h = tf.relu(tf.add(tf.matMul(d.x, w1!), b1!));
    const logits = tf.add(tf.matMul(h, w2!), b2!);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits, -1), d.oneHot), -1)));
  };
}

/** The same numbers as the adjoint tensors, created on the current tfjs backend. */
function toTf(x: Tensor, oneHot: Tensor, p: Params): TfData {
  const t = (a: Tensor): tf.Tensor => tf.tensor(toTypedArray(a) as Float32Array, [...a.shape], 'float32');
  return { x: t(x), oneHot: t(oneHot), params: NAMES.map((k) => t(p[k])) };
}

function tfForward(d: TfData): number {
  return tf.tidy(() => tfLoss(d)(...d.params).dataSync()[0]!);
}

/** Loss and gradients; the gradient buffers are read back so the work is done when this returns. */
function tfForwardGrad(d: TfData): { loss: number; grads: Float32Array[] } {
  const { value, grads } = tf.tidy(() => tf.valueAndGrads(tfLoss(d))([...d.params]));
  const out = { loss: value.dataSync()[0]!, grads: grads.map((g) => g.dataSync() as Float32Array) };
  tf.dispose([value, ...grads]);
  return out;
}

/** Registers the wasm backend from node_modules; returns why it cannot run, or undefined. */
async function initWasm(): Promise<string | undefined> {
  try {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    setWasmPaths(`${dir}${path.sep}`);
    const ok = await tf.setBackend('wasm');
    if (!ok) return 'tf.setBackend("wasm") returned false';
    await tf.ready();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
}

// ---- jax-js ---------------------------------------------------------------------------------------

type Jax = typeof import('@jax-js/jax');
type JaxArray = InstanceType<Jax['Array']>;
type JaxParams = { w1: JaxArray; b1: JaxArray; w2: JaxArray; b2: JaxArray };

interface JaxMlp {
  forward(): number;
  forwardGrad(): { loss: number; grads: Float32Array[] };
}

/**
 * The same MLP in jax-js, jitted. jax-js counts references: every call consumes its arguments, so
 * each call passes `.ref` of the arrays it keeps, and reading a result (`dataSync`) consumes it.
 */
async function jaxMlp(x: Tensor, oneHot: Tensor, p: Params): Promise<JaxMlp> {
  (globalThis as { navigator?: unknown }).navigator ??= { userAgent: 'node', hardwareConcurrency: 1 };
  const jax: Jax = await import('@jax-js/jax');
  const { numpy: np, nn, jit, valueAndGrad } = jax;
  await jax.init('wasm');
  jax.defaultDevice('wasm');
  const arr = (t: Tensor): JaxArray => np.array(toTypedArray(t) as Float32Array, { shape: [...t.shape] });
  const params: JaxParams = { w1: arr(p.w1), b1: arr(p.b1), w2: arr(p.w2), b2: arr(p.b2) };
  const xs = arr(x);
  const ys = arr(oneHot);
  const loss = (q: JaxParams, xx: JaxArray, y: JaxArray): JaxArray => {
    const h = nn.relu(np.matmul(xx, q.w1).add(q.b1));
    const logits = np.matmul(h, q.w2).add(q.b2);
    return nn.logSoftmax(logits, -1).mul(y).sum(-1).mean().neg();
  };
  const fwd = jit(loss);
  const fwdGrad = jit(valueAndGrad(loss));
  const refs = (): JaxParams => ({ w1: params.w1.ref, b1: params.b1.ref, w2: params.w2.ref, b2: params.b2.ref });
  return {
    forward: () => fwd(refs(), xs.ref, ys.ref).dataSync()[0]!,
    forwardGrad: () => {
      const [value, g] = fwdGrad(refs(), xs.ref, ys.ref) as unknown as [JaxArray, JaxParams];
      return { loss: value.dataSync()[0]!, grads: NAMES.map((k) => g[k].dataSync() as Float32Array) };
    },
  };
}

// ---- helpers --------------------------------------------------------------------------------------

function relErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return num / Math.max(scale, 1e-30);
}

interface Contestant {
  readonly name: string;
  /** Run before each timed call, untimed (e.g. switching the tfjs or adjoint backend). */
  readonly before?: () => unknown;
  readonly fn: () => unknown;
}

/** Interleaved rounds, rotating the order each round; the times (ms) of each contestant, per round. */
async function interleave(cs: readonly Contestant[], rounds: number, warmup: number): Promise<number[][]> {
  const times = cs.map(() => [] as number[]);
  for (let r = 0; r < warmup + rounds; r++) {
    for (let k = 0; k < cs.length; k++) {
      const i = (k + r) % cs.length;
      const c = cs[i]!;
      await c.before?.();
      const t0 = performance.now();
      c.fn();
      const dt = performance.now() - t0;
      if (r >= warmup) times[i]!.push(dt);
    }
  }
  return times;
}

// ---- the benchmark --------------------------------------------------------------------------------

export async function benchMlp(): Promise<void> {
  const [kx, ky, k1, k2] = random.split(random.key(42), 4) as [random.Key, random.Key, random.Key, random.Key];
  const f32 = { dtype: 'float32' } as const;
  const x = random.normal(kx, [BATCH, IN], f32);
  const labels = (toArray(random.uniform(ky, [BATCH])) as number[]).map((u) => Math.min(OUT - 1, Math.floor(u * OUT)));
  const oneHot = tensor(labels.map((l) => Array.from({ length: OUT }, (_, c) => (c === l ? 1 : 0))), f32);
  const params: Params = {
    w1: random.normal(k1, [IN, HIDDEN], { ...f32, std: Math.sqrt(2 / IN) }),
    b1: random.normal(random.foldIn(k1, 1), [HIDDEN], { ...f32, std: 0.1 }),
    w2: random.normal(k2, [HIDDEN, OUT], { ...f32, std: Math.sqrt(1 / HIDDEN) }),
    b2: random.normal(random.foldIn(k2, 1), [OUT], { ...f32, std: 0.1 }),
  };
  const loss = adjointLoss(x, oneHot);
  const adjForward = (): number => item(loss(params));
  const adjForwardGrad = (): Params => grad(loss)(params) as Params;
  setBackend('wasm');
  if (getBackend() !== 'wasm') throw new Error('mlp benchmark: adjoint WebAssembly kernels unavailable');
  const useAdjWasm = () => setBackend('wasm');
  const useAdjJs = () => setBackend('js');

  await tf.setBackend('cpu');
  await tf.ready();
  const cpu = toTf(x, oneHot, params);
  const wasmError = await initWasm();
  const wasm = wasmError === undefined ? toTf(x, oneHot, params) : undefined;
  const useCpu = () => tf.setBackend('cpu');
  const useWasm = () => tf.setBackend('wasm');
  const jaxjs = await jaxMlp(x, oneHot, params);

  // correctness: every contestant against tfjs cpu, float32 tolerance
  await useCpu();
  const ref = tfForwardGrad(cpu);
  const checks: Array<[string, number]> = [];
  for (const [label, use] of [['adjoint wasm', useAdjWasm], ['adjoint js', useAdjJs]] as const) {
    use();
    const g = adjForwardGrad();
    checks.push([`${label} loss`, relErr([adjForward()], [ref.loss])]);
    NAMES.forEach((k, i) => checks.push([`${label} d${k}`, relErr(toTypedArray(g[k]), ref.grads[i]!)]));
  }
  useAdjWasm();
  const j = jaxjs.forwardGrad();
  checks.push(['jax-js loss', Math.max(relErr([j.loss], [ref.loss]), relErr([jaxjs.forward()], [ref.loss]))]);
  NAMES.forEach((k, i) => checks.push([`jax-js d${k}`, relErr(j.grads[i]!, ref.grads[i]!)]));
  if (wasm !== undefined) {
    await useWasm();
    const w = tfForwardGrad(wasm);
    checks.push(['tfjs-wasm (loss, dw1)', Math.max(relErr([w.loss], [ref.loss]), relErr(w.grads[0]!, ref.grads[0]!))]);
  }
  console.log(`loss ${ref.loss.toFixed(5)}; each contestant vs tfjs-cpu, relative error (tolerance 1e-3):`);
  for (let i = 0; i < checks.length; i += 5) console.log('  ' + checks.slice(i, i + 5).map(([k, e]) => `${k} ${e.toExponential(2)}`).join(', '));
  for (const [k, e] of checks) if (!(e <= 1e-3)) throw new Error(`mlp benchmark: ${k} disagrees (relative ${e}, tolerance 1e-3)`);

  const contestants: Contestant[] = [
    { name: 'adjoint fwd', before: useAdjWasm, fn: adjForward },
    { name: 'adjoint fwd+grad', before: useAdjWasm, fn: adjForwardGrad },
    { name: 'adjoint js fwd', before: useAdjJs, fn: adjForward },
    { name: 'adjoint js fwd+grad', before: useAdjJs, fn: adjForwardGrad },
    { name: 'jax-js fwd', fn: jaxjs.forward },
    { name: 'jax-js fwd+grad', fn: jaxjs.forwardGrad },
    { name: 'tfjs-cpu fwd', before: useCpu, fn: () => tfForward(cpu) },
    { name: 'tfjs-cpu fwd+grad', before: useCpu, fn: () => tfForwardGrad(cpu) },
  ];
  if (wasm !== undefined) {
    contestants.push({ name: 'tfjs-wasm fwd', before: useWasm, fn: () => tfForward(wasm) });
    contestants.push({ name: 'tfjs-wasm fwd+grad', before: useWasm, fn: () => tfForwardGrad(wasm) });
  }
  const times = await interleave(contestants, 15, 3);
  useAdjWasm();
  await useCpu();
  const ms = times.map((t) => median(t));
  const [aF, aG, jsF, jsG, jF, jG, cF, cG, wF, wG] = ms as [number, number, number, number, number, number, number, number, number?, number?];
  /** How many times faster adjoint (contestant `mine`) is than contestant `other`, paired per round. */
  const faster = (other: number, mine: number): number => pairedRatio(times, other, mine);

  const row = (name: string, f: number | undefined, g: number | undefined): ReadonlyArray<string | number> =>
    f === undefined || g === undefined ? [name, `unavailable: ${wasmError}`, '', ''] : [name, f, g, (g / f).toFixed(2)];
  printTable(
    `MLP ${IN}-${HIDDEN}-${OUT}, relu, softmax cross-entropy, batch ${BATCH}, float32 (median ms)`,
    ['implementation', 'forward ms', 'fwd+grad ms', 'grad/fwd'],
    [
      row('adjoint (wasm kernels)', aF, aG),
      row('adjoint (js kernels)', jsF, jsG),
      row('jax-js jit (wasm)', jF, jG),
      row('tfjs wasm', wF, wG),
      row('tfjs cpu', cF, cG),
    ],
  );
  const bars: Array<[string, number, number]> = [
    ['adjoint faster than jax-js jit, forward', faster(4, 0), 1],
    ['adjoint faster than jax-js jit, forward+grad', faster(5, 1), 1],
  ];
  if (wasm !== undefined) {
    bars.push(['adjoint faster than tfjs-wasm, forward', faster(8, 0), 1]);
    bars.push(['adjoint faster than tfjs-wasm, forward+grad', faster(9, 1), 1]);
  }
  bars.push(['forward+grad >= 3x faster than tfjs-cpu', faster(7, 1), 3]);
  for (const [label, ratio, bar] of bars) console.log(`bar "${label}": ${ratio.toFixed(2)}x (>= ${bar}x) — ${ratio >= bar ? 'MET' : 'NOT MET'}`);
  // adjoint's own backward-pass overhead, timed with only its forward beside it: between the peers'
  // calls (tfjs-cpu leaves megabytes of garbage per call) the allocation-heavier fwd+grad pays for
  // collections and cold pages that are not its own
  useAdjWasm();
  const own = measureRounds([adjForward, adjForwardGrad], { minRuns: 20, minTimeMs: 1500 });
  const gf = pairedRatio(own, 1, 0);
  console.log(
    `bar "grad/forward <= 3" (adjoint alone: forward ${median(own[0]!).toFixed(2)} ms, fwd+grad ${median(own[1]!).toFixed(2)} ms): ` +
      `${gf.toFixed(2)} — ${gf <= 3 ? 'MET' : 'NOT MET'}`,
  );
  console.log(`(adjoint wasm vs its js kernels: ${faster(2, 0).toFixed(2)}x forward, ${faster(3, 1).toFixed(2)}x forward+grad)`);

  tf.dispose([cpu.x, cpu.oneHot, ...cpu.params]);
  if (wasm !== undefined) {
    await useWasm();
    tf.dispose([wasm.x, wasm.oneHot, ...wasm.params]);
    await useCpu();
  }
}

// Errors are printed and set the exit code rather than thrown out: the tfjs wasm module installs an
// uncaughtException handler that rethrows, which would print its whole minified source.
if (import.meta.url === `file://${process.argv[1]}`) await benchMlp().catch(reportFailure);

/** Prints a benchmark failure and marks the process as failed. */
export function reportFailure(e: unknown): void {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
}
