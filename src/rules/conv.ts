/**
 * Convolution and pooling over 1-d and 2-d spatial axes, in JAX's default layout for
 * `lax.conv_general_dilated`: inputs `NCH`/`NCHW` (batch, channels, spatial), kernels `OIH`/`OIHW`
 * (output channels, input channels per group, spatial), outputs `NCH`/`NCHW`. Other dimension
 * numbers (NHWC, ...) are not supported: transpose to this layout first.
 *
 * One linear primitive does the work, `patches` (im2col, JAX's `conv_general_dilated_patches`): it
 * copies every window of the padded, strided, dilated input into its own row (`[N, OH, OW, C, KH,
 * KW]`), so that a convolution of a whole batch is one matrix product with the kernel (the blocked
 * `gemm` behind `matmul`, with every output position of every image as a row), max pooling is a
 * `max` over the window axis and average pooling a `mean`. Its transpose, `col2im`, sums
 * the columns back into the image (the primitive under the input gradient). Both are rows of the
 * registry; `conv` and `avgPool` are compositions, so their derivatives at every order come from
 * `patches`, `matmul` and `mean`, with no rule of their own. `maxPool` gathers each window's maximum
 * with `take` at indices from `poolArgmax` (a row without derivative), so its gradient is `take`'s.
 *
 * @since 0.1.0
 */
import { asTensor } from '../core/creation.js';
import { formatShape, ShapeError } from '../core/errors.js';
import { checkArity, checkSize, invalidArgument, parseInteger, parseOptions } from '../core/args.js';
import { bind } from '../core/primitive.js';
import type { Rule } from '../core/rule.js';
import { type Shape, sizeOf } from '../core/shape.js';
import { allocate, dataOf, fromData, type Tensor } from '../core/Tensor.js';
import { Zero } from '../core/zero.js';
import { toFront } from '../core/batching.js';
import { rule } from './combinators.js';
import { type Operand, sub } from './elementwise.js';
import { matmul } from './linalg.js';
import { mean } from './reduction.js';
import { reshape, take, transpose } from './structure.js';

// ---- patches and col2im ----------------------------------------------------------------------------

/** Static parameters of `patches` and `col2im`, for the last two axes of the input. */
export interface PatchesParams {
  readonly window: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: readonly [readonly [number, number], readonly [number, number]];
  readonly dilation: readonly [number, number];
  /** The value of the padding (0 for convolutions, -Infinity for max pooling). */
  readonly value: number;
}

/** `col2im` also needs the image size the columns came from. */
export interface Col2imParams extends PatchesParams {
  readonly size: readonly [number, number];
}

/** Output length of one spatial axis (below 1 when the window does not fit the padded input). */
function outLength(n: number, k: number, stride: number, [lo, hi]: readonly [number, number], dilation: number): number {
  const span = (k - 1) * dilation + 1;
  return Math.floor((n + lo + hi - span) / stride) + 1;
}

function windowError(op: string, shape: Shape, p: PatchesParams): ShapeError {
  return new ShapeError(
    'SHAPE_MISMATCH',
    op,
    `a window of ${p.window.join('x')} (dilation ${p.dilation.join('x')}) does not fit the spatial size ${shape.slice(-2).join('x')} of an input of shape ${formatShape(shape)} with padding ${JSON.stringify(p.padding)}; use a smaller window or more padding`,
  );
}

/** `[N, C, H, W]` → `[N, OH, OW, C, KH, KW]`: one row of `C·KH·KW` taps per output position. */
function patchesShape(op: string, shape: Shape, p: PatchesParams): Shape {
  if (shape.length !== 4) throw new ShapeError('SHAPE_MISMATCH', op, `needs an input of shape [N, C, H, W], got ${formatShape(shape)}`);
  const [n, c, h, w] = shape as [number, number, number, number];
  const oh = outLength(h, p.window[0], p.strides[0], p.padding[0], p.dilation[0]);
  const ow = outLength(w, p.window[1], p.strides[1], p.padding[1], p.dilation[1]);
  if (oh < 1 || ow < 1) throw windowError(op, shape, p);
  return Object.freeze([n, oh, ow, c, p.window[0], p.window[1]]);
}

