/**
 * Which kernel set runs: the WebAssembly SIMD kernels (`'wasm'`, the default) or the plain-JS ones
 * (`'js'`). Rules never know: they call the functions in kernels.ts, which send work here when the
 * WebAssembly kernels are loaded and the work is big enough to pay for crossing into WebAssembly.
 * 0-d work never crosses; the JS kernels remain the fallback for everything the WebAssembly set
 * does not cover and wherever WebAssembly SIMD is unavailable.
 *
 * @since 0.1.0
 */
import { checkArity, parseEnum } from './args.js';
import { loaded, loadState, onReady } from './backends/wasm/module.js';

/**
 * A kernel set: `'wasm'` (WebAssembly 128-bit SIMD) or `'js'` (plain JavaScript).
 *
 * @category backends
 * @since 0.1.0
 */
export type Backend = 'js' | 'wasm';

const BACKENDS: ReadonlyArray<Backend> = ['js', 'wasm'];

let requested: Backend = 'wasm';
let wasmOn = false;

function update(): void {
  wasmOn = requested === 'wasm' && loadState() === 'ready';
}
update();
onReady(update);

/** @internal True when kernels.ts should send eligible work to the WebAssembly kernels. */
export function wasmActive(): boolean {
  return wasmOn;
}

/**
 * @internal The smallest work sent to WebAssembly: below it, copying operands across and the call
 * cost more than the JS kernel (measured; see bench/). `elements`: elementwise maps and sums, by
 * output (or input) size; `flops`: matmul, by m·n·k per product; `approximate`: the maps whose
 * WebAssembly results differ from Math.* in the last bits (exp, expm1, tanh, sigmoid; within a few
 * ulp), so that small tensors give the same bits as the 0-d path. `maxElements` is the upper bound:
 * a call's operands must fit in 32-bit WebAssembly memory at once, so bigger work stays in JS. The
 * test setup lowers `elements` and `flops` to 1 so that the whole suite exercises the WebAssembly
 * kernels.
 */
export const wasmLimits = { elements: 64, flops: 512, approximate: 64, maxElements: 2 ** 25 };

/**
 * Chooses the kernels that run tensor ops: `'wasm'` (WebAssembly SIMD, the default) or `'js'`
 * (plain JavaScript). Results agree to rounding: float64 within 1e-12 relative, float32 within 1e-5
 * of the result's largest magnitude (float32 matmul accumulates in float32 under `'wasm'`, in
 * float64 under `'js'`, so an entry whose sum nearly cancels may differ more relative to itself). Where WebAssembly
 * SIMD is unavailable, `'wasm'` falls back to `'js'`; `getBackend()` says which one runs.
 *
 * @example
 * import { getBackend, setBackend, matmul, tensor, toArray } from 'adjoint'
 * const before = getBackend()
 * setBackend('js')
 * assert.equal(getBackend(), 'js')
 * assert.deepEqual(toArray(matmul(tensor([[1, 2]]), tensor([[3], [4]]))), [[11]])
 * setBackend(before)
 *
 * @category backends
 * @since 0.1.0
 */
export function setBackend(backend: Backend): void {
  checkArity('setBackend', arguments.length, 1, "setBackend('js' | 'wasm')");
  requested = parseEnum('setBackend', 'backend', backend, BACKENDS);
  update();
}

/**
 * The kernel set that runs now: `'wasm'` once the WebAssembly module is loaded (and it was not
 * switched off with `setBackend('js')`), else `'js'`. In Node it loads synchronously at import; on
 * a browser's main thread it compiles asynchronously, and `await ready()` waits for it.
 *
 * @example
 * import { getBackend } from 'adjoint'
 * assert(getBackend() === 'js' || getBackend() === 'wasm')
 *
 * @category backends
 * @since 0.1.0
 */
export function getBackend(): Backend {
  checkArity('getBackend', arguments.length, 0, 'getBackend()');
  return wasmOn ? 'wasm' : 'js';
}

/**
 * Resolves when the WebAssembly module has finished loading (at once where it loads synchronously,
 * as in Node), with the backend that then runs. Until then ops run on the plain-JS kernels, with
 * the same results up to rounding, so awaiting it is only needed for speed from the first op.
 *
 * @example
 * import { ready } from 'adjoint'
 * assert(ready() instanceof Promise)
 *
 * @category backends
 * @since 0.1.0
 */
export function ready(): Promise<Backend> {
  checkArity('ready', arguments.length, 0, 'ready()');
  return loaded().then(() => {
    update();
    return getBackend();
  });
}
