/**
 * Loops over buffers: elementwise maps with NumPy broadcasting, reductions, and strided copies (the
 * one loop behind transpose, broadcastTo and slice). Rules call these from their `impl`; nothing here
 * knows about tracers or derivatives. Each loop writes only the fresh output buffer it allocates.
 *
 * Fast paths first: equal shapes and scalar operands are flat loops, 0-d results never allocate a
 * buffer. The general broadcasting path walks the output once with per-operand strides (0 on
 * broadcast dimensions).
 *
 * This is also where the backend is chosen (see backend.ts): a map whose row names its kernel
 * (`mapUnary(x, dtype, f, 'exp')`), a sum, or a matmul goes to the WebAssembly kernels when they
 * are active, the WebAssembly set has that kernel, and the work is at least `wasmLimits`; everything
 * else, 0-d work always, runs the loops below.
 *
 * @since 0.1.0
 */
import { wasmActive, wasmLimits } from './backend.js';
import * as wasm from './backends/wasm/module.js';
import { gemm as jsGemm } from './matmul.js';
import { type Shape, sameShape, sizeOf, stridesOf } from './shape.js';
import { allocate, dataOf, type DType, type FloatArray, fromData, makeScalar, scalarOf, type Tensor } from './Tensor.js';

/** Strides of `shape` seen from an output of rank `ndim`, 0 where the operand is broadcast. */
function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const ndim = outShape.length;
  const strides = stridesOf(shape);
  const out = new Array<number>(ndim).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const j = ndim - shape.length + i;
    out[j] = shape[i] === 1 && outShape[j] !== 1 ? 0 : strides[i]!;
  }
  return out;
}

/**
 * Copies a strided view of `src` into a fresh row-major buffer of `outShape`: element `idx` of the
 * output is `src[offset + sum(idx[i] * strides[i])]`.
 */
export function stridedCopy(src: FloatArray, offset: number, strides: ReadonlyArray<number>, outShape: Shape, out: FloatArray): void {
  const ndim = outShape.length;
  const size = out.length;
  if (size === 0) return;
  if (ndim === 0) {
    out[0] = src[offset]!;
    return;
  }
  const inner = outShape[ndim - 1]!;
  const innerStride = strides[ndim - 1]!;
  const idx = new Array<number>(ndim).fill(0);
  let base = offset;
  for (let o = 0; o < size; o += inner) {
    if (innerStride === 1) for (let i = 0; i < inner; i++) out[o + i] = src[base + i]!;
    else if (innerStride === 0) out.fill(src[base]!, o, o + inner);
    else for (let i = 0, s = base; i < inner; i++, s += innerStride) out[o + i] = src[s]!;
    // advance the outer multi-index (odometer), keeping `base` in step
    for (let d = ndim - 2; d >= 0; d--) {
      idx[d]!++;
      base += strides[d]!;
      if (idx[d]! < outShape[d]!) break;
      base -= idx[d]! * strides[d]!;
      idx[d] = 0;
    }
  }
}

/** `x` materialised at `outShape` (NumPy broadcasting). Returns `x` itself when shapes agree. */
export function broadcastData(x: Tensor, outShape: Shape): FloatArray {
  if (sameShape(x.shape, outShape)) return dataOf(x);
  const out = allocate(x.dtype, sizeOf(outShape));
  stridedCopy(dataOf(x), 0, broadcastStrides(x.shape, outShape), outShape, out);
  return out;
}

/**
 * Applies `f` to every element. `kernel` names the primitive whose kernel `f` is, so the WebAssembly
 * set can run its own version of it (see `UNARY_OPS` in backends/wasm/module.ts).
 */
export function mapUnary(x: Tensor, dtype: DType, f: (v: number) => number, kernel?: string): Tensor {
  if (x.ndim === 0) return makeScalar(f(scalarOf(x)), dtype);
  const src = dataOf(x);
  const n = src.length;
  if (kernel !== undefined && n >= wasmLimits.elements && n <= wasmLimits.maxElements && wasmActive()) {
    const op = wasm.UNARY_OPS[kernel];
    if (op !== undefined && (n >= wasmLimits.approximate || !wasm.APPROXIMATE_OPS.has(op))) {
      return fromData(x.shape, dtype, wasm.unary(op, src, dtype === 'float64'));
    }
  }
  const out = allocate(dtype, n);
  for (let i = 0; i < n; i++) out[i] = f(src[i]!);
  return fromData(x.shape, dtype, out);
}