/**
 * The image offset (`iy·W + ix`) each (output position, window tap) pair reads, or -1 where it reads
 * padding: the same for every image and channel, so computed once per call.
 */
function tapTable(h: number, w: number, oh: number, ow: number, p: PatchesParams): Int32Array {
  const [kh, kw] = p.window;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilation;
  const top = p.padding[0][0];
  const left = p.padding[1][0];
  const table = new Int32Array(oh * ow * kh * kw);
  let t = 0;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh + ky * dh - top;
        for (let kx = 0; kx < kw; kx++, t++) {
          const ix = ox * sw + kx * dw - left;
          table[t] = iy >= 0 && iy < h && ix >= 0 && ix < w ? iy * w + ix : -1;
        }
      }
    }
  }
  return table;
}

/**
 * Batching rule of the image rows: the lanes are more images, so they are merged into the batch
 * axis for one call and split off again (lanes first).
 */
function batchImages<P>(prim: () => Rule<P>) {
  return (args: ReadonlyArray<Tensor>, dims: ReadonlyArray<number | undefined>, p: P): readonly [Tensor, number] => {
    const x = toFront(args[0]!, dims[0]);
    const [lanes, n] = [x.shape[0]!, x.shape[1]!];
    const out = bind(prim(), [reshape(x, [lanes * n, ...x.shape.slice(2)])], p);
    return [reshape(out, [lanes, n, ...out.shape.slice(1)]), 0];
  };
}

export const patchesP: Rule<PatchesParams> = rule<PatchesParams>({
  name: 'patches',
  batch: batchImages(() => patchesP),
  // affine in x (the padding value is a constant); its linear part moves entries with coefficient 1
  maskKind: 'linear',
  examples: [
    { args: [{ shape: [2, 2, 4, 5] }], params: { window: [2, 3], strides: [1, 2], padding: [[1, 0], [1, 1]], dilation: [1, 1], value: 0 } },
    { args: [{ shape: [1, 1, 3, 5] }], params: { window: [2, 2], strides: [2, 1], padding: [[0, 0], [0, 1]], dilation: [2, 1], value: 0 } },
  ],
  shape: ([x], p) => ({ shape: patchesShape('patches', x!.shape, p), dtype: x!.dtype }),
  impl: ([x], p, out) => {
    const [n, c, h, w] = x!.shape as [number, number, number, number];
    const [, oh, ow] = out.shape as [number, number, number];
    const k = p.window[0] * p.window[1];
    const positions = oh * ow;
    const data = allocate(out.dtype, sizeOf(out.shape));
    if (data.length === 0) return fromData(out.shape, out.dtype, data);
    const src = dataOf(x!);
    const table = tapTable(h, w, oh, ow, p);
    const value = p.value;
    const plane = h * w;
    let o = 0;
    for (let b = 0; b < n; b++) {
      for (let pos = 0; pos < positions; pos++) {
        const taps = pos * k;
        for (let ch = 0; ch < c; ch++) {
          const base = (b * c + ch) * plane;
          for (let j = 0; j < k; j++, o++) {
            const s = table[taps + j]!;
            data[o] = s < 0 ? value : src[base + s]!;
          }
        }
      }
    }
    return fromData(out.shape, out.dtype, data);
  },
  jvp: (_primals, [xDot], _ans, p) => bind(patchesP, [xDot as Tensor], p.value === 0 ? p : { ...p, value: 0 }),
  vjp: (ct, [x], _ans, p) => [bind(col2imP, [ct], { ...p, value: 0, size: x!.shape.slice(-2) as [number, number] })],
});

