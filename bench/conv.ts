/**
 * The convolution benchmark: the middle layer of `examples/cnn.ts`, a 3×3 convolution from 8 to 16
 * channels on a batch of 50 images of 14×14 ('SAME' padding, float32), forward and forward plus the
 * gradient with respect to both the input and the kernel, against TensorFlow.js's pure-JS cpu
 * backend (`tf.conv2d`, which takes NHWC inputs and HWIO kernels: the same numbers are copied in that
 * layout). The loss is `sum(conv(x, w) · r)` for a fixed random `r`, so both libraries run the full
 * backward pass. Medians over interleaved rounds.
 */
import * as tf from '@tensorflow/tfjs';
import { conv, grad, mul, random, sum, type Tensor, toTypedArray, transpose } from '../src/index.js';
import { measureRounds, median, printTable } from './harness.js';

const [N, C, O, H, K] = [50, 8, 16, 14, 3];

function relErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return num / Math.max(scale, 1e-30);
}

export async function benchConv(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
  const f32 = { dtype: 'float32' } as const;
  const [kx, kw, kr] = random.split(random.key(7), 3) as [random.Key, random.Key, random.Key];
  const x = random.normal(kx, [N, C, H, H], f32);
  const w = random.normal(kw, [O, C, K, K], { ...f32, std: 0.2 });
  const r = random.normal(kr, [N, O, H, H], f32);

  const loss = (a: Tensor, b: Tensor): Tensor => sum(mul(conv(a, b, { padding: 'SAME' }), r));
  const adjForward = (): Tensor => conv(x, w, { padding: 'SAME' });
  const adjGrad = grad(loss, { argnums: [0, 1] });
  const adjForwardGrad = (): readonly Tensor[] => adjGrad(x, w) as unknown as readonly Tensor[];

  // the same numbers, NHWC / HWIO / NHWC for tfjs
  const toTf = (t: Tensor, perm: number[]): tf.Tensor4D => {
    const p = transpose(t, perm);
    return tf.tensor4d(toTypedArray(p) as Float32Array, [...p.shape] as [number, number, number, number], 'float32');
  };
  const tx = toTf(x, [0, 2, 3, 1]);
  const tw = toTf(w, [2, 3, 1, 0]);
  const tr = toTf(r, [0, 2, 3, 1]);
  const tfForward = (): Float32Array => tf.tidy(() => tf.conv2d(tx, tw, 1, 'same').dataSync() as Float32Array);
  const tfForwardGrad = (): Float32Array[] => {
    const { grads } = tf.tidy(() => tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), tr)))([tx, tw]));
    const out = grads.map((g) => g.dataSync() as Float32Array);
    tf.dispose(grads);
    return out;
  };

  // correctness: outputs and both gradients, compared in tfjs's layout
  const back = (t: Tensor, perm: number[]): ArrayLike<number> => toTypedArray(transpose(t, perm));
  const [gx, gw] = adjForwardGrad() as [Tensor, Tensor];
  const [tgx, tgw] = tfForwardGrad() as [Float32Array, Float32Array];
  const checks: Array<[string, number]> = [
    ['output', relErr(back(adjForward(), [0, 2, 3, 1]), tfForward())],
    ['dx', relErr(back(gx, [0, 2, 3, 1]), tgx)],
    ['dw', relErr(back(gw, [2, 3, 1, 0]), tgw)],
  ];
  console.log('adjoint vs tfjs-cpu, relative error (tolerance 1e-4): ' + checks.map(([k, e]) => `${k} ${e.toExponential(2)}`).join(', '));
  for (const [k, e] of checks) if (!(e <= 1e-4)) throw new Error(`conv benchmark: ${k} disagrees (relative ${e}, tolerance 1e-4)`);

  const times = measureRounds([adjForward, adjForwardGrad, tfForward, tfForwardGrad], { minRuns: 10, minTimeMs: 2000 });
  const [aF, aG, tF, tG] = times.map(median) as [number, number, number, number];
  const flops = 2 * N * O * H * H * C * K * K;
  printTable(
    `conv ${K}x${K}, ${C} -> ${O} channels, batch ${N} of ${H}x${H}, SAME, float32 (median ms; GFLOP/s of the forward product)`,
    ['implementation', 'forward ms', 'fwd+grad ms', 'grad/fwd', 'forward GFLOP/s'],
    [
      ['adjoint (im2col + gemm)', aF, aG, (aG / aF).toFixed(2), (flops / aF / 1e6).toFixed(2)],
      ['tfjs cpu (conv2d)', tF, tG, (tG / tF).toFixed(2), (flops / tF / 1e6).toFixed(2)],
    ],
  );
  const speedup = tG / aG;
  console.log(`bar "conv forward+grad at least as fast as tfjs-cpu": ${speedup.toFixed(2)}x — ${speedup >= 1 ? 'MET' : 'NOT MET'}`);
  tf.dispose([tx, tw, tr]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchConv().catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exitCode = 1;
  });
}
