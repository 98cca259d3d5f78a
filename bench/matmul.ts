/**
 * The matmul benchmark: square n x n products through the public `matmul`, on adjoint's WebAssembly
 * SIMD kernels (float32 and float64) and its plain-JS kernel (float64, `setBackend('js')`), side by
 * side with TensorFlow.js's WebAssembly backend (XNNPACK, float32 only, single-threaded in Node), in
 * one process. For each n the contestants are timed interleaved (one call of each per round) and
 * medians reported, so a noisy period of the machine affects all alike; ratios are medians of
 * per-round ratios (`pairedRatio`). Every call includes allocating the result (and, for adjoint's
 * WebAssembly kernels, copying the operands in and the result out), on every side.
 *
 * Bars (issue 12): float32 at least tfjs-wasm's GFLOP/s, float64 at least 2x the JS kernel measured in
 * the same run, for n = 128, 256, 512. A second table shows the transposed products matmul's vjp
 * multiplies by (Aᵀ·B, A·Bᵀ).
 *
 * Run alone with `npx tsx bench/matmul.ts`, or with the others through `npm run bench`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { getBackend, matmul, setBackend, type Tensor, tensor, toTypedArray, transpose } from '../src/index.js';
import { measureRounds, median, pairedRatio, printTable } from './harness.js';

const SIZES = [128, 256, 512] as const;
const TRANSPOSED_N = 256;

/** Deterministic values in [-1, 1) (an LCG), the same for every contestant. */
function values(len: number, seed: number): Float64Array {
  const out = new Float64Array(len);
  let s = seed >>> 0;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Largest |x - y| relative to the largest |y|: a cross-check that the contestants compute the same C. */
function relativeDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return diff / scale;
}

/** Registers tfjs's wasm backend from node_modules and makes it current. */
export async function useTfWasm(): Promise<void> {
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(`${dir}${path.sep}`);
  // Prod mode only silences tfjs logging; kernels are unchanged.
  tf.enableProdMode();
  if (!(await tf.setBackend('wasm'))) throw new Error('bench matmul: tfjs wasm backend did not initialise');
  await tf.ready();
}

/** `f` on the plain-JS kernels, restoring the WebAssembly ones after. */
function onJs<T>(f: () => T): T {
  setBackend('js');
  try {
    return f();
  } finally {
    setBackend('wasm');
  }
}