// The transpose of patches: every tap is added back to the pixel it was copied from.
export const col2imP: Rule<Col2imParams> = rule<Col2imParams>({
  name: 'col2im',
  batch: batchImages(() => col2imP),
  maskKind: 'linear',
  examples: [
    { args: [{ shape: [2, 4, 3, 2, 2, 3] }], params: { window: [2, 3], strides: [1, 2], padding: [[1, 0], [1, 1]], dilation: [1, 1], value: 0, size: [4, 5] } },
  ],
  shape: ([cols], p) => {
    const s = cols!.shape;
    const image = [s[0] ?? 0, s[3] ?? 0, ...p.size];
    const want = patchesShape('col2im', image, p);
    if (want.length !== s.length || want.some((d, i) => d !== s[i])) {
      throw new ShapeError('SHAPE_MISMATCH', 'col2im', `columns of shape ${formatShape(s)} do not come from an image of size ${p.size.join('x')} (expected ${formatShape(want)})`);
    }
    return { shape: Object.freeze(image), dtype: cols!.dtype };
  },
  impl: ([cols], p, out) => {
    const [n, c, h, w] = out.shape as [number, number, number, number];
    const [, oh, ow] = cols!.shape as [number, number, number];
    const k = p.window[0] * p.window[1];
    const positions = oh * ow;
    const data = allocate(out.dtype, sizeOf(out.shape));
    if (data.length === 0 || cols!.size === 0) return fromData(out.shape, out.dtype, data);
    const src = dataOf(cols!);
    const table = tapTable(h, w, oh, ow, p);
    const plane = h * w;
    let i = 0;
    for (let b = 0; b < n; b++) {
      for (let pos = 0; pos < positions; pos++) {
        const taps = pos * k;
        for (let ch = 0; ch < c; ch++) {
          const base = (b * c + ch) * plane;
          for (let j = 0; j < k; j++, i++) {
            const s = table[taps + j]!;
            if (s >= 0) data[base + s] = data[base + s]! + src[i]!;
          }
        }
      }
    }
    return fromData(out.shape, out.dtype, data);
  },
  jvp: (_primals, [cDot], _ans, p) => bind(col2imP, [cDot as Tensor], p),
  vjp: (ct, _primals, _ans, p) => [bind(patchesP, [ct], { window: p.window, strides: p.strides, padding: p.padding, dilation: p.dilation, value: 0 })],
});

/**
 * For each window of a `[N, C, H, W]` input, the flat index (into the whole input) of its maximum:
 * the first one in window order on ties, NaN winning like `max`. Integer-valued, so it has no
 * derivative; `maxPool` gathers the maxima with `take` at these indices, and so gets its gradient
 * from `take` (each window's cotangent goes to its maximum, as JAX's and PyTorch's max pooling).
 */
