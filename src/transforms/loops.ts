/**
 * Loops the tape can see: `scan`, `foriLoop` and `whileLoop`. Under a transform, a loop is one
 * equation (a multiple-result primitive), whatever its trip count; its body runs one level down
 * (nothing recorded), and its rules are loops again:
 *
 * - forward mode runs a loop of the body's jvp, carrying tangents step by step and storing nothing;
 * - reverse mode, with `checkpoint: 'all'` (the default), keeps every step's tape from the forward
 *   pass and walks them back; with `{ snapshots: s }` it keeps at most `s` carries and recomputes
 *   the rest by binomial checkpointing (revolve.ts), for `whileLoop` with the trip count its
 *   first run found;
 * - under an outer transform (second order), the reverse pass is itself two scans (the carries,
 *   then the steps' vjps, last to first), so the outer transform records loops, not steps.
 *
 * A body that returns a `Program` makes the loop a `Program` (`programLoop`): its steps' effects
 * must reach the handlers, so the steps run in the program, and the binomial schedule is built
 * from nested `checkpoint`s of programs, whose recomputation replays the effects (replay.ts).
 *
 * A body may close over traced values (they become operands, core/closure.ts) and takes and
 * returns pytrees. `whileLoop` is differentiable in both modes with no bound on its trip count:
 * the count is decided by the values, like a branch the derivative follows (`observe`'s semantics).
 *
 * @since 0.1.0
 */
import { checkArity, describeValue, invalidArgument, isPlainObject, parseEnum, parseFunction, parseInteger, parseOptions } from '../core/args.js';
import { asTensor, zerosLike } from '../core/creation.js';
import { AdjointError, ArgumentError, formatShape, ShapeError } from '../core/errors.js';
import { type AbstractValue, bindMulti } from '../core/primitive.js';
import type { MultiRule } from '../core/rule.js';
import { dataOf, isTensor, item, type Tensor } from '../core/Tensor.js';
import { isBatched } from '../core/BatchTrace.js';
import { checkLive, concreteOf, reverseTraceOpen, tracesOpen, probeValue, stripGradient } from '../core/Trace.js';
import { describeDef, flatten, sameDef, type TreeDef, unflatten } from '../core/Tree.js';
import { isZero, type Tangent } from '../core/zero.js';
import { add, where } from '../rules/elementwise.js';
import { concat, slice, stack, take } from '../rules/structure.js';
import { gen, isProgram, map, of, type Program } from '../effects/Program.js';
import { checkpoint } from './checkpoint.js';
import { makeScope, withClosureScope } from '../core/closure.js';
import { closureConvert, type Converted } from './closureConvert.js';
import { revolve, split } from './revolve.js';
import { linearizeFlat } from './scope.js';
import { liftBatch } from './vmap.js';
import { jvpAs } from './transforms.js';

// ---- options -------------------------------------------------------------------------------------

/**
 * What a loop's reverse pass keeps: `'all'` (every step's residuals: fastest, memory linear in the
 * trip count) or `{ snapshots: s }` (at most `s` carries; the rest is recomputed).
 *
 * @category control flow
 * @since 0.1.0
 */
export type Checkpointing = 'all' | { readonly snapshots: number };

/**
 * Options of `scan`.
 *
 * @category control flow
 * @since 0.1.0
 */
export interface ScanOptions {
  /** The trip count; required when `xs` is undefined, else it must equal the leading length of `xs`. */
  readonly length?: number;
  /** Iterate from the last element to the first; `ys` keeps the order of `xs` (as JAX's `scan`). */
  readonly reverse?: boolean;
  readonly checkpoint?: Checkpointing;
}

/** The parsed schedule: 0 for 'all', else the number of snapshots. */
function parseCheckpoint(op: string, v: unknown): number {
  if (v === undefined || v === 'all') return 0;
  const forms = "pass 'all' (the default: keep every step) or { snapshots: s } with an integer s >= 1";
  // a misspelt 'all' is named; the object form is one of two: the message names both, not only the object's keys
  if (typeof v === 'string') parseEnum(op, 'options.checkpoint', v, ['all'], '(the default: keep every step) or { snapshots: s } with an integer s >= 1');
  if (!isPlainObject(v)) invalidArgument(op, 'options.checkpoint', v, forms);
  const o = parseOptions(op, 'options.checkpoint', v, ['snapshots']);
  if (o.snapshots === undefined) invalidArgument(op, 'options.checkpoint', v, forms);
  return parseInteger(op, 'options.checkpoint.snapshots', o.snapshots, { min: 1 });
}

// ---- the step function and the loop primitive ------------------------------------------------------

/**
 * One step of a loop over flat leaves: operands `[carry..., x..., consts...]` give `[carry..., y...]`;
 * `index` is the step's position in the iteration (for `foriLoop`'s counter).
 */
interface Step {
  readonly name: string;
  readonly nCarry: number;
  readonly nX: number;
  readonly nConst: number;
  readonly carryAvals: ReadonlyArray<AbstractValue>;
  /** One step's outputs `y` (stacked along a new leading axis in the loop's result). */
  readonly yAvals: ReadonlyArray<AbstractValue>;
  call(operands: ReadonlyArray<Tensor>, index: number): Tensor[];
}

interface LoopParams {
  readonly step: Step;
  readonly length: number;
  readonly reverse: boolean;
  /** 0: keep every step; else the number of snapshots. */
  readonly snapshots: number;
  /** For printTape: `scan`, `foriLoop`, `whileLoop`. */
  readonly kind: string;
}

const avalOf = (t: Tensor): AbstractValue => ({ shape: t.shape, dtype: t.dtype });
const materialize = (t: Tangent, like: AbstractValue): Tensor => (isZero(t) ? zerosLike(like as Tensor) : t);
const stackedAval = (a: AbstractValue, n: number): AbstractValue => ({ shape: Object.freeze([n, ...a.shape]), dtype: a.dtype });

/** Stacks per-step values along a new leading axis (an empty stack of `aval` when there are none). */
function stackSteps(values: ReadonlyArray<Tensor>, aval: AbstractValue): Tensor {
  if (values.length === 0) return zerosLike(stackedAval(aval, 0) as Tensor);
  return stack(values);
}

/** Step `i`'s slice of stacked leaves. */
const sliceStep = (xs: ReadonlyArray<Tensor>, i: number): Tensor[] => xs.map((x) => take(x, i));

/** The order the steps run in. */
const stepIndex = (p: LoopParams, k: number): number => (p.reverse ? p.length - 1 - k : k);

/** The tapes a first-order forward pass kept, by the loop's first output (see `impl`). */
interface Tapes {
  readonly operands: ReadonlyArray<Tensor>;
  /**
   * The whole loop's pullback, `[ct carry..., ct ys...] -> [ct init..., ct xs..., ct consts...]`:
   * the forward pass ran every step on one tape (as if unrolled, but one level down, where no outer
   * transform sees it), so the reverse pass is one walk over it.
   */
  pullback?: (cts: ReadonlyArray<Tensor>) => Tensor[];
}
const tapes = new WeakMap<Tensor, Tapes>();

