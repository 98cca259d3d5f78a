/**
 * Forward mode (see Trace.ts for levels and dispatch): tracers carry (primal, tangents) pairs, and
 * each op's `jvp` rule advances the tangents as the function runs.
 *
 * @since 0.1.0
 */
import { engineOps } from './engineOps.js';
import { bind } from './primitive.js';
import { sameShape } from './shape.js';
import { auxOfTensor, makeTracer, type Tensor } from './Tensor.js';
import { type ForwardState, Trace, traceOf } from './Trace.js';
import { isZero, type Tangent, Zero } from './zero.js';
import type { Rule } from './rule.js';

/**
 * Carries tangents alongside each primal; the rule's `jvp` advances them. `width` directions are
 * pushed forward in one pass (one for `jvp`, one per input element for `jacfwd`), so the function
 * and its effects run once whatever the number of directions.
 */
export class JvpTrace extends Trace {
  constructor(
    level: number,
    transform: string,
    readonly width: number,
  ) {
    super(level, transform);
  }

  input(x: Tensor, tangents: ReadonlyArray<Tangent>): Tensor {
    return makeTracer(x.shape, x.dtype, this, -1, { primal: x, tangents });
  }

  protected ownPrimal(x: Tensor): Tensor {
    return (auxOfTensor(x) as ForwardState).primal;
  }

  process(prim: Rule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): Tensor {
    const n = args.length;
    const primals = new Array<Tensor>(n);
    let own = false;
    for (let i = 0; i < n; i++) {
      const a = args[i]!;
      if (traceOf(a) === this) {
        primals[i] = (auxOfTensor(a) as ForwardState).primal;
        own = true;
      } else primals[i] = a;
    }
    const ans = bind(prim, primals, params);
    if (!own) return ans;
    const outs = new Array<Tangent>(this.width);
    let live = false;
    for (let j = 0; j < this.width; j++) {
      const tangents = new Array<Tangent>(n);
      let any = false;
      for (let i = 0; i < n; i++) {
        const a = args[i]!;
        const t = traceOf(a) === this ? (auxOfTensor(a) as ForwardState).tangents[j]! : Zero;
        tangents[i] = t;
        if (!isZero(t)) any = true;
      }
      let tangent: Tangent = Zero;
      if (any) {
        tangent = prim.jvp(primals, tangents, ans, params);
        if (!isZero(tangent)) {
          const { matchDType, broadcastTo } = engineOps();
          tangent = matchDType(sameShape(tangent.shape, ans.shape) ? tangent : broadcastTo(tangent, ans.shape), ans);
        }
      }
      if (!isZero(tangent)) live = true;
      outs[j] = tangent;
    }
    return live ? makeTracer(ans.shape, ans.dtype, this, -1, { primal: ans, tangents: outs }) : ans;
  }
}