export const poolArgmaxP: Rule<PatchesParams> = rule<PatchesParams>({
  name: 'poolArgmax',
  // lanes merged into the image batch; each lane's indices then made relative to its own input again
  batch: (args, dims, p) => {
    const x = toFront(args[0]!, dims[0]);
    const lanes = x.shape[0]!;
    const per = sizeOf(x.shape.slice(1));
    const merged = bind(poolArgmaxP, [reshape(x, [lanes * x.shape[1]!, ...x.shape.slice(2)])], p);
    const out = reshape(merged, [lanes, x.shape[1]!, ...merged.shape.slice(1)]);
    const offsets = fromData(Object.freeze([lanes, 1, 1, 1, 1]), 'float64', Float64Array.from({ length: lanes }, (_, l) => l * per));
    return [sub(out, offsets), 0];
  },
  examples: [{ args: [{ shape: [1, 2, 4, 5] }], params: { window: [2, 2], strides: [2, 1], padding: [[0, 1], [1, 0]], dilation: [1, 1], value: -Infinity } }],
  shape: ([x], p) => {
    const [n, oh, ow, c] = patchesShape('poolArgmax', x!.shape, p);
    return { shape: Object.freeze([n!, c!, oh!, ow!]), dtype: 'float64' };
  },
  impl: ([x], p, out) => {
    const [n, c, h, w] = x!.shape as [number, number, number, number];
    const [, , oh, ow] = out.shape as [number, number, number, number];
    const k = p.window[0] * p.window[1];
    const positions = oh * ow;
    const data = new Float64Array(sizeOf(out.shape));
    if (data.length === 0) return fromData(out.shape, 'float64', data);
    const src = dataOf(x!);
    const table = tapTable(h, w, oh, ow, p);
    const plane = h * w;
    let o = 0;
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const base = (b * c + ch) * plane;
        for (let pos = 0; pos < positions; pos++) {
          let best = -1;
          let bestValue = -Infinity;
          for (let j = pos * k, end = j + k; j < end; j++) {
            const s = table[j]!;
            if (s < 0) continue;
            const v = src[base + s]!;
            if (best < 0 || v > bestValue || (v !== v && bestValue === bestValue)) [best, bestValue] = [s, v];
          }
          data[o++] = base + best;
        }
      }
    }
    return fromData(out.shape, 'float64', data);
  },
  jvp: () => Zero, // integer-valued: no derivative
  vjp: () => [Zero],
});

// ---- the boundary: spatial arguments -------------------------------------------------------------

/**
 * Padding of a convolution or pooling: `'VALID'` (none), `'SAME'` (the output has
 * `ceil(size / stride)` positions; the extra goes after, as JAX), or explicit `[low, high]` pairs,
 * one per spatial axis.
 *
 * @category convolution
 * @since 0.1.0
 */
export type Padding = 'SAME' | 'VALID' | ReadonlyArray<readonly [number, number]>;

/** A per-axis integer parameter: one integer for every spatial axis, or an array of one per axis. */
function parseSpatial(op: string, param: string, v: unknown, d: number, fallback: number, min: number): number[] {
  if (v === undefined) return new Array<number>(d).fill(fallback);
  if (typeof v === 'number') return new Array<number>(d).fill(parseInteger(op, param, v, { min }));
  if (!Array.isArray(v) || v.length !== d) invalidArgument(op, param, v, `pass an integer of at least ${min}, or an array of ${d} of them (one per spatial axis)`);
  return Array.from(v, (e: unknown, i) => parseInteger(op, `${param}[${i}]`, e, { min }));
}

function parsePadding(op: string, v: unknown, sizes: ReadonlyArray<number>, window: ReadonlyArray<number>, strides: ReadonlyArray<number>, dilation: ReadonlyArray<number>): Array<[number, number]> {
  const d = sizes.length;
  if (v === undefined || v === 'VALID') return sizes.map(() => [0, 0]);
  if (v === 'SAME') {
    return sizes.map((n, i) => {
      const out = Math.ceil(n / strides[i]!);
      const span = (window[i]! - 1) * dilation[i]! + 1;
      const total = Math.max((out - 1) * strides[i]! + span - n, 0);
      const lo = Math.floor(total / 2);
      return [lo, total - lo];
    });
  }
  const want = `pass 'SAME', 'VALID', or ${d} [low, high] pairs of non-negative integers (one per spatial axis)`;
  if (!Array.isArray(v) || v.length !== d) invalidArgument(op, 'padding', v, want);
  return Array.from(v, (pair: unknown, i): [number, number] => {
    if (!Array.isArray(pair) || pair.length !== 2) invalidArgument(op, `padding[${i}]`, pair, want);
    return [parseInteger(op, `padding[${i}][0]`, pair[0], { min: 0 }), parseInteger(op, `padding[${i}][1]`, pair[1], { min: 0 })];
  });
}

