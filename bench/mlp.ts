/**
 * The MLP benchmark: one training-step's worth of work for a 784-256-10 ReLU network with softmax
 * cross-entropy on a batch of 128, float32. It measures what tensor code spends its time on: matmul
 * kernels, elementwise maps and the reverse pass's bookkeeping, against TensorFlow.js on its pure-JS
 * cpu backend and its WebAssembly backend, with the same numbers copied into each.
 *
 * loss(w1, b1, w2, b2) = mean over the batch of -logSoftmax(relu(x w1 + b1) w2 + b2)[label]
 *
 * The label is picked with a one-hot mask (sum of mask · logSoftmax over the class axis), identical
 * in both libraries. Rounds interleave the contestants (switching tfjs backends between them) and
 * medians are reported.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  add,
  grad,
  item,
  logSoftmax,
  matmul,
  mean,
  mul,
  neg,
  random,
  relu,
  sum,
  type Tensor,
  tensor,
  toArray,
  toTypedArray,
} from '../src/index.js';
import { median, printTable } from './harness.js';

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
  /** Run before each timed call, untimed (e.g. switching the tfjs backend). */
  readonly before?: () => Promise<unknown>;
  readonly fn: () => unknown;
}

/** Interleaved rounds, rotating the order each round; median ms per contestant. */
async function interleave(cs: readonly Contestant[], rounds: number, warmup: number): Promise<number[]> {
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
  return times.map((t) => median(t));
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

  await tf.setBackend('cpu');
  await tf.ready();
  const cpu = toTf(x, oneHot, params);
  const wasmError = await initWasm();
  const wasm = wasmError === undefined ? toTf(x, oneHot, params) : undefined;
  const useCpu = () => tf.setBackend('cpu');
  const useWasm = () => tf.setBackend('wasm');

  // correctness: adjoint against tfjs cpu (and wasm against cpu), float32 tolerance
  await useCpu();
  const ref = tfForwardGrad(cpu);
  const g = adjForwardGrad();
  const checks: Array<[string, number]> = [['loss', relErr([adjForward()], [ref.loss])]];
  NAMES.forEach((k, i) => checks.push([`d${k}`, relErr(toTypedArray(g[k]), ref.grads[i]!)]));
  if (wasm !== undefined) {
    await useWasm();
    const w = tfForwardGrad(wasm);
    checks.push(['tfjs wasm vs cpu (loss, dw1)', Math.max(relErr([w.loss], [ref.loss]), relErr(w.grads[0]!, ref.grads[0]!))]);
  }
  console.log(`loss ${ref.loss.toFixed(5)}; adjoint vs tfjs-cpu, relative error (tolerance 1e-3):`);
  console.log('  ' + checks.map(([k, e]) => `${k} ${e.toExponential(2)}`).join(', '));
  for (const [k, e] of checks) if (!(e <= 1e-3)) throw new Error(`mlp benchmark: ${k} disagrees (relative ${e}, tolerance 1e-3)`);

  const contestants: Contestant[] = [
    { name: 'adjoint fwd', fn: adjForward },
    { name: 'adjoint fwd+grad', fn: adjForwardGrad },
    { name: 'tfjs-cpu fwd', before: useCpu, fn: () => tfForward(cpu) },
    { name: 'tfjs-cpu fwd+grad', before: useCpu, fn: () => tfForwardGrad(cpu) },
  ];
  if (wasm !== undefined) {
    contestants.push({ name: 'tfjs-wasm fwd', before: useWasm, fn: () => tfForward(wasm) });
    contestants.push({ name: 'tfjs-wasm fwd+grad', before: useWasm, fn: () => tfForwardGrad(wasm) });
  }
  const t = await interleave(contestants, 12, 2);
  const [aF, aG, cF, cG, wF, wG] = t as [number, number, number, number, number | undefined, number | undefined];
  await useCpu();

  const speedup = (other: number | undefined, mine: number): string => (other === undefined ? '-' : `${(other / mine).toFixed(2)}x`);
  const rows: Array<ReadonlyArray<string | number>> = [
    ['adjoint', aF, aG, `${(aG / aF).toFixed(2)}`, `${speedup(cF, aF)} / ${speedup(cG, aG)}`, `${speedup(wF, aF)} / ${speedup(wG, aG)}`],
    ['tfjs cpu', cF, cG, `${(cG / cF).toFixed(2)}`, '', ''],
    wF !== undefined && wG !== undefined
      ? ['tfjs wasm', wF, wG, `${(wG / wF).toFixed(2)}`, '', '']
      : ['tfjs wasm', `unavailable: ${wasmError}`, '', '', '', ''],
  ];
  printTable(
    `MLP ${IN}-${HIDDEN}-${OUT}, relu, softmax cross-entropy, batch ${BATCH}, float32 (median ms)`,
    ['implementation', 'forward ms', 'fwd+grad ms', 'grad/fwd', 'adjoint speedup vs cpu (fwd / fwd+grad)', 'vs wasm (fwd / fwd+grad)'],
    rows,
  );
  const ratio = aG / aF;
  const vsCpu = cG / aG;
  console.log(`bar "grad/forward ≤ 3": ${ratio.toFixed(2)} — ${ratio <= 3 ? 'MET' : 'NOT MET'}`);
  console.log(`bar "forward+grad ≥ 3x faster than tfjs-cpu": ${vsCpu.toFixed(2)}x — ${vsCpu >= 3 ? 'MET' : 'NOT MET'}`);

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
