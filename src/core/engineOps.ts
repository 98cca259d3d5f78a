/**
 * The few ops the engine itself applies: summing adjoints (`add`), undoing broadcasting on a
 * cotangent (`unbroadcast`), giving a (co)tangent its primal's dtype (`matchDType`) and broadcasting
 * a tangent (`broadcastTo`). They are rows of `src/rules`, a layer above this one, so the rules layer
 * installs them here as it loads (`rules/broadcasting.ts`) instead of the engine importing upward.
 * Written with the library's ops, they are recorded by outer traces like any other op.
 *
 * @since 0.1.0
 */
import type { Shape } from './shape.js';
import type { Tensor } from './Tensor.js';

export interface EngineOps {
  readonly add: (x: Tensor, y: Tensor) => Tensor;
  /** Sums `ct` over the axes along which `shape` was broadcast to reach `ct.shape`. */
  readonly unbroadcast: (ct: Tensor, shape: Shape) => Tensor;
  /** `t` in `primal`'s dtype. */
  readonly matchDType: (t: Tensor, primal: Tensor) => Tensor;
  readonly broadcastTo: (x: Tensor, shape: Shape) => Tensor;
  // for structural-zero masks (masks.ts)
  readonly sub: (x: Tensor | number, y: Tensor | number) => Tensor;
  readonly mul: (x: Tensor | number, y: Tensor | number) => Tensor;
  readonly maximum: (x: Tensor | number, y: Tensor | number) => Tensor;
  readonly equal: (x: Tensor | number, y: Tensor | number) => Tensor;
  readonly notEqual: (x: Tensor | number, y: Tensor | number) => Tensor;
  readonly where: (c: Tensor | number, a: Tensor | number, b: Tensor | number) => Tensor;
  readonly transpose: (x: Tensor, perm: ReadonlyArray<number>) => Tensor;
  readonly reshape: (x: Tensor, shape: ReadonlyArray<number>) => Tensor;
  /** Lane `i` of `x` along axis `dim` (the axis removed). */
  readonly takeLane: (x: Tensor, dim: number, i: number) => Tensor;
}

let installed: EngineOps | undefined;

/** @internal Called once by the rules layer as it loads. */
export function installEngineOps(ops: EngineOps): void {
  installed = ops;
}

/** The installed ops; the rules layer is always loaded before any op can reach the engine. */
export function engineOps(): EngineOps {
  if (installed === undefined) throw new Error('adjoint internal: the rules layer is not loaded (import from the package entry point)');
  return installed;
}