/** `x` as 4-d (a 1-d spatial input gets a height of 1), with its spatial rank. */
function asImage(op: string, x: Tensor, what: string): { image: Tensor; d: 1 | 2 } {
  if (x.ndim === 4) return { image: x, d: 2 };
  if (x.ndim === 3) return { image: reshape(x, [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!]), d: 1 };
  throw new ShapeError('SHAPE_MISMATCH', op, `${what} has shape ${formatShape(x.shape)}; pass [batch, channels, width] (1-d) or [batch, channels, height, width] (2-d)`);
}

/** Patches of a 4-d image for a `d`-dimensional window given per spatial axis. */
function imagePatches(op: string, image: Tensor, d: 1 | 2, window: number[], strides: number[], padding: Array<[number, number]>, dilation: number[], value: number): Tensor {
  // (1-d inputs come here with a height of 1 and a window of height 1)
  const lift = <T>(v: T[], one: T): [T, T] => (d === 1 ? [one, v[0]!] : [v[0]!, v[1]!]);
  const p: PatchesParams = {
    window: lift(window, 1),
    strides: lift(strides, 1),
    padding: lift(padding, [0, 0] as [number, number]),
    dilation: lift(dilation, 1),
    value,
  };
  checkSize(op, patchesShape(op, image.shape, p));
  return bind(patchesP, [image], p);
}

// ---- conv ----------------------------------------------------------------------------------------

/**
 * Options of `conv`, named as in `jax.lax.conv_general_dilated`.
 *
 * @category convolution
 * @since 0.1.0
 */
export interface ConvOptions {
  /** Step between windows: one integer for every spatial axis or one per axis (default 1). */
  readonly windowStrides?: number | ReadonlyArray<number>;
  /** `'VALID'` (default), `'SAME'` or explicit `[low, high]` pairs. */
  readonly padding?: Padding;
  /** Kernel dilation (atrous convolution): gaps of `rhsDilation - 1` between taps (default 1). */
  readonly rhsDilation?: number | ReadonlyArray<number>;
  /** Feature groups: input and output channels are split into this many independent groups (default 1; the number of input channels for a depthwise convolution). */
  readonly featureGroupCount?: number;
}

/**
 * N-d convolution (1-d or 2-d), as `jax.lax.conv_general_dilated` with its default dimension numbers:
 * `lhs` is `[N, C, W]` or `[N, C, H, W]`, `rhs` is `[O, C / featureGroupCount, KW]` or
 * `[O, C / featureGroupCount, KH, KW]`, and the result is `[N, O, ...]` (NCHW / OIHW / NCHW). Like
 * JAX (and every deep-learning library), it computes a cross-correlation: the kernel is not flipped.
 * `O` must be a multiple of `featureGroupCount`. Other layouts: transpose to this one.
 *
 * Computed as im2col (`patches`) followed by one blocked matrix product per group; derivatives with
 * respect to both operands, to any order, come from those primitives.
 *
 * Errors: `SHAPE_MISMATCH` for ranks, channel counts or a window larger than the padded input;
 * `INVALID_ARGUMENT` / `UNKNOWN_OPTION` for bad options.
 * @example
 * import { conv, tensor, toArray } from 'adjoint'
 * const x = tensor([[[1, 2, 3, 4, 5]]])            // [N=1, C=1, W=5]
 * const k = tensor([[[1, 0, -1]]])                 // [O=1, I=1, KW=3]
 * assert.deepEqual(toArray(conv(x, k)), [[[-2, -2, -2]]])
 * assert.deepEqual(toArray(conv(x, k, { padding: 'SAME', windowStrides: 2 })), [[[-2, -2, 4]]])
 * @category convolution
 * @since 0.1.0
 */