/** The forward loop on concrete (or lower-level) values: final carry, then stacked ys. */
function runLoop(p: LoopParams, args: ReadonlyArray<Tensor>, keep: Tapes | undefined): Tensor[] {
  const { nCarry, nX } = p.step;
  const xs = args.slice(nCarry, nCarry + nX);
  const consts = args.slice(nCarry + nX);
  if (keep === undefined) return runSteps(p, args.slice(0, nCarry), (i) => sliceStep(xs, i), consts);
  // Each step's slice of xs is an input of the tape, not a `take` recorded on it: the pullback of a
  // recorded take scatters into zeros the size of the whole xs, which over every step is quadratic
  // in the trip count. Operands: carry, consts, then step i's slices at nBase + i * nX.
  const nBase = nCarry + consts.length;
  const slices = Array.from({ length: p.length }, (_, i) => sliceStep(xs, i)).flat();
  const lin = linearizeFlat(p.kind, (ops) => runSteps(p, ops.slice(0, nCarry), (i) => ops.slice(nBase + i * nX, nBase + (i + 1) * nX), ops.slice(nCarry, nBase)), [...args.slice(0, nCarry), ...consts, ...slices]);
  keep.pullback = (cts) => {
    const out = lin.pullback(cts);
    const ctXs = xs.map((x, j) => (p.length === 0 ? zerosLike(x) : stack(Array.from({ length: p.length }, (_, i) => out[nBase + i * nX + j]!))));
    return [...out.slice(0, nCarry), ...ctXs, ...out.slice(nCarry, nBase)];
  };
  return lin.outs;
}

/** The steps of a loop from `carry`, step `i` taking `xAt(i)`: final carry, then stacked ys. */
function runSteps(p: LoopParams, carry0: ReadonlyArray<Tensor>, xAt: (i: number) => ReadonlyArray<Tensor>, consts: ReadonlyArray<Tensor>): Tensor[] {
  const { nCarry } = p.step;
  let carry = carry0;
  const ys: Tensor[][] = p.step.yAvals.map(() => new Array<Tensor>(p.length));
  for (let k = 0; k < p.length; k++) {
    const i = stepIndex(p, k);
    const out = p.step.call([...carry, ...xAt(i), ...consts], i);
    carry = out.slice(0, nCarry);
    out.slice(nCarry).forEach((y, j) => (ys[j]![i] = y));
  }
  return [...carry, ...ys.map((list, j) => stackSteps(list, p.step.yAvals[j]!))];
}

/** Adds `b` into `a` where both are present. */
const accumulate = (a: Tensor | undefined, b: Tensor): Tensor => (a === undefined ? b : add(a, b));

export const loopP: MultiRule<LoopParams> = {
  batch: (args, dims, params, size) => liftBatch(loopP)(args, dims, params, size),
  name: 'loop',
  multipleResults: true,
  examples: [],
  describeParams: (p) => `[${p.kind}${p.step.name === 'body' ? '' : ` ${p.step.name}`} length=${p.length}${p.reverse ? ' reverse' : ''} checkpoint=${p.snapshots === 0 ? 'all' : `revolve(snapshots=${p.snapshots})`}]`,
  shape: (_args, p) => [...p.step.carryAvals, ...p.step.yAvals.map((a) => stackedAval(a, p.length))],
  impl: (args, p) => {
    // a first-order reverse pass will want every step's tape: keep them from this pass
    const keep: Tapes | undefined = p.snapshots === 0 && reverseTraceOpen() && args.every((a) => concreteOf(a) === a) ? { operands: args } : undefined;
    const outs = runLoop(p, args, keep);
    if (keep !== undefined && outs.length > 0) tapes.set(outs[0]!, keep);
    return outs;
  },
  // forward mode: a loop of the step's jvp, tangents carried step by step
  jvp: (primals, tangents, _ans, p) => {
    const { nCarry, nX, nConst } = p.step;
    const has = tangents.map((t) => !isZero(t));
    const xHas = has.slice(nCarry, nCarry + nX);
    const cHas = has.slice(nCarry + nX);
    const carryTangents = tangents.slice(0, nCarry).map((t, i) => materialize(t, primals[i]!));
    const step = jvpStep(p.step, xHas, cHas);
    const args = [
      ...primals.slice(0, nCarry),
      ...carryTangents,
      ...primals.slice(nCarry, nCarry + nX),
      ...tangents.slice(nCarry, nCarry + nX).filter((_, i) => xHas[i]),
      ...primals.slice(nCarry + nX),
      ...tangents.slice(nCarry + nX).filter((_, i) => cHas[i]),
    ] as Tensor[];
    void nConst;
    const outs = bindMulti(loopP, args, { ...p, step });
    const nY = p.step.yAvals.length;
    // outputs: carry, carry tangent, ys, y tangents
    return [...outs.slice(nCarry, 2 * nCarry), ...outs.slice(2 * nCarry + nY)];
  },
  vjp: (cts, primals, ans, p) => {
    const cached = ans.length > 0 ? tapes.get(ans[0]!) : undefined;
    if (cached?.pullback !== undefined && cached.operands.length === primals.length && cached.operands.every((x, i) => x === primals[i])) {
      return reverseWithTapes(p, cts, primals, ans, cached);
    }
    return p.snapshots > 0 && primals.every((a) => concreteOf(a) === a) ? reverseWithRevolve(p, cts, primals, ans) : reverseAsLoops(p, cts, primals, ans);
  },
};

/** The step of the forward-mode loop: operands `[c, ċ, x, ẋ (those given), k, k̇ (those given)]`. */
function jvpStep(step: Step, xHas: ReadonlyArray<boolean>, cHas: ReadonlyArray<boolean>): Step {
  const { nCarry, nX, nConst } = step;
  const nXd = xHas.filter(Boolean).length;
  const nCd = cHas.filter(Boolean).length;
  return {
    name: `jvp(${step.name})`,
    nCarry: 2 * nCarry,
    nX: nX + nXd,
    nConst: nConst + nCd,
    carryAvals: [...step.carryAvals, ...step.carryAvals],
    yAvals: [...step.yAvals, ...step.yAvals],
    call(ops, index) {
      const c = ops.slice(0, nCarry);
      const cd = ops.slice(nCarry, 2 * nCarry);
      const x = ops.slice(2 * nCarry, 2 * nCarry + nX);
      const xdGiven = ops.slice(2 * nCarry + nX, 2 * nCarry + nX + nXd);
      const k = ops.slice(2 * nCarry + nX + nXd, 2 * nCarry + nX + nXd + nConst);
      const kdGiven = ops.slice(2 * nCarry + nX + nXd + nConst);
      let xi = 0;
      const xd = x.map((xx, i) => (xHas[i] ? xdGiven[xi++]! : zerosLike(xx)));
      let ki = 0;
      const kd = k.map((kk, i) => (cHas[i] ? kdGiven[ki++]! : zerosLike(kk)));
      const [out, outDot] = jvpAs('jvp', (...o: Tensor[]) => step.call(o, index), [...c, ...x, ...k], [...cd, ...xd, ...kd], undefined, true) as unknown as [Tensor[], Tensor[]];
      return [...out.slice(0, nCarry), ...outDot.slice(0, nCarry), ...out.slice(nCarry), ...outDot.slice(nCarry)];
    },
  };
}

