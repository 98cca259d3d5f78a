/**
 * vitest global setup: compiles the WebAssembly kernels if their sources changed since the last
 * build (scripts/build-wasm.mjs keeps a hash), so `npx vitest run <file>` never tests a stale binary.
 * `npm test` also runs the script first (pretest), which the type-check needs.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export default function setup(): void {
  execFileSync(process.execPath, [join(import.meta.dirname, '../../scripts/build-wasm.mjs')], { stdio: 'inherit' });
}