export async function benchMatmul(): Promise<void> {
  await useTfWasm();
  setBackend('wasm');
  if (getBackend() !== 'wasm') throw new Error('bench matmul: adjoint WebAssembly kernels unavailable');

  const rows: (string | number)[][] = [];
  const checks: string[] = [];
  let allMet = true;
  for (const n of SIZES) {
    const flops = 2 * n ** 3;
    const aValues = values(n * n, n);
    const bValues = values(n * n, n + 1);
    const a64 = tensor(aValues, { shape: [n, n], dtype: 'float64' });
    const b64 = tensor(bValues, { shape: [n, n], dtype: 'float64' });
    const a32 = tensor(Float32Array.from(aValues), { shape: [n, n], dtype: 'float32' });
    const b32 = tensor(Float32Array.from(bValues), { shape: [n, n], dtype: 'float32' });
    const aTf = tf.tensor2d(Float32Array.from(aValues), [n, n], 'float32');
    const bTf = tf.tensor2d(Float32Array.from(bValues), [n, n], 'float32');

    let sink: Tensor | undefined;
    const tfMatmul = (): Float32Array => {
      const c = tf.matMul(aTf, bTf);
      // dataSync reads the result, so nothing is deferred
      const data = c.dataSync() as Float32Array;
      c.dispose();
      return data;
    };
    // results checked equal first: both adjoint kernels and tfjs against the float64 JS kernel
    const ref = toTypedArray(onJs(() => matmul(a64, b64)));
    const d64 = relativeDiff(toTypedArray(matmul(a64, b64)), ref);
    const d32 = relativeDiff(toTypedArray(matmul(a32, b32)), ref);
    const dTf = relativeDiff(tfMatmul(), ref);
    checks.push(`n=${n}: wasm f64 ${d64.toExponential(1)}, wasm f32 ${d32.toExponential(1)}, tfjs-wasm ${dTf.toExponential(1)}`);
    if (!(d64 < 1e-12 && d32 < 1e-5 && dTf < 1e-4)) throw new Error(`bench matmul: results disagree at n = ${n}: ${checks.at(-1)}`);

    const times = measureRounds(
      [() => (sink = matmul(a32, b32)), tfMatmul, () => (sink = matmul(a64, b64)), () => (sink = onJs(() => matmul(a64, b64)))],
      { minRuns: 10, minTimeMs: 1500 },
    );
    void sink;
    aTf.dispose();
    bTf.dispose();
    const [g32, gTf, g64, gJs] = times.map((t) => flops / median(t) / 1e6) as [number, number, number, number];
    const r32 = 1 / pairedRatio(times, 0, 1);
    const r64 = 1 / pairedRatio(times, 2, 3);
    const met = r32 >= 1 && r64 >= 2;
    allMet &&= met;
    rows.push([n, g32, gTf, `${r32.toFixed(2)}x`, g64, gJs, `${r64.toFixed(2)}x`, met ? 'yes' : 'NO']);
  }
  console.log(`results checked against the float64 JS kernel (max |diff| / max |C|): ${checks.join('; ')}`);
  printTable(
    'matmul n x n · n x n, GFLOP/s (medians); ratios are medians of per-round ratios',
    ['n', 'wasm f32', 'tfjs-wasm f32', 'f32 vs tfjs', 'wasm f64', 'JS kernel f64', 'f64 vs JS', 'bars met'],
    rows,
  );
  console.log(`bars: float32 >= 1x tfjs-wasm and float64 >= 2x the JS kernel, at every n: ${allMet ? 'MET' : 'NOT MET'}`);

  // the transposed layouts the backward pass multiplies by, float32, against tfjs-wasm's transposed matMul
  const n = TRANSPOSED_N;
  const flops = 2 * n ** 3;
  const a = tensor(Float32Array.from(values(n * n, 7)), { shape: [n, n], dtype: 'float32' });
  const b = tensor(Float32Array.from(values(n * n, 8)), { shape: [n, n], dtype: 'float32' });
  const aTf = tf.tensor2d(toTypedArray(a) as Float32Array, [n, n]);
  const bTf = tf.tensor2d(toTypedArray(b) as Float32Array, [n, n]);
  const tRows: (string | number)[][] = [];
  for (const [label, tA, tB] of [['Aᵀ·B', true, false], ['A·Bᵀ', false, true]] as const) {
    // adjoint's transpose is a copy; the primitive the vjp records reads the operand transposed in place
    const ours = (): Tensor => matmul(tA ? transpose(a) : a, tB ? transpose(b) : b);
    const theirs = (): Float32Array => {
      const c = tf.matMul(aTf, bTf, tA, tB);
      const data = c.dataSync() as Float32Array;
      c.dispose();
      return data;
    };
    const d = relativeDiff(toTypedArray(ours()), theirs());
    if (!(d < 1e-4)) throw new Error(`bench matmul: ${label} disagrees with tfjs (relative ${d})`);
    const times = measureRounds([ours, theirs], { minRuns: 10, minTimeMs: 1000 });
    const [gOurs, gTheirs] = times.map((t) => flops / median(t) / 1e6) as [number, number];
    tRows.push([label, n, gOurs, gTheirs, `${(1 / pairedRatio(times, 0, 1)).toFixed(2)}x`]);
  }
  aTf.dispose();
  bTf.dispose();
  printTable('transposed operands, float32, GFLOP/s (adjoint includes its transpose copy)', ['product', 'n', 'adjoint wasm', 'tfjs-wasm', 'adjoint/tfjs'], tRows);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchMatmul();