/** Output cotangents split into carry and per-step y cotangents (materialised). */
function splitCotangents(p: LoopParams, cts: ReadonlyArray<Tangent>, ans: ReadonlyArray<Tensor>): [Tensor[], Tensor[]] {
  const { nCarry } = p.step;
  return [cts.slice(0, nCarry).map((c, i) => materialize(c, ans[i]!)), cts.slice(nCarry).map((c, j) => materialize(c, ans[nCarry + j]!))];
}

/** Assembles the operands' cotangents: carry, stacked xs, summed consts. */
function assemble(p: LoopParams, ctCarry: Tensor[], ctXs: Tensor[][], ctConsts: Array<Tensor | undefined>, primals: ReadonlyArray<Tensor>): Tangent[] {
  const { nCarry, nX } = p.step;
  const xsCt = ctXs.map((list, j) => (p.length === 0 ? zerosLike(primals[nCarry + j]!) : stack(list)));
  const kCt = ctConsts.map((c, j) => c ?? zerosLike(primals[nCarry + nX + j]!));
  return [...ctCarry, ...xsCt, ...kCt];
}

/** First-order reverse pass with the forward pass's tapes: one pullback per step, last to first. */
function reverseWithTapes(p: LoopParams, cts: ReadonlyArray<Tangent>, _primals: ReadonlyArray<Tensor>, ans: ReadonlyArray<Tensor>, cached: Tapes): Tangent[] {
  const [ctCarry, ctYs] = splitCotangents(p, cts, ans);
  return cached.pullback!([...ctCarry, ...ctYs]);
}

/** First-order reverse pass keeping at most `snapshots` carries: binomial checkpointing. */
function reverseWithRevolve(p: LoopParams, cts: ReadonlyArray<Tangent>, primals: ReadonlyArray<Tensor>, ans: ReadonlyArray<Tensor>): Tangent[] {
  const { nCarry, nX, nConst } = p.step;
  const [ctCarry0, ctYs] = splitCotangents(p, cts, ans);
  let ctCarry = ctCarry0;
  const xs = primals.slice(nCarry, nCarry + nX);
  const consts = primals.slice(nCarry + nX);
  const ctXs: Tensor[][] = Array.from({ length: nX }, () => new Array<Tensor>(p.length));
  const ctConsts: Array<Tensor | undefined> = new Array(nConst).fill(undefined);
  revolve<Tensor[]>(p.length, p.snapshots, primals.slice(0, nCarry), {
    advance: (carry, from, to) => {
      let c = carry;
      for (let k = from; k < to; k++) {
        const i = stepIndex(p, k);
        c = p.step.call([...c, ...sliceStep(xs, i), ...consts], i).slice(0, nCarry);
      }
      return c;
    },
    adjoint: (carry, k) => {
      const i = stepIndex(p, k);
      const lin = linearizeFlat(p.kind, (ops) => p.step.call(ops, i), [...carry, ...sliceStep(xs, i), ...consts]);
      const out = lin.pullback([...ctCarry, ...ctYs.map((y) => take(y, i))]);
      ctCarry = out.slice(0, nCarry);
      out.slice(nCarry, nCarry + nX).forEach((c, j) => (ctXs[j]![i] = c));
      out.slice(nCarry + nX).forEach((c, j) => (ctConsts[j] = accumulate(ctConsts[j], c)));
    },
  });
  return assemble(p, ctCarry, ctXs, ctConsts, primals);
}

/**
 * The reverse pass written as loops, for when an outer transform watches it (second order): a scan
 * that stacks the carries each step started from, then a scan over the steps, last to first, of the
 * step's vjp. Both are loop equations to the outer transform.
 */
function reverseAsLoops(p: LoopParams, cts: ReadonlyArray<Tangent>, primals: ReadonlyArray<Tensor>, ans: ReadonlyArray<Tensor>): Tangent[] {
  const { nCarry, nX, nConst } = p.step;
  const [ctCarry, ctYs] = splitCotangents(p, cts, ans);
  const step = p.step;
  // 1. the carries: y_i = the carry step i started from
  const carriesStep: Step = {
    name: `carries(${step.name})`,
    nCarry,
    nX,
    nConst,
    carryAvals: step.carryAvals,
    yAvals: step.carryAvals,
    call: (ops, index) => [...step.call(ops, index).slice(0, nCarry), ...ops.slice(0, nCarry)],
  };
  const carryOuts = bindMulti(loopP, primals, { ...p, step: carriesStep, snapshots: 0, kind: 'scan' });
  const carries = carryOuts.slice(nCarry);
  // 2. the reverse sweep: carry (ct carry, ct consts); per step (carry_i, x_i, ct y_i) -> ct x_i
  const backStep: Step = {
    name: `vjp(${step.name})`,
    nCarry: nCarry + nConst,
    nX: nCarry + nX + ctYs.length,
    nConst,
    carryAvals: [...step.carryAvals, ...primals.slice(nCarry + nX).map(avalOf)],
    yAvals: primals.slice(nCarry, nCarry + nX).map((x) => ({ shape: x.shape.slice(1), dtype: x.dtype })),
    call: (ops, index) => {
      const ctC = ops.slice(0, nCarry);
      const ctK = ops.slice(nCarry, nCarry + nConst);
      const c = ops.slice(nCarry + nConst, 2 * nCarry + nConst);
      const x = ops.slice(2 * nCarry + nConst, 2 * nCarry + nConst + nX);
      const ctY = ops.slice(2 * nCarry + nConst + nX, 2 * nCarry + nConst + nX + ctYs.length);
      const k = ops.slice(2 * nCarry + nConst + nX + ctYs.length);
      const out = linearizeFlat(p.kind, (o) => step.call(o, index), [...c, ...x, ...k]).pullback([...ctC, ...ctY]);
      const ctKNext = out.slice(nCarry + nX).map((d, j) => add(ctK[j]!, d));
      return [...out.slice(0, nCarry), ...ctKNext, ...out.slice(nCarry, nCarry + nX)];
    },
  };
  const zerosK = primals.slice(nCarry + nX).map((k) => zerosLike(k));
  const back = bindMulti(loopP, [...ctCarry, ...zerosK, ...carries, ...primals.slice(nCarry, nCarry + nX), ...ctYs, ...primals.slice(nCarry + nX)], {
    ...p,
    step: backStep,
    snapshots: 0,
    reverse: !p.reverse,
    kind: 'scan',
  });
  return [...back.slice(0, nCarry), ...back.slice(nCarry + nConst), ...back.slice(nCarry, nCarry + nConst)];
}

// ---- user-facing loops ---------------------------------------------------------------------------

