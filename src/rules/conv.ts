/**
 * Convolution and pooling over 1-d and 2-d spatial axes, in JAX's default layout for
 * `lax.conv_general_dilated`: inputs `NCH`/`NCHW` (batch, channels, spatial), kernels `OIH`/`OIHW`
 * (output channels, input channels per group, spatial), outputs `NCH`/`NCHW`. Other dimension
 * numbers (NHWC, ...) are not supported: transpose to this layout first.
 *
 * One linear primitive does the work, `patches` (im2col, JAX's `conv_general_dilated_patches`): it
 * copies every window of the padded, strided, dilated input into its own column, so that a
 * convolution is one matrix product with the kernel (the blocked `gemm` behind `matmul`), max
 * pooling is a `max` over the window axis and average pooling a `mean`. Its transpose, `col2im`, sums
 * the columns back into the image (the primitive under the input gradient). Both are rows of the
 * registry; `conv`, `maxPool` and `avgPool` are compositions, so their derivatives at every order
 * come from `patches`, `matmul` and the reductions, with no rule of their own.
 *
 * @since 0.1.0
 */
import { asTensor } from '../core/creation.js';
import { formatShape, ShapeError } from '../core/errors.js';
import { invalidArgument, parseOptions } from '../core/args.js';
import { bind } from '../core/primitive.js';
import type { Rule } from '../core/rule.js';
import { type Shape, sizeOf } from '../core/shape.js';
import { allocate, dataOf, fromData, type Tensor } from '../core/Tensor.js';
import { rule } from './combinators.js';
import type { Operand } from './elementwise.js';
import { matmul } from './linalg.js';
import { max, mean } from './reduction.js';
import { reshape } from './structure.js';

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

/** Output length of one spatial axis; `undefined` when the window does not fit the padded input. */
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

function patchesShape(op: string, shape: Shape, p: PatchesParams): Shape {
  const [h, w] = shape.slice(-2) as [number, number];
  const oh = outLength(h, p.window[0], p.strides[0], p.padding[0], p.dilation[0]);
  const ow = outLength(w, p.window[1], p.strides[1], p.padding[1], p.dilation[1]);
  if (oh < 1 || ow < 1) throw windowError(op, shape, p);
  return Object.freeze([...shape.slice(0, -2), p.window[0], p.window[1], oh, ow]);
}

/**
 * Walks every (window offset, output position) pair of one image and calls `f(dst, src)` with the
 * column-buffer index and the image index (-1 where the window reads padding). `f` is the copy
 * (`patches`) or the accumulation (`col2im`).
 */
function eachTap(h: number, w: number, oh: number, ow: number, p: PatchesParams, f: (dst: number, src: number) => void): void {
  const [kh, kw] = p.window;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilation;
  const top = p.padding[0][0];
  const left = p.padding[1][0];
  let dst = 0;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      for (let oy = 0; oy < oh; oy++) {
        const iy = oy * sh + ky * dh - top;
        const rowOk = iy >= 0 && iy < h;
        for (let ox = 0; ox < ow; ox++, dst++) {
          const ix = ox * sw + kx * dw - left;
          f(dst, rowOk && ix >= 0 && ix < w ? iy * w + ix : -1);
        }
      }
    }
  }
}

export const patchesP: Rule<PatchesParams> = rule<PatchesParams>({
  name: 'patches',
  // affine in x (the padding value is a constant); its linear part moves entries with coefficient 1
  maskKind: 'linear',
  examples: [
    { args: [{ shape: [2, 2, 4, 5] }], params: { window: [2, 3], strides: [1, 2], padding: [[1, 0], [1, 1]], dilation: [1, 1], value: 0 } },
    { args: [{ shape: [1, 3, 5] }], params: { window: [2, 2], strides: [2, 1], padding: [[0, 0], [0, 1]], dilation: [2, 1], value: 0 } },
  ],
  shape: ([x], p) => {
    if (x!.shape.length < 2) throw new ShapeError('SHAPE_MISMATCH', 'patches', `needs at least 2 axes, got shape ${formatShape(x!.shape)}`);
    return { shape: patchesShape('patches', x!.shape, p), dtype: x!.dtype };
  },
  impl: ([x], p, out) => {
    const [h, w] = x!.shape.slice(-2) as [number, number];
    const [oh, ow] = out.shape.slice(-2) as [number, number];
    const images = sizeOf(x!.shape.slice(0, -2));
    const cols = p.window[0] * p.window[1] * oh * ow;
    const data = allocate(out.dtype, images * cols);
    if (data.length === 0) return fromData(out.shape, out.dtype, data);
    const src = dataOf(x!);
    // one index table for all images: the walk is the same for each
    const table = new Int32Array(cols);
    eachTap(h, w, oh, ow, p, (d, s) => (table[d] = s));
    const value = p.value;
    for (let b = 0; b < images; b++) {
      const inBase = b * h * w;
      const outBase = b * cols;
      for (let d = 0; d < cols; d++) {
        const s = table[d]!;
        data[outBase + d] = s < 0 ? value : src[inBase + s]!;
      }
    }
    return fromData(out.shape, out.dtype, data);
  },
  jvp: (_primals, [xDot], _ans, p) => bind(patchesP, [xDot as Tensor], p.value === 0 ? p : { ...p, value: 0 }),
  vjp: (ct, [x], _ans, p) => [bind(col2imP, [ct], { ...p, value: 0, size: x!.shape.slice(-2) as [number, number] })],
});