export function conv(lhs: Operand, rhs: Operand, options: ConvOptions = {}): Tensor {
  const op = 'conv';
  checkArity(op, arguments.length, 3, 'conv(lhs, rhs, { windowStrides, padding, rhsDilation, featureGroupCount }?)');
  const x = asTensor(op, lhs);
  const w = asTensor(op, rhs);
  const o = parseOptions(op, 'options', options, ['windowStrides', 'padding', 'rhsDilation', 'featureGroupCount']);
  const { image, d } = asImage(op, x, 'lhs');
  if (w.ndim !== x.ndim) {
    throw new ShapeError('SHAPE_MISMATCH', op, `rhs has shape ${formatShape(w.shape)} but lhs has shape ${formatShape(x.shape)}; the kernel is [outChannels, inChannels / featureGroupCount, ...window] with as many window axes as lhs has spatial axes`);
  }
  const groups = o.featureGroupCount === undefined ? 1 : parseInteger(op, 'featureGroupCount', o.featureGroupCount, { min: 1 });
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  const [out, cg] = [w.shape[0]!, w.shape[1]!];
  if (cg * groups !== c || out % groups !== 0) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      op,
      `lhs has ${c} channels and rhs has shape ${formatShape(w.shape)} with featureGroupCount ${groups}; rhs.shape[1] × featureGroupCount must equal the input channels and rhs.shape[0] must be a multiple of featureGroupCount`,
    );
  }
  const window = w.shape.slice(2) as number[];
  const strides = parseSpatial(op, 'windowStrides', o.windowStrides, d, 1, 1);
  const dilation = parseSpatial(op, 'rhsDilation', o.rhsDilation, d, 1, 1);
  const padding = parsePadding(op, o.padding, x.shape.slice(2), window, strides, dilation);
  const cols = imagePatches(op, image, d, window, strides, padding, dilation, 0); // [N, OH, OW, C, KH, KW]
  const [, oh, ow] = cols.shape as [number, number, number];
  const k = sizeOf(window);
  const positions = n * oh * ow;
  let result: Tensor; // [N·OH·OW, O]
  if (groups === 1) {
    // every output position of every image at once: one gemm [N·P, C·K] · [C·K, O]
    result = matmul(reshape(cols, [positions, c * k]), transpose(reshape(w, [out, c * k])));
  } else {
    // [G, N·P, Cg·K] · [G, Cg·K, O/G]: one gemm per group
    const grouped = transpose(reshape(cols, [positions, groups, cg * k]), [1, 0, 2]);
    const kernels = transpose(reshape(w, [groups, out / groups, cg * k]), [0, 2, 1]);
    result = reshape(transpose(matmul(grouped, kernels), [1, 0, 2]), [positions, out]);
  }
  const nchw = transpose(reshape(result, [n, oh, ow, out]), [0, 3, 1, 2]);
  return d === 1 ? reshape(nchw, [n, out, ow]) : nchw;
}

// ---- pooling -------------------------------------------------------------------------------------

/**
 * Options of `maxPool` and `avgPool`.
 *
 * @category convolution
 * @since 0.1.0
 */
export interface PoolOptions {
  /** Step between windows, per spatial axis (default: the window, i.e. non-overlapping windows). */
  readonly strides?: number | ReadonlyArray<number>;
  /** `'VALID'` (default), `'SAME'` or explicit `[low, high]` pairs. */
  readonly padding?: Padding;
}