/**
 * Leaves of a pytree as tensors, with its structure. Every loop's init, xs and body outputs pass
 * here: a traced value of a transform that has returned is refused now, as any op would refuse it
 * (a body that leaves its carry alone applies none, and would hand it back).
 */
function treeLeaves(op: string, v: unknown): { leaves: Tensor[]; def: TreeDef } {
  const { leaves, def } = flatten(op, v);
  const tensors = leaves.map((l) => asTensor(op, l));
  for (const t of tensors) checkLive(t);
  return { leaves: tensors, def };
}

/** A typed error for a carry that changed between iterations. */
function carryError(op: string, what: string): ShapeError {
  return new ShapeError('TREE_MISMATCH', op, `the carry changed between iterations: ${what}; a loop body must return a carry of the same structure, shapes and dtypes as it received`);
}

function checkCarry(op: string, def: TreeDef, avals: ReadonlyArray<AbstractValue>, gotDef: TreeDef, got: ReadonlyArray<Tensor>): void {
  if (!sameDef(def, gotDef)) throw carryError(op, `${describeDef(def)} became ${describeDef(gotDef)}`);
  got.forEach((t, i) => {
    const a = avals[i]!;
    if (t.dtype !== a.dtype || t.shape.length !== a.shape.length || t.shape.some((d, j) => d !== a.shape[j])) {
      throw carryError(op, `leaf ${i} was ${formatShape(a.shape)} ${a.dtype} and became ${formatShape(t.shape)} ${t.dtype}`);
    }
  });
}

/**
 * Converts a loop body `(carry, x, index) -> [carry, y]` over pytrees into a `Step`: runs it once
 * (index `firstIndex`) to find what it closes over and its output structure.
 */
function makeStep(
  op: string,
  body: (carry: unknown, x: unknown, index: number) => readonly [unknown, unknown],
  carryDef: TreeDef,
  carry: ReadonlyArray<Tensor>,
  xDef: TreeDef | undefined,
  x0: ReadonlyArray<Tensor>,
  firstIndex: number,
): { step: Step; yDef: TreeDef; conv: Converted } {
  const nCarry = carry.length;
  let currentIndex = firstIndex;
  let yDef: TreeDef | undefined;
  const run = (ls: ReadonlyArray<Tensor>): unknown => {
    const c = unflatten(carryDef, ls.slice(0, nCarry), false);
    const x = xDef === undefined ? undefined : unflatten(xDef, ls.slice(nCarry), false);
    const out = body(c, x, currentIndex);
    if (isProgram(out)) throw PROGRAM_BODY;
    if (!Array.isArray(out) || out.length !== 2) {
      throw new ArgumentError('INVALID_ARGUMENT', op, `the body returned ${describeValue(out)}; it must return a pair [carry, y]`);
    }
    const { leaves: cl, def: cd } = treeLeaves(op, out[0]);
    checkCarry(op, carryDef, carry.map(avalOf), cd, cl);
    const ys = treeLeaves(op, out[1]);
    if (yDef === undefined) yDef = ys.def;
    else if (!sameDef(yDef, ys.def)) throw new ShapeError('TREE_MISMATCH', op, `the body's y changed structure between iterations: ${describeDef(yDef)} became ${describeDef(ys.def)}`);
    return [...cl, ...ys.leaves];
  };
  const conv = closureConvert(op, run, [...carry, ...x0]);
  const nY = conv.outAvals.length - nCarry;
  const step: Step = {
    name: 'body',
    nCarry,
    nX: x0.length,
    nConst: conv.captured.length,
    carryAvals: conv.outAvals.slice(0, nCarry),
    yAvals: conv.outAvals.slice(nCarry, nCarry + nY),
    call: (ops, index) => {
      currentIndex = index;
      return conv.call(ops);
    },
  };
  return { step, yDef: yDef!, conv };
}

/**
 * Loops `f` over the leading axis of `xs`, threading a carry: `f(carry, x) => [carry, y]`; returns
 * `[finalCarry, ys]` with the `y`s stacked along a new leading axis (as JAX's `lax.scan`). `carry`,
 * `x` and `y` are pytrees; `xs` may be `undefined` with `options.length`. Under a transform the loop
 * is one equation whatever its length; `options.checkpoint` chooses what its reverse pass keeps.
 * A body that returns a `Program` makes the result a `Program` with the same effects, recorded as
 * the steps themselves (`'all'`) or as a chain of nested checkpoints that follows the same binomial
 * schedule (`{ snapshots: s }`), since each step's effects must reach the handlers.
 *
 * `scan : ((c, x) => [c, y], c0, xs) => [cN, ys]`
 *
 * Errors: `TREE_MISMATCH` for a body whose carry changes structure, shape or dtype, or whose `y`
 * changes structure; `SHAPE_MISMATCH` for `xs` leaves with different leading lengths or a `length`
 * that disagrees; `INVALID_ARGUMENT` for bad options (`snapshots < 1`, a non-integer length) or a
 * body that does not return a pair; `UNKNOWN_OPTION`; `CLOSED_OVER_TRACER` if the body uses, on a
 * later iteration, a traced value from outside it that it did not use on the first.
 *
 * @example
 * import { scan, mul, grad, tensor, toArray, item } from 'adjoint'
 * // cumulative products: c_i = c_{i-1} · x_i
 * const cumprod = (xs) => scan((c, x) => [mul(c, x), mul(c, x)], 1, xs)
 * const [last, all] = cumprod(tensor([1, 2, 3, 4]))
 * assert.equal(item(last), 24)
 * assert.deepEqual(toArray(all), [1, 2, 6, 24])
 * assert.deepEqual(toArray(grad((xs) => cumprod(xs)[0])(tensor([1, 2, 3, 4]))), [24, 12, 8, 6])
 *
 * @category control flow
 * @since 0.1.0
 */
// the plain signature first: TypeScript fixes an unannotated body's return type at the first
// overload it tries, and only a tuple contextual type makes `[carry, y]` a tuple
export function scan<C, X, Y>(f: (carry: C, x: X) => readonly [C, Y], init: C, xs: X, options?: ScanOptions): readonly [C, Y];
export function scan<C, X, Y, E>(f: (carry: C, x: X) => Program<readonly [C, Y], E>, init: C, xs: X, options?: ScanOptions): Program<readonly [C, Y], E>;
export function scan<C, X, Y>(f: (carry: C, x: X) => unknown, init: C, xs: X, options?: ScanOptions): unknown {
  const op = 'scan';
  checkArity(op, arguments.length, 4, 'scan(f, init, xs, options?)');
  parseFunction(op, 'f', f);
  const o = parseOptions(op, 'options', options, ['length', 'reverse', 'checkpoint']);
  const reverse = o.reverse === undefined ? false : o.reverse === true ? true : o.reverse === false ? false : (() => { throw new ArgumentError('INVALID_ARGUMENT', op, `options.reverse is ${describeValue(o.reverse)}; pass true or false`); })();
  const snapshots = parseCheckpoint(op, o.checkpoint);
  const c = treeLeaves(op, init);
  const x = xs === undefined ? undefined : treeLeaves(op, xs);
  let length = o.length === undefined ? undefined : parseInteger(op, 'options.length', o.length, { min: 0 });
  for (const leaf of x?.leaves ?? []) {
    if (leaf.ndim === 0) throw new ShapeError('SHAPE_MISMATCH', op, `an xs leaf is 0-d; every leaf of xs needs a leading axis to scan over`);
    const n = leaf.shape[0]!;
    if (length === undefined) length = n;
    else if (n !== length) {
      throw new ShapeError('SHAPE_MISMATCH', op, `xs leaves have leading length ${n} and ${length}${o.length !== undefined ? ' (options.length)' : ''}; every leaf of xs must have the same leading length`);
    }
  }
  if (length === undefined) throw new ArgumentError('INVALID_ARGUMENT', op, 'xs is undefined and options.length is not given; pass the trip count as options.length');
  const n = length;
  const body = (carry: unknown, xi: unknown): readonly [unknown, unknown] => (f as (c: unknown, x: unknown) => readonly [unknown, unknown])(carry, xi);
  return runUserLoop(op, body, c, x, n, reverse, snapshots);
}