// The transpose of patches: every column entry is added back to the pixel it was copied from.
export const col2imP: Rule<Col2imParams> = rule<Col2imParams>({
  name: 'col2im',
  maskKind: 'linear',
  examples: [
    { args: [{ shape: [2, 2, 2, 3, 4, 3] }], params: { window: [2, 3], strides: [1, 2], padding: [[1, 0], [1, 1]], dilation: [1, 1], value: 0, size: [4, 5] } },
  ],
  shape: ([c], p) => {
    const lead = c!.shape.slice(0, -4);
    const want = patchesShape('col2im', [...lead, ...p.size], p);
    if (want.length !== c!.shape.length || want.some((d, i) => d !== c!.shape[i])) {
      throw new ShapeError('SHAPE_MISMATCH', 'col2im', `columns of shape ${formatShape(c!.shape)} do not come from an image of size ${p.size.join('x')} (expected ${formatShape(want)})`);
    }
    return { shape: Object.freeze([...lead, ...p.size]), dtype: c!.dtype };
  },
  impl: ([c], p, out) => {
    const [h, w] = p.size;
    const [oh, ow] = c!.shape.slice(-2) as [number, number];
    const images = sizeOf(out.shape.slice(0, -2));
    const cols = p.window[0] * p.window[1] * oh * ow;
    const data = allocate(out.dtype, images * h * w);
    if (images * cols === 0) return fromData(out.shape, out.dtype, data);
    const src = dataOf(c!);
    const table = new Int32Array(cols);
    eachTap(h, w, oh, ow, p, (d, s) => (table[d] = s));
    for (let b = 0; b < images; b++) {
      const outBase = b * h * w;
      const inBase = b * cols;
      for (let d = 0; d < cols; d++) {
        const s = table[d]!;
        if (s >= 0) data[outBase + s] = data[outBase + s]! + src[inBase + d]!;
      }
    }
    return fromData(out.shape, out.dtype, data);
  },
  jvp: (_primals, [cDot], _ans, p) => bind(col2imP, [cDot as Tensor], p),
  vjp: (ct, _primals, _ans, p) => [bind(patchesP, [ct], { window: p.window, strides: p.strides, padding: p.padding, dilation: p.dilation, value: 0 })],
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

/** A per-axis integer parameter: one number for every spatial axis, or one per axis. */
function parseSpatial(op: string, param: string, v: unknown, d: number, fallback: number, min: number): number[] {
  if (v === undefined) return new Array<number>(d).fill(fallback);
  const list = typeof v === 'number' ? new Array<unknown>(d).fill(v) : v;
  if (!Array.isArray(list) || list.length !== d || list.some((e) => typeof e !== 'number' || !Number.isSafeInteger(e) || e < min)) {
    invalidArgument(op, param, v, `pass an integer of at least ${min}, or an array of ${d} of them (one per spatial axis)`);
  }
  return list as number[];
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
  const ok = Array.isArray(v) && v.length === d && v.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((e) => typeof e === 'number' && Number.isSafeInteger(e) && e >= 0));
  if (!ok) invalidArgument(op, 'padding', v, `pass 'SAME', 'VALID', or ${d} [low, high] pairs of non-negative integers (one per spatial axis)`);
  return (v as Array<[number, number]>).map(([lo, hi]) => [lo, hi]);
}

/** `x` as 4-d (a 1-d spatial input gets a height of 1), with its spatial rank. */
function asImage(op: string, x: Tensor, what: string): { image: Tensor; d: 1 | 2 } {
  if (x.ndim === 4) return { image: x, d: 2 };
  if (x.ndim === 3) return { image: reshape(x, [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!]), d: 1 };
  throw new ShapeError('SHAPE_MISMATCH', op, `${what} has shape ${formatShape(x.shape)}; pass [batch, channels, width] (1-d) or [batch, channels, height, width] (2-d)`);
}

/** Patches of a 4-d image for a `d`-dimensional window given per spatial axis. */
function imagePatches(op: string, image: Tensor, d: 1 | 2, window: number[], strides: number[], padding: Array<[number, number]>, dilation: number[], value: number): Tensor {
  const lift = <T>(v: T[], one: T): [T, T] => (d === 1 ? [one, v[0]!] : [v[0]!, v[1]!]);
  const p: PatchesParams = {
    window: lift(window, 1),
    strides: lift(strides, 1),
    padding: lift(padding, [0, 0] as [number, number]),
    dilation: lift(dilation, 1),
    value,
  };
  patchesShape(op, image.shape, p);
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
  const x = asTensor(op, lhs);
  const w = asTensor(op, rhs);
  const o = parseOptions(op, 'options', options, ['windowStrides', 'padding', 'rhsDilation', 'featureGroupCount']);
  const { image, d } = asImage(op, x, 'lhs');
  if (w.ndim !== x.ndim) {
    throw new ShapeError('SHAPE_MISMATCH', op, `rhs has shape ${formatShape(w.shape)} but lhs has shape ${formatShape(x.shape)}; the kernel is [outChannels, inChannels / featureGroupCount, ...window] with as many window axes as lhs has spatial axes`);
  }
  const groups = o.featureGroupCount === undefined ? 1 : (o.featureGroupCount as number);
  if (typeof groups !== 'number' || !Number.isSafeInteger(groups) || groups < 1) invalidArgument(op, 'featureGroupCount', o.featureGroupCount, 'pass a positive integer');
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
  const cols = imagePatches(op, image, d, window, strides, padding, dilation, 0); // [N, C, kh, kw, oh, ow]
  const [oh, ow] = cols.shape.slice(-2) as [number, number];
  const k = sizeOf(window);
  // [N, G, Cg·K, P] against [G, O/G, Cg·K]: one gemm per (image, group)
  const result = matmul(reshape(w, [groups, out / groups, cg * k]), reshape(cols, [n, groups, cg * k, oh * ow]));
  return reshape(result, d === 1 ? [n, out, ow] : [n, out, oh, ow]);
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

function pool(op: string, x: Operand, windowShape: number | ReadonlyArray<number>, options: PoolOptions, value: number): { windows: Tensor; shape: number[] } {
  const t = asTensor(op, x);
  const o = parseOptions(op, 'options', options, ['strides', 'padding']);
  const { image, d } = asImage(op, t, 'x');
  const window = parseSpatial(op, 'windowShape', windowShape, d, 1, 1);
  const strides = parseSpatial(op, 'strides', o.strides, d, 0, 1);
  if (o.strides === undefined) window.forEach((k, i) => (strides[i] = k));
  const padding = parsePadding(op, o.padding, t.shape.slice(2), window, strides, [1, 1]);
  const cols = imagePatches(op, image, d, window, strides, padding, [1, 1], value);
  const [oh, ow] = cols.shape.slice(-2) as [number, number];
  const [n, c] = [t.shape[0]!, t.shape[1]!];
  return { windows: reshape(cols, [n, c, sizeOf(window), oh * ow]), shape: d === 1 ? [n, c, ow] : [n, c, oh, ow] };
}

/**
 * Max pooling over windows of `windowShape` (an integer for every spatial axis, or one per axis) on
 * `[N, C, W]` or `[N, C, H, W]` inputs, the layout of `conv`. Strides default to the window
 * (non-overlapping windows); `'SAME'` padding pads with -Infinity, so padding is never the maximum.
 * The gradient goes to the maximum of each window, split evenly between ties (as `max`).
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
  const { windows, shape } = pool('maxPool', x, windowShape, options, -Infinity);
  return reshape(max(windows, { axis: 2 }), shape);
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
  const { windows, shape } = pool('avgPool', x, windowShape, options, 0);
  return reshape(mean(windows, { axis: 2 }), shape);
}
