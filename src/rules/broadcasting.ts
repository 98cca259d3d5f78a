/**
 * Undoing broadcasting: the one helper that sums a (co)tangent computed at a broadcast output shape
 * back down to an input's shape. Rules never sum axes themselves; the engine calls this on every
 * cotangent a rule returns, so a rule may return `ct * y` at the output's shape for an input that was
 * broadcast. Likewise `matchDType` gives every (co)tangent its primal's dtype. Both reach the engine
 * (a layer below) through `installEngineOps`, called when this module loads.
 *
 * @since 0.1.0
 */
import { installEngineOps } from '../core/engineOps.js';
import { sameShape, type Shape } from '../core/shape.js';
import type { Tensor } from '../core/Tensor.js';
import { add, astype, equal, maximum, mul, notEqual, sub, where } from './elementwise.js';
import { sum } from './reduction.js';
import { broadcastTo, reshape, take, transpose } from './structure.js';

/** Sums `ct` over the axes along which `shape` was broadcast to reach `ct.shape`. */
export function unbroadcast(ct: Tensor, shape: Shape): Tensor {
  if (sameShape(ct.shape, shape)) return ct;
  const lead = ct.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < ct.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && ct.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length === 0 ? ct : sum(ct, { axis: axes, keepdims: true });
  return reshape(summed, shape);
}

/** A (co)tangent in its primal's dtype: mixed-dtype arithmetic must not change a gradient's dtype. */
export function matchDType(t: Tensor, primal: Tensor): Tensor {
  return t.dtype === primal.dtype ? t : astype(t, primal.dtype);
}

/**
 * @internal Installs the engine ops; also called by the transforms layer as it loads. A call, not a
 * bare `import './broadcasting.js'`: the package declares `"sideEffects": false`, so bundlers drop
 * side-effect-only imports, and the built bundles then lacked these ops.
 */
export function installBroadcasting(): void {
  installEngineOps({
    add: (x, y) => add(x, y),
    unbroadcast,
    matchDType,
    broadcastTo: (x, shape) => broadcastTo(x, shape),
    sub: (x, y) => sub(x, y),
    mul: (x, y) => mul(x, y),
    maximum: (x, y) => maximum(x, y),
    equal: (x, y) => equal(x, y),
    notEqual: (x, y) => notEqual(x, y),
    where,
    takeLane: (x, dim, i) => take(x, i, dim),
    transpose: (x, perm) => transpose(x, perm),
    reshape: (x, shape) => reshape(x, shape),
  });
}
installBroadcasting();