/** The shared driver of `scan` and `foriLoop`: plain loop when nothing is traced, else one equation. */
function runUserLoop(
  op: string,
  body: (carry: unknown, x: unknown, index: number) => readonly [unknown, unknown],
  c: { leaves: Tensor[]; def: TreeDef },
  x: { leaves: Tensor[]; def: TreeDef } | undefined,
  n: number,
  reverse: boolean,
  snapshots: number,
): readonly [unknown, unknown] {
  const xLeaves = x?.leaves ?? [];
  const first = reverse ? n - 1 : 0;
  try {
    if (n === 0) return emptyLoop(op, body, c, x);
    if (!tracesOpen()) return plainLoop(op, body, c, x, n, reverse);
  } catch (e) {
    if (e === PROGRAM_BODY) return programLoop(op, body, c, x, n, reverse, snapshots) as never;
    throw e;
  }
  // the first step's x, sliced from the values: the discovery run records nothing
  let made: ReturnType<typeof makeStep>;
  try {
    made = makeStep(op, body, c.def, c.leaves, x?.def, sliceStep(xLeaves.map((l) => probeValue(l)), first), first);
  } catch (e) {
    if (e === PROGRAM_BODY) return programLoop(op, body, c, x, n, reverse, snapshots) as never;
    throw e;
  }
  const { step, yDef, conv } = made;
  const outs = bindMulti(loopP, [...c.leaves, ...xLeaves, ...conv.captured], { step, length: n, reverse, snapshots, kind: op });
  const carry = unflatten(c.def, outs.slice(0, c.leaves.length));
  return Object.freeze([carry, unflatten(yDef, outs.slice(c.leaves.length))] as const);
}

/** Thrown through a loop's first body call when the body turns out to return a Program. */
const PROGRAM_BODY: unique symbol = Symbol('adjoint.loop.program');

/**
 * A loop whose body returns a Program: the loop is a Program too, running the steps through the
 * interpreter so that their effects reach the handlers outside, in order and once. (So it cannot
 * be one `loop` equation, whose body runs one level down with nothing but tensors in and out.)
 * Under a reverse transform every step is recorded (`'all'`). With `{ snapshots: s }` the steps
 * follow the binomial schedule (revolve.ts), made of nested `checkpoint`s of programs, whose
 * recomputation replays the first run's effects (replay.ts): steps [from, to) with `j` free
 * snapshots are `checkpoint(steps [from, from + m) with j)` and then the rest with `j - 1`, `m`
 * being revolve's split. Reversing a checkpoint recomputes its steps and reverses them with one
 * sweep fewer, as revolve reverses its left part after the right one; a range ends as one recorded
 * step, or, with no snapshot left, as `checkpoint(all but the last step)` and the last step
 * recorded (revolve's quadratic case, reached only on ranges of at most `t + 1` steps). So the
 * body runs `n` times plus revolve's recomputed steps (the plain-body loop also re-runs each step
 * once to take its vjp, which here the recorded steps spare). The reverse pass holds one step's
 * residuals at a time and about `2s + t` carries: a recomputation lets each snapshot go once its
 * range is reversed (`ReverseTrace.backward`'s consume), and each level of nesting (at most `t`,
 * the number of sweeps) adds one, but the top level's `s` snapshots stay on the enclosing
 * transform's tape until its reverse pass ends, while the first range, reversed last, lays out
 * up to `s` of its own. (Wrapping the whole loop in one more checkpoint would bring that to
 * `s + t`, for `n` more runs of the body.)
 */
function programLoop(
  op: string,
  body: (carry: unknown, x: unknown, index: number) => unknown,
  c: { leaves: Tensor[]; def: TreeDef },
  x: { leaves: Tensor[]; def: TreeDef } | undefined,
  n: number,
  reverse: boolean,
  snapshots: number,
): Program<readonly [unknown, unknown], unknown> {
  const avals = c.leaves.map(avalOf);
  // the structure of y, from the steps that ran (recomputations see the same)
  let yDef: TreeDef | undefined;
  /** The xs indices of iteration steps [from, to). */
  const xsRange = (from: number, to: number): readonly [number, number] => (reverse ? [n - to, n - from] : [from, to]);
  /** Steps [from, to), each recorded as it runs; `xs` holds the xs leaves from index `base` on; ys stacked in xs order. */
  const runSteps = (carry0: unknown, xs: ReadonlyArray<Tensor>, base: number, from: number, to: number): Program<readonly [unknown, Tensor[]], unknown> =>
    gen(function* () {
      let carry = carry0;
      const ys: Tensor[][] = [];
      let def: TreeDef | undefined;
      for (let k = from; k < to; k++) {
        const i = reverse ? n - 1 - k : k;
        const xi = x === undefined ? undefined : unflatten(x.def, sliceStep(xs, i - base), false);
        const stepProgram = body(carry, xi, i);
        if (!isProgram(stepProgram)) throw new ArgumentError('INVALID_ARGUMENT', op, 'the body returned a Program once and a plain value once; it must return a Program on every step, or never');
        const out = (yield* stepProgram as Program<unknown, unknown>) as unknown;
        if (!Array.isArray(out) || out.length !== 2) throw new ArgumentError('INVALID_ARGUMENT', op, `the body's program returned ${describeValue(out)}; it must return a pair [carry, y]`);
        const cl = treeLeaves(op, out[0]);
        checkCarry(op, c.def, avals, cl.def, cl.leaves);
        carry = unflatten(c.def, cl.leaves, false);
        const yl = treeLeaves(op, out[1]);
        if (def === undefined) {
          def = yDef ?? yl.def;
          yl.leaves.forEach(() => ys.push([]));
        }
        if (!sameDef(def, yl.def)) throw new ShapeError('TREE_MISMATCH', op, `the body's y changed structure between iterations: ${describeDef(def)} became ${describeDef(yl.def)}`);
        yDef = def;
        // kept in the order of xs: reversed iteration fills from the end
        yl.leaves.forEach((y, j) => (reverse ? ys[j]!.unshift(y) : ys[j]!.push(y)));
      }
      return [carry, ys.map((list) => stack(list))] as const;
    });
  /** Steps [from, to) by the binomial schedule with `free` snapshots (see above). */
  const runScheduled = (carry0: unknown, xs: ReadonlyArray<Tensor>, base: number, from0: number, to: number, free: number): Program<readonly [unknown, Tensor[]], unknown> =>
    gen(function* () {
      let carry = carry0;
      let from = from0;
      let j = free;
      const parts: Tensor[][] = [];
      while (to - from > 1) {
        const k = to - from;
        const m = j === 0 ? k - 1 : split(k, j);
        const [lo, hi] = xsRange(from, from + m);
        const [a, left] = [from, j];
        const segment = checkpoint((cc: unknown, xsSeg: Tensor[]) => runScheduled(cc, xsSeg, lo, a, a + m, left));
        const seg = xs.map((l) => slice(l, [lo - base], [hi - base]));
        const [next, ys] = (yield* segment(carry, seg) as unknown as Program<readonly [unknown, Tensor[]], unknown>) as readonly [unknown, Tensor[]];
        carry = next;
        parts.push(ys);
        from += m;
        if (j > 0) j--;
      }
      if (to > from) {
        const [next, ys] = yield* runSteps(carry, xs, base, from, to);
        carry = next;
        parts.push(ys);
      }
      // parts run in iteration order; ys are in xs order
      const ordered = reverse ? parts.reverse() : parts;
      return [carry, ordered.length === 1 ? ordered[0]! : (ordered[0] ?? []).map((_, leaf) => concat(ordered.map((p) => p[leaf]!)))] as const;
    });
  const xsLeaves = x?.leaves ?? [];
  return gen(function* () {
    const start = unflatten(c.def, c.leaves, false);
    // a schedule bounds what a reverse pass keeps: with none open there is nothing to bound
    const scheduled = snapshots > 0 && n > 1 && reverseTraceOpen();
    const [carry, ys] = yield* (scheduled ? runScheduled(start, xsLeaves, 0, 0, n, snapshots) : runSteps(start, xsLeaves, 0, 0, n));
    return Object.freeze([unflatten(c.def, treeLeaves(op, carry).leaves), yDef === undefined ? undefined : unflatten(yDef, ys)] as const);
  });
}