/** Applies `f` elementwise with NumPy broadcasting to `outShape`; `kernel` as for `mapUnary`. */
export function mapBinary(a: Tensor, b: Tensor, outShape: Shape, dtype: DType, f: (x: number, y: number) => number, kernel?: string): Tensor {
  if (outShape.length === 0) return makeScalar(f(scalarOf(a), scalarOf(b)), dtype);
  const n = sizeOf(outShape);
  if (kernel !== undefined && n >= wasmLimits.elements && n <= wasmLimits.maxElements && wasmActive()) {
    const op = wasm.BINARY_OPS[kernel];
    const out = op === undefined ? undefined : wasmBinary(op, a, b, outShape, dtype);
    if (out !== undefined) return fromData(outShape, dtype, out);
  }
  const out = allocate(dtype, n);
  if (a.size === n && b.size === n) {
    // equal sizes at the output's size means equal shapes here: no broadcasting to undo
    const x = dataOf(a);
    const y = dataOf(b);
    for (let i = 0; i < n; i++) out[i] = f(x[i]!, y[i]!);
  } else if (b.size === 1 && a.size === n) {
    const x = dataOf(a);
    const s = scalarOf(b);
    for (let i = 0; i < n; i++) out[i] = f(x[i]!, s);
  } else if (a.size === 1 && b.size === n) {
    const s = scalarOf(a);
    const y = dataOf(b);
    for (let i = 0; i < n; i++) out[i] = f(s, y[i]!);
  } else if (n > 0) {
    const x = broadcastData(a, outShape);
    const y = broadcastData(b, outShape);
    for (let i = 0; i < n; i++) out[i] = f(x[i]!, y[i]!);
  }
  return fromData(outShape, dtype, out);
}

/**
 * A broadcast binary op on the WebAssembly kernels, which take an outer x inner grid with inner
 * strides 0 or 1 per operand. Output dimensions are merged where both operands allow it; a layout
 * that does not reduce to two dimensions (e.g. [2, 1, 3] with [1, 4, 1]) returns undefined, for JS.
 */
function wasmBinary(op: number, a: Tensor, b: Tensor, outShape: Shape, dtype: DType): FloatArray | undefined {
  const n = sizeOf(outShape);
  const wide = dtype === 'float64';
  if (a.size === n && b.size === n) return wasm.binary(op, 1, n, dataOf(a), 0, 1, dataOf(b), 0, 1, wide);
  if (b.size === 1 && a.size === n) return wasm.binary(op, 1, n, dataOf(a), 0, 1, dataOf(b), 0, 0, wide);
  if (a.size === 1 && b.size === n) return wasm.binary(op, 1, n, dataOf(a), 0, 0, dataOf(b), 0, 1, wide);
  const sa = broadcastStrides(a.shape, outShape);
  const sb = broadcastStrides(b.shape, outShape);
  // (size, stride in a, stride in b) per dimension, size-1 dimensions dropped, mergeable neighbours merged
  const dims: Array<[number, number, number]> = [];
  for (let d = 0; d < outShape.length; d++) {
    const size = outShape[d]!;
    if (size === 1) continue;
    const last = dims[dims.length - 1];
    if (last !== undefined && last[1] === sa[d]! * size && last[2] === sb[d]! * size) {
      last[0] *= size;
      last[1] = sa[d]!;
      last[2] = sb[d]!;
    } else dims.push([size, sa[d]!, sb[d]!]);
  }
  if (dims.length > 2) return undefined;
  const [outer, aos, bos] = dims.length === 2 ? dims[0]! : [1, 0, 0];
  const [inner, ais, bis] = dims[dims.length - 1] ?? [1, 0, 0];
  if (ais > 1 || bis > 1) return undefined;
  return wasm.binary(op, outer, inner, dataOf(a), aos, ais, dataOf(b), bos, bis, wide);
}

/** Applies `f` elementwise to three broadcast operands (used by `where`). */
export function mapTernary(
  a: Tensor,
  b: Tensor,
  c: Tensor,
  outShape: Shape,
  dtype: DType,
  f: (x: number, y: number, z: number) => number,
): Tensor {
  if (outShape.length === 0) return makeScalar(f(scalarOf(a), scalarOf(b), scalarOf(c)), dtype);
  const n = sizeOf(outShape);
  const out = allocate(dtype, n);
  const x = broadcastData(a, outShape);
  const y = broadcastData(b, outShape);
  const z = broadcastData(c, outShape);
  for (let i = 0; i < n; i++) out[i] = f(x[i]!, y[i]!, z[i]!);
  return fromData(outShape, dtype, out);
}

