/**
 * The matmul benchmark: square n x n products through the public `matmul`, side by side with
 * TensorFlow.js's pure-JS cpu backend, in one process. For each n the contestants are timed interleaved
 * (one call of each per round) and medians reported, so a noisy period of the machine affects all alike.
 *
 * tfjs supports only float32, so both adjoint dtypes are compared against tfjs float32. Every call
 * includes allocating the result, on both sides. The bar (DESIGN.md: kernels on plain typed arrays):
 * at least 4 GFLOP/s, and at least 4x tfjs-cpu, for n = 128, 256, 512 in float64 and float32.
 *
 * Run alone with `npx tsx bench/matmul.ts`, or with the others through `npm run bench`. Two things move the
 * numbers: on a shared 2-core machine another busy process costs up to 30%, so compare runs on a quiet
 * machine; and tsx's loader detaches an ArrayBuffer at startup, which makes V8 check every typed-array access
 * for detachment from then on (its ArrayBufferDetaching protector), costing the kernel ~10% against plain
 * node. The numbers here are the pessimistic ones.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { matmul, type Tensor, tensor, toTypedArray } from '../src/index.js';
import { measureInterleaved, printTable } from './harness.js';

const SIZES = [128, 256, 512] as const;
const BAR_GFLOPS = 4;
const BAR_RATIO = 4;

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

export async function benchMatmul(): Promise<void> {
  // Prod mode only silences tfjs logging, including its "install tfjs-node" banner; kernels are unchanged.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await tf.ready();

  const rows: (string | number)[][] = [];
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
      // The cpu backend computes eagerly; dataSync reads the result so nothing is deferred.
      const data = c.dataSync() as Float32Array;
      c.dispose();
      return data;
    };
    const drift = relativeDiff(toTypedArray(matmul(a64, b64)), tfMatmul());
    if (!(drift < 1e-4)) throw new Error(`bench matmul: adjoint and tfjs disagree at n = ${n} (relative ${drift})`);

    const [ms64, ms32, msTf] = measureInterleaved(
      [() => (sink = matmul(a64, b64)), () => (sink = matmul(a32, b32)), tfMatmul],
      { minRuns: 10, minTimeMs: 1000 },
    );
    void sink;
    aTf.dispose();
    bTf.dispose();

    const tfGflops = flops / msTf! / 1e6;
    for (const [dtype, ms] of [['float64', ms64!], ['float32', ms32!]] as const) {
      const gflops = flops / ms / 1e6;
      const ratio = gflops / tfGflops;
      const ok = gflops >= BAR_GFLOPS && ratio >= BAR_RATIO;
      rows.push([n, dtype, gflops, tfGflops, `${ratio.toFixed(1)}x`, ok ? 'yes' : 'NO']);
    }
  }
  printTable(
    'matmul n x n · n x n, GFLOP/s, medians. tfjs-cpu supports only float32: both adjoint dtypes are compared with it',
    ['n', 'adjoint dtype', 'adjoint', 'tfjs-cpu f32', 'adjoint/tfjs', 'bar met'],
    rows,
  );
  console.log(`bar: >= ${BAR_GFLOPS} GFLOP/s and >= ${BAR_RATIO}x tfjs-cpu, for every row`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchMatmul();
