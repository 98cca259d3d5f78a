/**
 * Runs before every test file: selects the kernel set named by ADJOINT_BACKEND ('js' or 'wasm'; see
 * the vitest projects in vitest.config.ts), so the whole suite runs once per backend. Under 'wasm'
 * the size limits below which work stays in JS are lowered to 1, so every op with a WebAssembly
 * kernel runs it, even on the small tensors tests use (0-d work still never crosses).
 */
import { wasmLimits } from '../../src/core/backend.js';
import { getBackend, setBackend } from '../../src/index.js';

const backend = process.env.ADJOINT_BACKEND ?? 'wasm';
if (backend !== 'js' && backend !== 'wasm') throw new Error(`ADJOINT_BACKEND must be 'js' or 'wasm', got ${backend}`);
if (backend === 'wasm') {
  wasmLimits.elements = 1;
  wasmLimits.flops = 1;
}
setBackend(backend);
if (getBackend() !== backend) throw new Error(`test setup: backend ${backend} requested, ${getBackend()} active`);