/** How a reduction folds elements: start value, and the fold; `kernel: 'sum'` marks the sum (see `mapUnary`). */
export interface Reducer {
  readonly init: number;
  readonly step: (acc: number, v: number) => number;
  readonly kernel?: 'sum';
}

/**
 * Folds `x` over `axes` (sorted, distinct) with `reducer`, giving a tensor of `outShape` (the
 * reduced shape, with or without kept dims: the element order is the same).
 */
export function reduce(x: Tensor, axes: ReadonlyArray<number>, outShape: Shape, dtype: DType, reducer: Reducer): Tensor {
  const shape = x.shape;
  const ndim = shape.length;
  const src = dataOf(x);
  const outSize = sizeOf(outShape);
  if (reducer.kernel === 'sum' && src.length >= wasmLimits.elements && src.length <= wasmLimits.maxElements && wasmActive() && x.dtype === dtype) {
    const out = wasmSum(shape, axes, src);
    if (out !== undefined) return fromData(outShape, dtype, out);
  }
  const acc = new Float64Array(outSize).fill(reducer.init);
  const step = reducer.step;
  if (src.length > 0) {
    // output strides seen from the input: 0 along reduced axes
    const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const keptStrides = stridesOf(kept);
    const strides = shape.map((_, i) => (axes.includes(i) ? 0 : keptStrides[i]!));
    const inner = ndim === 0 ? 1 : shape[ndim - 1]!;
    const innerStride = ndim === 0 ? 0 : strides[ndim - 1]!;
    const idx = new Array<number>(ndim).fill(0);
    let base = 0;
    for (let o = 0; o < src.length; o += inner) {
      if (innerStride === 0) {
        let a = acc[base]!;
        for (let i = 0; i < inner; i++) a = step(a, src[o + i]!);
        acc[base] = a;
      } else {
        for (let i = 0; i < inner; i++) acc[base + i] = step(acc[base + i]!, src[o + i]!);
      }
      for (let d = ndim - 2; d >= 0; d--) {
        idx[d]!++;
        base += strides[d]!;
        if (idx[d]! < shape[d]!) break;
        base -= idx[d]! * strides[d]!;
        idx[d] = 0;
      }
    }
  }
  if (outShape.length === 0) return makeScalar(acc[0]!, dtype);
  return fromData(outShape, dtype, dtype === 'float64' ? acc : Float32Array.from(acc));
}

/**
 * A sum over a contiguous block of axes that leaves a non-reduced last axis (x viewed as outer x r x
 * inner, inner > 1), on the WebAssembly kernels: vectorised across the inner axis, each output summed
 * in the same order as the JS loop, so the results are the same bit for bit. Anything else
 * (reducing the last axis, scattered axes) returns undefined, for JS.
 */
function wasmSum(shape: Shape, axes: ReadonlyArray<number>, src: FloatArray): FloatArray | undefined {
  if (axes.length === 0) return undefined;
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  if (last - first + 1 !== axes.length || last === shape.length - 1) return undefined;
  let outer = 1, r = 1, inner = 1;
  for (let d = 0; d < shape.length; d++) {
    if (d < first) outer *= shape[d]!;
    else if (d <= last) r *= shape[d]!;
    else inner *= shape[d]!;
  }
  return inner > 1 ? wasm.sum(outer, r, inner, src) : undefined;
}

/**
 * C[m x n] = A · B: the matmul kernel rules call, with the arguments of `gemm` in matmul.ts (the JS
 * kernel). Products of at least `wasmLimits.flops` multiply-adds with m, n >= 2 (and non-negative
 * strides, as rules produce) run on the WebAssembly kernels when active.
 *
 * @internal
 */
export function gemm(
  m: number, n: number, k: number,
  a: FloatArray, aOffset: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOffset: number, bRowStride: number, bColStride: number,
  out: FloatArray, outOffset: number,
): void {
  if (
    m >= 2 && n >= 2 && k >= 1 && m * n * k >= wasmLimits.flops && m * k + k * n + m * n <= wasmLimits.maxElements &&
    aRowStride >= 0 && aColStride >= 0 && bRowStride >= 0 && bColStride >= 0 && wasmActive() &&
    (out instanceof Float64Array || (a instanceof Float32Array && b instanceof Float32Array))
  ) {
    wasm.gemm(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, out, outOffset);
  } else {
    jsGemm(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride, out, outOffset);
  }
}

/** The dtype two operands promote to: equal dtypes stay, mixed ones become float64. */
export function promote(a: DType, b: DType): DType {
  return a === b ? a : 'float64';
}