/**
 * A whileLoop whose body returns a Program: a Program running the steps through the interpreter.
 * With `{ snapshots: s }` under a reverse transform, the whole loop is one `checkpoint`: its first
 * run steps while the predicate holds, keeping nothing, and counts the steps; its recomputation in
 * the reverse pass knows the count, and runs and reverses that many steps by the binomial
 * schedule of `programLoop`, with `s` snapshots. (An online schedule that checkpoints segments as
 * the first run goes would recompute each of them once too, and reverse them with fewer snapshots
 * each: no cheaper.) The body runs `2n` times plus revolve's recomputed steps for `(n, s)`, and
 * the reverse pass holds one step's residuals and about `s + t` carries (the loop's equation holds
 * two; everything else is inside a recomputation, which lets each snapshot go once it is done).
 */
function programWhile(
  op: string,
  condFun: (c: never) => unknown,
  bodyFun: (c: never) => unknown,
  c: { leaves: Tensor[]; def: TreeDef },
  check: (v: unknown) => Tensor[],
  snapshots: number,
): Program<unknown, unknown> {
  const stepOf = (carry: unknown): Program<unknown, unknown> => {
    const p = bodyFun(carry as never);
    if (!isProgram(p)) throw new ArgumentError('INVALID_ARGUMENT', op, 'the body returned a Program once and a plain value once; it must return a Program on every step, or never');
    return p;
  };
  /** Steps while the predicate holds: the final carry and the number of steps. */
  const steps = (carry0: unknown) =>
    gen(function* () {
      let carry = carry0;
      let k = 0;
      while (readPredicate(op, condFun(carry as never))) {
        carry = unflatten(c.def, check(yield* stepOf(carry)), false);
        k++;
      }
      return [carry, k] as const;
    });
  return gen(function* () {
    const start = unflatten(c.def, c.leaves, false);
    if (snapshots === 0 || !reverseTraceOpen()) return unflatten(c.def, check((yield* steps(start))[0]));
    let count: number | undefined;
    const loop = checkpoint((carry: unknown): Program<unknown, unknown> => {
      if (count === undefined) {
        return map(steps(carry), ([next, k]) => {
          count = k;
          return next;
        });
      }
      const asScan = (cc: unknown): Program<readonly [unknown, readonly []], unknown> => map(stepOf(cc), (next) => [next, []] as const);
      return map(programLoop(op, asScan, treeLeaves(op, carry), undefined, count, false, snapshots), ([next]) => next);
    });
    return unflatten(c.def, check(yield* (loop(start) as Program<unknown, unknown>)));
  });
}

/**
 * A loop of length 0: the carry as it is, and empty stacks of `y`. The body runs once, on zeros
 * shaped like one step's `x`, with nothing recorded, only to learn the structure of `y`.
 */
function emptyLoop(
  op: string,
  body: (carry: unknown, x: unknown, index: number) => readonly [unknown, unknown],
  c: { leaves: Tensor[]; def: TreeDef },
  x: { leaves: Tensor[]; def: TreeDef } | undefined,
): readonly [unknown, unknown] {
  const x0 = (x?.leaves ?? []).map((l) => zerosLike({ shape: l.shape.slice(1), dtype: l.dtype } as unknown as Tensor));
  const probe = closureConvert(op, (ls) => {
    const out = body(unflatten(c.def, ls.slice(0, c.leaves.length), false), x === undefined ? undefined : unflatten(x.def, ls.slice(c.leaves.length), false), 0);
    if (isProgram(out)) throw PROGRAM_BODY;
    if (!Array.isArray(out) || out.length !== 2) throw new ArgumentError('INVALID_ARGUMENT', op, `the body returned ${describeValue(out)}; it must return a pair [carry, y]`);
    return out[1];
  }, [...c.leaves, ...x0]);
  const ys = probe.outAvals.map((a) => zerosLike(stackedAval(a, 0) as Tensor));
  return Object.freeze([unflatten(c.def, c.leaves), unflatten(probe.outDef, ys)] as const);
}

