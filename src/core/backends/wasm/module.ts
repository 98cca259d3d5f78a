/**
 * The WebAssembly kernel set: loading the module compiled from ./assembly (embedded as base64 by
 * scripts/build-wasm.mjs), its memory, and one wrapper per kernel that copies operands in, runs the
 * kernel and copies the result out. Nothing here knows about tensors; src/core/kernels.ts decides
 * what is sent here.
 *
 * Loading: at import, the module is validated (which is how a runtime without WebAssembly SIMD is
 * detected) and compiled synchronously where the platform allows it (Node, workers). Chromium's
 * main thread refuses to compile a module over 4 KB synchronously; there compilation continues
 * asynchronously and the plain-JS kernels run until it is done (`ready()` resolves then).
 *
 * Memory: tensors keep their own JS buffers (growing WebAssembly memory detaches every view of it,
 * so it cannot hold them). Each kernel call copies each operand in once and its result out once,
 * into an arena that is reset at the start of the next call: the memory grows to the largest single
 * call's working set and no further, however many calls are made. WebAssembly memory never shrinks.
 *
 * @since 0.1.0
 */
import { WASM_BASE64 } from './binary.generated.js';

/**
 * The part of the WebAssembly JS API used here, typed locally: the project compiles without the DOM
 * library, and Node's types declare only part of it.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance {
  readonly exports: unknown;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: WasmInstance }>;
}
const WA = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** The raw exports of the compiled module (pointers are byte addresses, strides in elements). */
interface Exports {
  readonly memory: WasmMemory;
  readonly SCRATCH_F32: { readonly value: number };
  readonly SCRATCH_F64: { readonly value: number };
  gemm_f32(m: number, n: number, k: number, a: number, ars: number, acs: number, b: number, brs: number, bcs: number, c: number, scratch: number): void;
  gemm_f64(m: number, n: number, k: number, a: number, ars: number, acs: number, b: number, brs: number, bcs: number, c: number, scratch: number): void;
  unary_f64(op: number, x: number, out: number, n: number): void;
  unary_f32(op: number, x: number, out: number, n: number): void;
  binary_f64(op: number, outer: number, inner: number, a: number, aos: number, ais: number, b: number, bos: number, bis: number, out: number): void;
  binary_f32(op: number, outer: number, inner: number, a: number, aos: number, ais: number, b: number, bos: number, bis: number, out: number): void;
  sum_f64(outer: number, r: number, inner: number, x: number, out: number): void;
  sum_f32(outer: number, r: number, inner: number, x: number, out: number, acc: number): void;
}

type FloatArray = Float64Array | Float32Array;

/**
 * Op codes of the unary and binary kernels, by primitive name (the same numbering as
 * ./assembly/elementwise.ts). A primitive not listed here always runs in JS.
 */
export const UNARY_OPS: Readonly<Record<string, number>> = Object.freeze({
  neg: 0, abs: 1, square: 2, sqrt: 3, exp: 4, tanh: 5, sigmoid: 6, relu: 7, expm1: 8,
});
/** The unary ops computed by vector formulas (within a few ulp of Math.*, not bit for bit): exp, tanh, sigmoid, expm1. */
export const APPROXIMATE_OPS: ReadonlySet<number> = new Set([4, 5, 6, 8]);
export const BINARY_OPS: Readonly<Record<string, number>> = Object.freeze({
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, mulStrongZero: 6,
  greater: 7, greaterEqual: 8, less: 9, lessEqual: 10, equal: 11, notEqual: 12,
});

/** Loading state: 'loading' only while an asynchronous compilation is in flight. */
export type LoadState = 'loading' | 'ready' | 'unavailable';

let exports: Exports | undefined;
let state: LoadState = 'unavailable';
let whyUnavailable = 'not loaded';
let loading: Promise<void> = Promise.resolve();
const listeners: Array<() => void> = [];

const PAGE = 65536;
/** Start of the arena: after the scratch space the gemm kernels pack into (the larger of the two). */
let arenaBase = 0;
let top = 0;
let f64: Float64Array = new Float64Array(0);
let f32: Float32Array = new Float32Array(0);