function poolWindows(op: string, nargs: number, x: Operand, windowShape: number | ReadonlyArray<number>, options: PoolOptions): { image: Tensor; d: 1 | 2; p: PatchesParams; shape: number[] } {
  checkArity(op, nargs, 3, `${op}(x, windowShape, { strides, padding }?)`);
  const t = asTensor(op, x);
  const o = parseOptions(op, 'options', options, ['strides', 'padding']);
  const { image, d } = asImage(op, t, 'x');
  const window = parseSpatial(op, 'windowShape', windowShape, d, 1, 1);
  const strides = parseSpatial(op, 'strides', o.strides, d, 0, 1);
  if (o.strides === undefined) window.forEach((k, i) => (strides[i] = k));
  const padding = parsePadding(op, o.padding, t.shape.slice(2), window, strides, [1, 1]);
  // a window made only of padding would have no element to pool
  padding.forEach(([lo, hi], i) => {
    if (lo >= window[i]! || hi >= window[i]!) invalidArgument(op, 'padding', o.padding, `pad each side by less than the window (${window.join('x')})`);
  });
  const lift = <T>(v: T[], one: T): [T, T] => (d === 1 ? [one, v[0]!] : [v[0]!, v[1]!]);
  const p: PatchesParams = { window: lift(window, 1), strides: lift(strides, 1), padding: lift(padding, [0, 0] as [number, number]), dilation: [1, 1], value: 0 };
  const [n, oh, ow, c] = patchesShape(op, image.shape, p);
  checkSize(op, [n!, oh!, ow!, c!, p.window[0] * p.window[1]]);
  return { image, d, p, shape: d === 1 ? [n!, c!, ow!] : [n!, c!, oh!, ow!] };
}

/**
 * Max pooling over windows of `windowShape` (an integer for every spatial axis, or one per axis) on
 * `[N, C, W]` or `[N, C, H, W]` inputs, the layout of `conv`. Strides default to the window
 * (non-overlapping windows); padding is never the maximum (as if it were -Infinity), and must be
 * smaller than the window on each side. The gradient of each window goes to its maximum, the first
 * one in the window on ties (as JAX's and PyTorch's max pooling; `max` splits ties instead).
 *
 * Errors: `SHAPE_MISMATCH` for a rank other than 3 or 4 or a window larger than the padded input.
 * @example
 * import { maxPool, tensor, toArray } from 'adjoint'
 * const x = tensor([[[[1, 2, 5, 6], [3, 4, 7, 8]]]])   // [1, 1, 2, 4]
 * assert.deepEqual(toArray(maxPool(x, 2)), [[[[4, 8]]]])
 * assert.deepEqual(toArray(maxPool(tensor([[[1, 3, 2]]]), 2, { strides: 1 })), [[[3, 3]]])
 * @category convolution
 * @since 0.1.0
 */
export function maxPool(x: Operand, windowShape: number | ReadonlyArray<number>, options: PoolOptions = {}): Tensor {
  const { image, p, shape } = poolWindows('maxPool', arguments.length, x, windowShape, options);
  // gather each window's maximum: take's transpose (scatterAdd) routes the gradient, at any order
  const at = bind(poolArgmaxP, [image], p);
  return reshape(take(reshape(image, [-1]), at), shape);
}

/**
 * Average pooling over windows of `windowShape` on `[N, C, W]` or `[N, C, H, W]` inputs, the layout
 * of `conv`. Strides default to the window. With `'SAME'` padding the padded zeros count in the
 * average (flax's and PyTorch's default, `count_include_pad`).
 *
 * Errors: `SHAPE_MISMATCH` for a rank other than 3 or 4 or a window larger than the padded input.
 * @example
 * import { avgPool, tensor, toArray } from 'adjoint'
 * const x = tensor([[[[1, 2, 5, 6], [3, 4, 7, 8]]]])
 * assert.deepEqual(toArray(avgPool(x, [2, 2])), [[[[2.5, 6.5]]]])
 * @category convolution
 * @since 0.1.0
 */
export function avgPool(x: Operand, windowShape: number | ReadonlyArray<number>, options: PoolOptions = {}): Tensor {
  const { image, p, shape } = poolWindows('avgPool', arguments.length, x, windowShape, options);
  const cols = bind(patchesP, [image], p); // [N, OH, OW, C, KH, KW]
  const [n, oh, ow, c] = cols.shape as [number, number, number, number];
  const means = mean(reshape(cols, [n, oh, ow, c, p.window[0] * p.window[1]]), { axis: 4 });
  return reshape(transpose(means, [0, 3, 1, 2]), shape);
}