/** The loop with nothing traced: runs the body directly (no equation to record). */
function plainLoop(
  op: string,
  body: (carry: unknown, x: unknown, index: number) => readonly [unknown, unknown],
  c: { leaves: Tensor[]; def: TreeDef },
  x: { leaves: Tensor[]; def: TreeDef } | undefined,
  n: number,
  reverse: boolean,
): readonly [unknown, unknown] {
  let carry: unknown = unflatten(c.def, c.leaves, false);
  const avals = c.leaves.map(avalOf);
  const ys: Tensor[][] = [];
  let yDef: TreeDef | undefined;
  for (let k = 0; k < n; k++) {
    const i = reverse ? n - 1 - k : k;
    const xi = x === undefined ? undefined : unflatten(x.def, sliceStep(x.leaves, i), false);
    const out = body(carry, xi, i);
    if (isProgram(out)) throw PROGRAM_BODY;
    if (!Array.isArray(out) || out.length !== 2) throw new ArgumentError('INVALID_ARGUMENT', op, `the body returned ${describeValue(out)}; it must return a pair [carry, y]`);
    const cl = treeLeaves(op, out[0]);
    checkCarry(op, c.def, avals, cl.def, cl.leaves);
    carry = out[0];
    const yl = treeLeaves(op, out[1]);
    if (yDef === undefined) {
      yDef = yl.def;
      yl.leaves.forEach(() => ys.push(new Array<Tensor>(n)));
    } else if (!sameDef(yDef, yl.def)) throw new ShapeError('TREE_MISMATCH', op, `the body's y changed structure between iterations: ${describeDef(yDef)} became ${describeDef(yl.def)}`);
    yl.leaves.forEach((y, j) => (ys[j]![i] = y));
  }
  const finalCarry = unflatten(c.def, treeLeaves(op, carry).leaves);
  if (yDef === undefined) return Object.freeze([finalCarry, undefined] as const);
  return Object.freeze([finalCarry, unflatten(yDef, ys.map((list) => stack(list)))] as const);
}

/**
 * `carry = body(i, carry)` for `i` from `lower` to `upper - 1` (plain integers): a `scan` without
 * outputs, one equation under a transform, with the same `checkpoint` option.
 *
 * `foriLoop : (lower, upper, (i, c) => c, c0) => c`
 *
 * Errors: as `scan`'s, and `INVALID_ARGUMENT` for bounds that are not integers.
 *
 * @example
 * import { foriLoop, mul, add, grad, item } from 'adjoint'
 * // x ↦ x · 1 · 2 · 3 + 0 + 1 + 2 (i runs over 0, 1, 2 after the first multiply by 1)
 * const f = (x) => foriLoop(1, 4, (i, c) => add(mul(c, i), i - 1), x)
 * assert.equal(item(f(2)), 2 * 6 + (0 * 6 + 1 * 3 + 2))
 * assert.equal(item(grad(f)(2)), 6)
 *
 * @category control flow
 * @since 0.1.0
 */
export function foriLoop<C, E>(lower: number, upper: number, body: (i: number, carry: C) => Program<C, E>, init: C, options?: Pick<ScanOptions, 'checkpoint'>): Program<C, E>;
export function foriLoop<C>(lower: number, upper: number, body: (i: number, carry: C) => C, init: C, options?: Pick<ScanOptions, 'checkpoint'>): C;
export function foriLoop<C>(lower: number, upper: number, body: (i: number, carry: C) => unknown, init: C, options?: Pick<ScanOptions, 'checkpoint'>): unknown {
  const op = 'foriLoop';
  checkArity(op, arguments.length, 5, 'foriLoop(lower, upper, body, init, options?)');
  const lo = parseInteger(op, 'lower', lower);
  const hi = parseInteger(op, 'upper', upper);
  parseFunction(op, 'body', body);
  const o = parseOptions(op, 'options', options, ['checkpoint']);
  const snapshots = parseCheckpoint(op, o.checkpoint);
  const n = Math.max(0, hi - lo);
  const c = treeLeaves(op, init);
  // the body's carry, as a loop step with no y (a Program body gives a Program step)
  const step = (carry: unknown, _x: unknown, index: number): unknown => {
    const out = (body as (i: number, c: unknown) => unknown)(lo + index, carry);
    return isProgram(out) ? map(out, (cc) => [cc, []] as const) : ([out, []] as const);
  };
  const result = runUserLoop(op, step as never, c, undefined, n, false, snapshots) as unknown;
  return isProgram(result) ? map(result as Program<readonly [unknown, unknown], unknown>, ([carry]) => carry) : (result as readonly [unknown, unknown])[0];
}

// ---- whileLoop ---------------------------------------------------------------------------------------

/**
 * A predicate or branch index given as a tensor must be 0-d (as JAX's `cond`, `switch` and
 * `while_loop` require): a shape-[1] value is refused like any other non-scalar, rather than read.
 * Under vmap the shape is a lane's.
 */
export function scalarPredicate(op: string, what: string, t: Tensor): Tensor {
  if (t.ndim !== 0) {
    throw new ShapeError('SHAPE_MISMATCH', op, `${what} has shape ${formatShape(t.shape)}; pass a boolean, a number or a 0-d tensor (reduce it first with sum or max, or index one element)`);
  }
  return t;
}

/**
 * Every lane's value of a predicate or index batched by vmap (the whole batch under the lane);
 * NaN in any lane is refused, naming the lane, as for an unbatched predicate.
 */
export function predicateLanes(op: string, what: string, t: Tensor): ArrayLike<number> {
  const values = dataOf(concreteOf(scalarPredicate(op, what, t)));
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i]!)) throw new ArgumentError('INVALID_ARGUMENT', op, `lane ${i}'s ${what} is NaN; pass a boolean or a 0-d tensor that is not NaN`);
  }
  return values;
}

/** Reads a loop or branch predicate: a boolean, a number or a 0-d tensor (non-zero is true). */
export function readPredicate(op: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) throw new ArgumentError('INVALID_ARGUMENT', op, 'the predicate is NaN; pass a boolean or a 0-d tensor that is not NaN');
    return v !== 0;
  }
  const t = scalarPredicate(op, 'the predicate', asTensor(op, v as Tensor));
  // whileLoop and cond take a batched predicate elsewhere (masked, selected); what reaches here is
  // the predicate of a loop whose body returns a Program, become batched after its first step
  if (isBatched(t)) throw batchedProgramLoop(op);
  const value = item(concreteOf(t));
  if (Number.isNaN(value)) throw new ArgumentError('INVALID_ARGUMENT', op, 'the predicate is NaN; pass a boolean or a 0-d tensor that is not NaN');
  return value !== 0;
}

/**
 * A batched predicate where the body returns a Program: lanes stop at different steps, so every
 * step would perform the body's effects for every lane, the lanes that are done included (a log
 * entry of values they discard, a state write they must not see), as `cond` refuses Program
 * branches under a batched predicate.
 */
function batchedProgramLoop(op: string): AdjointError {
  return new AdjointError(
    'EFFECT_REFUSED',
    op,
    'the predicate is batched under vmap (its lanes stop at different steps) and the body returns a Program: every step would perform the body\'s effects for every lane, also the lanes that are done; make the body pure and perform the effects before or after the loop, give the lanes a shared trip count (scan or foriLoop, selecting with where), or loop outside vmap',
  );
}

/**
 * whileLoop with a predicate batched by vmap: lanes finish at different steps, so the loop runs
 * until every lane is done, and a lane that is done keeps its carry (`where`, NaN-safe) while the
 * others step. Recorded step by step (not as one equation).
 */
