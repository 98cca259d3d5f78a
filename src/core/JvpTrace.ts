/**
 * Forward mode (see Trace.ts for levels and dispatch): tracers carry (primal, tangents) pairs, and
 * each op's `jvp` rule advances the tangents as the function runs. Tangents may carry masks of their
 * structurally zero positions (masks.ts), which keep one-hot directions (`jacfwd`) exact where a
 * local derivative is infinite. With `checkNumerics`, the first equation that turns a finite value's
 * tangent non-finite raises `NON_FINITE`.
 *
 * @since 0.1.0
 */
import { batchedConcrete } from './BatchTrace.js';
import { enteringValue } from './closure.js';
import { engineOps } from './engineOps.js';
import { AdjointError, formatShape } from './errors.js';
import { forwardMask, normalizeMask } from './masks.js';
import { bind, bindMulti } from './primitive.js';
import { sameShape } from './shape.js';
import { auxOfTensor, dataOf, isConcrete, makeTracer, scalarOf, type Tensor } from './Tensor.js';
import { type ForwardState, Trace, traceOf } from './Trace.js';
import { isZero, type Tangent, Zero } from './zero.js';
import type { MultiRule, Rule } from './rule.js';

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
    /** Stop at the first equation that makes a finite value's tangent non-finite. */
    readonly checkNumerics = false,
  ) {
    super(level, transform);
  }

  /** Wraps an input; `masks[j]` marks the structurally zero positions of direction j's tangent. */
  input(x: Tensor, tangents: ReadonlyArray<Tangent>, masks?: ReadonlyArray<Tensor | undefined>): Tensor {
    const ts = tangents.map((t) => (isZero(t) ? t : enteringValue(t)));
    return makeTracer(x.shape, x.dtype, this, -1, { primal: enteringValue(x), tangents: ts, masks });
  }

  protected ownPrimal(x: Tensor): Tensor {
    return (auxOfTensor(x) as ForwardState).primal;
  }

  /** The primals of `args` one level down, and whether any of them is this trace's. */
  private unwrap(args: ReadonlyArray<Tensor>): [Tensor[], boolean] {
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
    return [primals, own];
  }

  /** Direction j's tangents and masks of `args` (a `Zero` for values that are not this trace's). */
  private direction(args: ReadonlyArray<Tensor>, j: number): [Tangent[], Array<Tensor | undefined>, boolean, boolean] {
    const n = args.length;
    const tangents = new Array<Tangent>(n);
    const masks = new Array<Tensor | undefined>(n);
    let any = false;
    let masked = false;
    for (let i = 0; i < n; i++) {
      const a = args[i]!;
      const state = traceOf(a) === this ? (auxOfTensor(a) as ForwardState) : undefined;
      const t = state !== undefined ? state.tangents[j]! : Zero;
      tangents[i] = t;
      masks[i] = state?.masks?.[j];
      if (!isZero(t)) any = true;
      if (masks[i] !== undefined) masked = true;
    }
    return [tangents, masks, any, masked];
  }

  process(prim: Rule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): Tensor {
    const [primals, own] = this.unwrap(args);
    const ans = bind(prim, primals, params);
    if (!own) return ans;
    const outs = new Array<Tangent>(this.width);
    let outMasks: Array<Tensor | undefined> | undefined;
    let live = false;
    for (let j = 0; j < this.width; j++) {
      const [tangents, masks, any, masked] = this.direction(args, j);
      let tangent: Tangent = Zero;
      if (any) {
        tangent = masked && prim.maskKind === 'elementwise' ? this.maskedTerms(prim, primals, tangents, masks, ans, params) : prim.jvp(primals, tangents, ans, params);
        if (!isZero(tangent)) {
          const { matchDType, broadcastTo } = engineOps();
          tangent = matchDType(sameShape(tangent.shape, ans.shape) ? tangent : broadcastTo(tangent, ans.shape), ans);
          if (masked) {
            const m = normalizeMask(forwardMask(prim, primals, tangents, masks, ans, params));
            if (m === 'all') tangent = Zero;
            else if (m !== undefined) {
              // structural zeros stay exact whatever the local derivative is there
              if (prim.maskKind === 'elementwise') tangent = engineOps().where(m, 0, tangent);
              (outMasks ??= new Array<Tensor | undefined>(this.width))[j] = m;
            }
          }
          if (this.checkNumerics && !isZero(tangent)) this.check(prim.name, tangent, ans);
        }
      }
      if (!isZero(tangent)) live = true;
      outs[j] = tangent;
    }
    return live ? makeTracer(ans.shape, ans.dtype, this, -1, { primal: ans, tangents: outs, masks: outMasks }) : ans;
  }

  /**
   * An elementwise row's tangent when some input tangents have structural zeros: one term per
   * input, each kept exactly 0 where that input's tangent is structurally 0, so a NaN or infinite
   * partial of an input that is not perturbed there (one-hot directions of `jacfwd`) adds nothing.
   */
  private maskedTerms(prim: Rule<unknown>, primals: ReadonlyArray<Tensor>, tangents: ReadonlyArray<Tangent>, masks: ReadonlyArray<Tensor | undefined>, ans: Tensor, params: unknown): Tangent {
    const live = tangents.filter((t) => !isZero(t)).length;
    if (live < 2) return prim.jvp(primals, tangents, ans, params);
    let total: Tangent = Zero;
    tangents.forEach((t, i) => {
      if (isZero(t)) return;
      let term = prim.jvp(primals, tangents.map((u, k) => (k === i ? u : Zero)), ans, params);
      if (isZero(term)) return;
      const m = masks[i];
      if (m !== undefined) term = engineOps().where(engineOps().broadcastTo(m, ans.shape), 0, term);
      total = isZero(total) ? term : engineOps().add(total, term);
    });
    return total;
  }

  processMulti(prim: MultiRule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): ReadonlyArray<Tensor> {
    const [primals, own] = this.unwrap(args);
    const ans = bindMulti(prim, primals, params);
    if (!own) return ans;
    const perOutput: Tangent[][] = ans.map(() => new Array<Tangent>(this.width).fill(Zero));
    for (let j = 0; j < this.width; j++) {
      const [tangents, , any] = this.direction(args, j);
      if (!any) continue;
      const outs = prim.jvp(primals, tangents, ans, params);
      if (outs.length !== ans.length) {
        throw new AdjointError('MISSING_RULE', prim.name, `the forward rule returned ${outs.length} tangents for ${ans.length} results`);
      }
      outs.forEach((t, k) => {
        if (isZero(t)) return;
        const a = ans[k]!;
        const { matchDType, broadcastTo } = engineOps();
        const v = matchDType(sameShape(t.shape, a.shape) ? t : broadcastTo(t, a.shape), a);
        if (this.checkNumerics) this.check(prim.name, v, a);
        perOutput[k]![j] = v;
      });
    }
    return ans.map((a, k) => (perOutput[k]!.some((t) => !isZero(t)) ? makeTracer(a.shape, a.dtype, this, -1, { primal: a, tangents: perOutput[k]! }) : a));
  }

  /** `checkNumerics`: a tangent must be finite wherever its value is (a non-finite value's tangent follows it). */
  private check(op: string, tangent: Tensor, ans: Tensor): void {
    let t: ArrayLike<number>;
    let v: ArrayLike<number>;
    if (isConcrete(tangent) && isConcrete(ans)) {
      t = tangent.ndim === 0 ? [scalarOf(tangent)] : dataOf(tangent);
      v = ans.ndim === 0 ? [scalarOf(ans)] : dataOf(ans);
    } else {
      // under vmap (jacfwd maps jvp over the basis): compare every lane with ops, which the
      // batching traces run; anything else holding these values checks them itself
      if (batchedConcrete(tangent) === undefined || (!isConcrete(ans) && batchedConcrete(ans) === undefined)) return;
      const { sub, equal, notEqual, mul } = engineOps();
      // x - x is 0 exactly where x is finite
      const bad = batchedConcrete(mul(notEqual(sub(tangent, tangent), 0), equal(sub(ans, ans), 0)))!;
      const flags = bad.ndim === 0 ? [scalarOf(bad)] : dataOf(bad);
      for (let i = 0; i < flags.length; i++) {
        if (flags[i] !== 0) throw this.nonFiniteTangent(op, ans, 'is not finite in a lane of vmap where its value is finite');
      }
      return;
    }
    for (let i = 0; i < t.length; i++) {
      if (!Number.isFinite(t[i]!) && Number.isFinite(v[i]!)) throw this.nonFiniteTangent(op, ans, `is ${t[i]} at element ${i}, where its value ${v[i]} is finite`);
    }
  }

  private nonFiniteTangent(op: string, ans: Tensor, what: string): AdjointError {
    return new AdjointError(
      'NON_FINITE',
      this.transform,
      `checkNumerics: the tangent of ${op}(...) (shape ${formatShape(ans.shape)}) ${what}; ` +
        'a 0 · ∞ or ∞ - ∞ in the chain rule usually means an overflow or a singular point upstream (guard it with where, or rescale)',
    );
  }
}