function decode(base64: string): Uint8Array {
  const s = atob(base64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

/** The host functions the kernels call for lanes outside their vector formulas' range. */
const imports = { env: { exp: Math.exp, expm1: Math.expm1 } };

function install(instance: WasmInstance): void {
  exports = instance.exports as unknown as Exports;
  const scratch = Math.max(exports.SCRATCH_F32.value, exports.SCRATCH_F64.value);
  arenaBase = (scratch + 63) & ~63;
  top = arenaBase;
  refreshViews();
  state = 'ready';
  for (const f of listeners) f();
}

function refreshViews(): void {
  const buffer = exports!.memory.buffer;
  f64 = new Float64Array(buffer);
  f32 = new Float32Array(buffer);
}

function load(): void {
  if (WA === undefined || typeof atob !== 'function') {
    whyUnavailable = 'this runtime has no WebAssembly';
    return;
  }
  const bytes = decode(WASM_BASE64);
  // validate() is how a runtime without SIMD (or another feature the module uses) is detected
  if (!WA.validate(bytes)) {
    whyUnavailable = 'this runtime does not support WebAssembly SIMD';
    return;
  }
  try {
    install(new WA.Instance(new WA.Module(bytes), imports));
    return;
  } catch (e) {
    // Chromium's main thread refuses synchronous compilation over 4 KB (a RangeError): compile asynchronously.
    if (!(e instanceof RangeError)) {
      whyUnavailable = `WebAssembly instantiation failed: ${e instanceof Error ? e.message : String(e)}`;
      return;
    }
  }
  state = 'loading';
  loading = WA.instantiate(bytes, imports).then(
    ({ instance }) => install(instance),
    (e: unknown) => {
      state = 'unavailable';
      whyUnavailable = `WebAssembly instantiation failed: ${e instanceof Error ? e.message : String(e)}`;
    },
  );
}

load();

/** Whether the kernels can run now, are still compiling, or cannot run in this runtime. */
export function loadState(): LoadState {
  return state;
}

/** Why the kernels cannot run (meaningful when `loadState()` is 'unavailable'). */
export function unavailableReason(): string {
  return whyUnavailable;
}

/** Settles when loading has finished, successfully or not. */
export function loaded(): Promise<void> {
  return loading;
}

/** Calls `f` when an asynchronous load completes. */
export function onReady(f: () => void): void {
  listeners.push(f);
}

/** Bytes of WebAssembly memory in use (it grows to the largest call's working set, then stays). */
export function memoryBytes(): number {
  return exports === undefined ? 0 : exports.memory.buffer.byteLength;
}

// ---- the arena ---------------------------------------------------------------------------------

let calls = 0;

/** Kernel calls made so far (tests check that 0-d work never crosses into WebAssembly). */
export function callCount(): number {
  return calls;
}

/** Starts a kernel call: frees everything the previous call allocated. */
function reset(): void {
  calls++;
  top = arenaBase;
}

/** A 16-byte aligned region of `bytes`, padded by a vector so whole-vector loops stay inside it. */
function alloc(bytes: number): number {
  const p = top;
  top = p + ((bytes + 15) & ~15) + 16;
  const have = exports!.memory.buffer.byteLength;
  if (top > have) {
    exports!.memory.grow(Math.ceil((top - have) / PAGE));
    refreshViews();
  }
  return p;
}

/** Copies `src` into a fresh region as float64 (or float32), converting if its type differs. */
function copyIn(src: FloatArray, wide: boolean, from = 0, to = src.length): number {
  const p = alloc((to - from) * (wide ? 8 : 4));
  const part = from === 0 && to === src.length ? src : src.subarray(from, to);
  if (wide) f64.set(part, p >> 3);
  else f32.set(part, p >> 2);
  return p;
}

/** A fresh JS array holding `n` elements at `p`. */
function copyOut(p: number, n: number, wide: boolean): FloatArray {
  return wide ? f64.slice(p >> 3, (p >> 3) + n) : f32.slice(p >> 2, (p >> 2) + n);
}

// ---- kernels -----------------------------------------------------------------------------------

/**
 * C[m x n] = A · B as `gemm` in ../../matmul.ts (the same arguments), with A and B read through
 * strides (all >= 0) and C written row-major at `outOffset`. Requires m, n, k >= 1, and float32
 * operands when `out` is float32.
 */
export function gemm(
  m: number, n: number, k: number,
  a: FloatArray, aOffset: number, ars: number, acs: number,
  b: FloatArray, bOffset: number, brs: number, bcs: number,
  out: FloatArray, outOffset: number,
): void {
  const e = exports!;
  const wide = out instanceof Float64Array;
  reset();
  // copy only the span the strides reach, once
  const aEnd = aOffset + (m - 1) * ars + (k - 1) * acs + 1;
  const bEnd = bOffset + (k - 1) * brs + (n - 1) * bcs + 1;
  const pa = copyIn(a, wide, aOffset, aEnd);
  const pb = copyIn(b, wide, bOffset, bEnd);
  const pc = alloc(m * n * (wide ? 8 : 4));
  if (wide) {
    e.gemm_f64(m, n, k, pa, ars, acs, pb, brs, bcs, pc, 0);
    out.set(f64.subarray(pc >> 3, (pc >> 3) + m * n), outOffset);
  } else {
    e.gemm_f32(m, n, k, pa, ars, acs, pb, brs, bcs, pc, 0);
    out.set(f32.subarray(pc >> 2, (pc >> 2) + m * n), outOffset);
  }
}

/** op(x) elementwise into a fresh array of `x.length` elements of the output type. */
export function unary(op: number, x: FloatArray, wide: boolean): FloatArray {
  const e = exports!;
  const n = x.length;
  reset();
  const px = copyIn(x, wide);
  const po = alloc(n * (wide ? 8 : 4));
  if (wide) e.unary_f64(op, px, po, n);
  else e.unary_f32(op, px, po, n);
  return copyOut(po, n, wide);
}

/**
 * op(A, B) over an outer x inner grid: element (o, i) reads A[o * aos + i * ais] and B likewise; the
 * inner strides are 0 or 1. Returns a fresh array of outer * inner elements.
 */
export function binary(
  op: number, outer: number, inner: number,
  a: FloatArray, aos: number, ais: number,
  b: FloatArray, bos: number, bis: number,
  wide: boolean,
): FloatArray {
  const e = exports!;
  const n = outer * inner;
  reset();
  const pa = copyIn(a, wide);
  const pb = copyIn(b, wide);
  const po = alloc(n * (wide ? 8 : 4));
  if (wide) e.binary_f64(op, outer, inner, pa, aos, ais, pb, bos, bis, po);
  else e.binary_f32(op, outer, inner, pa, aos, ais, pb, bos, bis, po);
  return copyOut(po, n, wide);
}

/** out[o, i] = sum over j of x[o, j, i] (x viewed as outer x r x inner), summing j in order. */
export function sum(outer: number, r: number, inner: number, x: FloatArray): FloatArray {
  const e = exports!;
  const wide = x instanceof Float64Array;
  const n = outer * inner;
  reset();
  const px = copyIn(x, wide);
  const po = alloc(n * (wide ? 8 : 4));
  if (wide) e.sum_f64(outer, r, inner, px, po);
  else e.sum_f32(outer, r, inner, px, po, alloc(Math.ceil(inner / 4) * 32));
  return copyOut(po, n, wide);
}