function maskedWhile(
  op: string,
  condFun: (c: never) => unknown,
  bodyFun: (c: never) => unknown,
  c: { leaves: Tensor[]; def: TreeDef },
  check: (v: unknown) => Tensor[],
): unknown {
  let leaves = c.leaves;
  for (;;) {
    const p = asTensor(op, condFun(unflatten(c.def, leaves, false) as never) as Tensor);
    const lanes = predicateLanes(op, 'predicate', p);
    let active = false;
    for (let i = 0; i < lanes.length; i++) if (lanes[i] !== 0) active = true;
    if (!active) break;
    const out = bodyFun(unflatten(c.def, leaves, false) as never);
    if (isProgram(out)) throw batchedProgramLoop(op);
    const next = check(out);
    leaves = next.map((n, k) => where(p, n, leaves[k]!));
  }
  return unflatten(c.def, leaves);
}

/**
 * `while (condFun(carry)) carry = bodyFun(carry)`, differentiable in both modes with no bound on the
 * trip count: the count is decided by the values (the derivative is that of the iterations that
 * ran, as for a branch). `condFun` returns a boolean or a 0-d tensor. Under a transform the loop
 * first runs on the values to count its iterations, keeping nothing (the predicate has to read them
 * anyway), and is then recorded as one equation of that length: `options.checkpoint: { snapshots:
 * s }` keeps at most `s` carries in the reverse pass, with the binomial (offline-optimal) schedule
 * for the count it found, rather than an online schedule's guess. The cost is one extra forward run.
 * A body that returns a `Program` makes the result a `Program`; with `{ snapshots: s }` its
 * first run (the effects' only one) counts the steps, and the reverse pass replays them by that
 * schedule.
 *
 * `whileLoop : (c => bool, c => c, c0) => c`
 *
 * Under vmap, a predicate whose lanes differ (from the start, or once the body mixes a batched
 * value into the carry) runs the loop until every lane is done, each lane keeping its carry from
 * the step its predicate turned false.
 *
 * Errors: `TREE_MISMATCH` for a body whose carry changes; `SHAPE_MISMATCH` for a predicate that is
 * not 0-d; `INVALID_ARGUMENT` for a NaN predicate (in any lane) or bad options; `UNKNOWN_OPTION`;
 * `EFFECT_REFUSED` for a body that returns a Program while the predicate is batched under vmap.
 *
 * @example
 * import { whileLoop, grad, jvp, sub, mul, div, greater, abs, item } from 'adjoint'
 * // Newton's method for √a: the trip count depends on a
 * const sqrt = (a) => whileLoop((x) => greater(abs(sub(mul(x, x), a)), 1e-12), (x) => sub(x, div(sub(mul(x, x), a), mul(2, x))), a)
 * assert.ok(Math.abs(item(sqrt(2)) - Math.SQRT2) < 1e-12)
 * assert.ok(Math.abs(item(grad(sqrt)(4)) - 0.25) < 1e-10)
 *
 * @category control flow
 * @since 0.1.0
 */
export function whileLoop<C, E>(condFun: (carry: C) => boolean | Tensor, bodyFun: (carry: C) => Program<C, E>, init: C, options?: { readonly checkpoint?: Checkpointing }): Program<C, E>;
export function whileLoop<C>(condFun: (carry: C) => boolean | Tensor, bodyFun: (carry: C) => C, init: C, options?: { readonly checkpoint?: Checkpointing }): C;
export function whileLoop<C>(condFun: (carry: C) => boolean | Tensor, bodyFun: (carry: C) => unknown, init: C, options?: { readonly checkpoint?: Checkpointing }): unknown {
  const op = 'whileLoop';
  checkArity(op, arguments.length, 4, 'whileLoop(condFun, bodyFun, init, options?)');
  parseFunction(op, 'condFun', condFun);
  parseFunction(op, 'bodyFun', bodyFun);
  const o = parseOptions(op, 'options', options, ['checkpoint']);
  const snapshots = parseCheckpoint(op, o.checkpoint);
  const c = treeLeaves(op, init);
  const avals = c.leaves.map(avalOf);
  // the trip count is decided on the values, like a branch: run the loop on them to find it
  let carry: unknown = unflatten(c.def, c.leaves, false);
  let n = 0;
  const check = (v: unknown): Tensor[] => {
    const l = treeLeaves(op, v);
    checkCarry(op, c.def, avals, l.def, l.leaves);
    return l.leaves;
  };
  const stepOf = (v: unknown): Tensor[] | typeof PROGRAM_BODY => {
    const out = bodyFun(v as C);
    return isProgram(out) ? PROGRAM_BODY : check(out);
  };
  // A loop that runs no step never called its body, so has not seen whether it returns a Program:
  // it is called once on the carry's values (nothing recorded, the result dropped), so that such
  // a loop returns a Program, as its type says. A body that fails on a carry it was not meant to
  // step is not held against it (it is then taken for a plain one, as before).
  const noSteps = (): unknown => {
    const result = unflatten(c.def, c.leaves);
    const standIns = c.leaves.map((l) => stripGradient(l));
    let returnsProgram = false;
    try {
      returnsProgram = withClosureScope(makeScope('discover', op, standIns, undefined, stripGradient), () => isProgram(bodyFun(unflatten(c.def, standIns, false) as C)));
    } catch {
      returnsProgram = false;
    }
    return returnsProgram ? of(result) : result;
  };
  if (!tracesOpen()) {
    let steps = 0;
    while (readPredicate(op, condFun(carry as C))) {
      const next = stepOf(carry);
      if (next === PROGRAM_BODY) return programWhile(op, condFun, bodyFun, c, check, snapshots) as C;
      carry = unflatten(c.def, next, false);
      steps++;
    }
    return (steps === 0 ? noSteps() : unflatten(c.def, check(carry))) as C;
  }
  // under a transform: count the iterations on the values (the predicate reads them anyway),
  // nothing recorded and nothing kept, then record the loop as one equation of that length. The
  // values lose their derivatives but keep the lanes of a vmap outside: a predicate batched at
  // some step (from the start, or once the body mixes a batched value into the carry) has lanes
  // that stop at different steps, and is masked instead.
  const standIns = c.leaves.map((l) => stripGradient(l));
  let programBody = false;
  let batched = false;
  withClosureScope(makeScope('discover', op, standIns, undefined, stripGradient), () => {
    let probe: unknown = unflatten(c.def, standIns, false);
    for (;;) {
      const pred = condFun(probe as C);
      if (isTensor(pred) && isBatched(pred)) {
        batched = true;
        return;
      }
      if (!readPredicate(op, pred)) return;
      const next = stepOf(probe);
      if (next === PROGRAM_BODY) {
        programBody = true;
        return;
      }
      probe = unflatten(c.def, next, false);
      n++;
    }
  });
  if (batched) return maskedWhile(op, condFun, bodyFun, c, check) as C;
  if (programBody) return programWhile(op, condFun, bodyFun, c, check, snapshots) as C;
  if (n === 0) return noSteps() as C;
  const body = (cc: unknown): readonly [unknown, unknown] => [bodyFun(cc as C), []];
  const [result] = runUserLoop(op, body, c, undefined, n, false, snapshots);
  return result as C;
}
