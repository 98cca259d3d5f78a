/**
 * Levels, tracers and the two interpreters behind every transform.
 *
 * Each transform call opens a trace with a fresh level and wraps its inputs in tracers of that level.
 * `bind` (see `primitive.ts`) hands an op to the trace of the highest-level tracer among its
 * arguments; values of lower levels are constants to it. A trace computes the primal by binding the
 * same primitive on its tracers' primal values, which routes the work one level down: nested
 * transforms compose without special cases, and perturbations of different levels never mix.
 *
 * - `ReverseTrace` records a Wengert list (tape): the primitive, its argument values (which hold the
 *   primal values the rule reads) and its output. `backward` seeds output adjoints and walks the tape
 *   in reverse, applying each rule's `vjp` and summing adjoints (`+=`) where a value is used twice.
 * - `JvpTrace` carries (primal, tangent) pairs and applies each rule's `jvp` as it goes.
 *
 * A trace is active only while its transform runs the user's function (entered and left in
 * `try/finally`); a tracer that escapes and is used afterwards raises `LEAKED_TRACER`.
 *
 * @since 0.1.0
 */
import { unbroadcast } from './broadcasting.js';
import { AdjointError, formatShape } from './errors.js';
import { type Interpreter, type Primitive, setInterpreter } from './primitive.js';
import { sameShape } from './shape.js';
import { abstractTensorArgs, isConcrete, makeScalar, scalarOf, setTracerReadError, Tensor } from './Tensor.js';
import { isZero, type Tangent, Zero } from './zero.js';
import type { Rule } from '../rules/combinators.js';
import { add } from '../rules/elementwise.js';
import { broadcastTo } from '../rules/structure.js';

/** A value under a transform: its primal (one level down) and, in forward mode, its tangents. */
export class Tracer extends Tensor {
  constructor(
    readonly trace: Trace,
    readonly primal: Tensor,
    /** Position in the reverse trace's adjoint table; -1 in forward mode. */
    readonly slot: number,
    /** Forward mode: one tangent per direction pushed forward at once (empty in reverse mode). */
    readonly tangents: ReadonlyArray<Tangent>,
  ) {
    super(...abstractTensorArgs(primal.shape, primal.dtype));
  }
}

/** One transform invocation. */
export abstract class Trace {
  active = true;
  constructor(
    readonly level: number,
    /** The public transform's name, for error messages. */
    readonly transform: string,
  ) {}
  abstract process(prim: Rule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): Tensor;

  /** The primal of `x` as this trace sees it: its own tracers are unwrapped, anything else is a constant. */
  primalOf(x: Tensor): Tensor {
    return x instanceof Tracer && x.trace === this ? x.primal : x;
  }
}

// ---- dispatch ----------------------------------------------------------------------------------------

let nextLevel = 1;
let activeCount = 0;

function leakedError(t: Tracer): AdjointError {
  return new AdjointError(
    'LEAKED_TRACER',
    t.trace.transform,
    `a traced value of shape ${formatShape(t.shape)} (${t.dtype}) from a ${t.trace.transform} call that has already returned was used; ` +
      'a value computed inside a transformed function must be returned from it, not stored in an outer variable',
  );
}

const dispatcher: Interpreter = {
  bind<P>(prim: Primitive<P>, args: ReadonlyArray<Tensor>, params: P): Tensor {
    let top: Trace | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a instanceof Tracer) {
        const t = a.trace;
        if (!t.active) throw leakedError(a);
        if (top === undefined || t.level > top.level) top = t;
      }
    }
    if (top === undefined) return prim.impl(args, params, prim.shape(args, params));
    return top.process(prim as Rule<unknown>, args, params);
  },
};

setTracerReadError((t) => {
  if (t instanceof Tracer && !t.trace.active) return leakedError(t);
  const where = t instanceof Tracer ? `${t.trace.transform} (level ${t.trace.level})` : 'a transform';
  return new AdjointError(
    'CONCRETIZATION',
    where,
    `cannot read the numbers of a traced value of shape ${formatShape(t.shape)} (${t.dtype}) inside ${where}; ` +
      'write the computation with adjoint ops, use observe(x) in a Program to branch on a value, or stopGradient(x) for a constant',
  );
});

/** The concrete value under every level of tracing: a constant to all transforms. */
export function concreteOf(t: Tensor): Tensor {
  let v = t;
  while (v instanceof Tracer) {
    if (!v.trace.active) throw leakedError(v);
    v = v.primal;
  }
  return v;
}

/** The name a value has in the innermost open reverse trace that recorded it (`w3`), for messages. */
export function ssaName(t: Tensor): string {
  for (let v = t; v instanceof Tracer; v = v.primal) {
    if (v.trace instanceof ReverseTrace) return `w${v.slot + 1} (in ${v.trace.transform})`;
  }
  return 'a constant';
}

/** Reading the numbers of a tracer whose transform returned is a leak, not a concretization. */
export function checkNotLeaked(t: Tensor): void {
  if (t instanceof Tracer && !t.trace.active) throw leakedError(t);
}

/** Makes `trace` active. Every call is paired with `closeTrace`, in `finally` or by the Program interpreter. */
export function openTrace(trace: Trace): void {
  if (activeCount++ === 0) setInterpreter(dispatcher);
  openTraces.push(trace);
}

const openTraces: Trace[] = [];

/**
 * Records an effect operation (`State.set x@1`, `Random.normal`, ...) in every open reverse trace,
 * at the current position of its tape, so `printTape` can show it among the equations.
 */
export function noteEffect(text: string, values: ReadonlyArray<unknown>): void {
  for (const t of openTraces) if (t instanceof ReverseTrace) t.notes.push({ at: t.outs.length, text, values });
}

/** Deactivates `trace` for good: its tracers are leaked from now on. */
export function closeTrace(trace: Trace): void {
  trace.active = false;
  const i = openTraces.lastIndexOf(trace);
  if (i >= 0) openTraces.splice(i, 1);
  if (--activeCount === 0) setInterpreter(undefined);
}

/** Runs `body` with `trace` active; the trace is closed however `body` exits. */
export function withTrace<T>(trace: Trace, body: () => T): T {
  openTrace(trace);
  try {
    return body();
  } finally {
    closeTrace(trace);
  }
}

/** A fresh level, higher than every level opened before. */
export function newLevel(): number {
  return nextLevel++;
}

// ---- reverse mode --------------------------------------------------------------------------------------

/** The recorded forward pass: equation `e` is `outs[e] = prims[e](args[e]; params[e])`. */
export class ReverseTrace extends Trace {
  readonly prims: Array<Rule<unknown>> = [];
  readonly args: Array<ReadonlyArray<Tensor>> = [];
  readonly params: unknown[] = [];
  readonly outs: Tracer[] = [];
  /** Input tracers, in the order they were created. */
  readonly inputs: Tracer[] = [];
  /** Effect operations performed while recording, before equation `at` (for printTape). */
  readonly notes: Array<{ readonly at: number; readonly text: string; readonly values: ReadonlyArray<unknown> }> = [];
  private slots = 0;

  /** Wraps an input leaf. */
  input(x: Tensor): Tracer {
    const t = new Tracer(this, x, this.slots++, NO_TANGENTS);
    this.inputs.push(t);
    return t;
  }

  process(prim: Rule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): Tensor {
    const n = args.length;
    const primals = new Array<Tensor>(n);
    for (let i = 0; i < n; i++) primals[i] = this.primalOf(args[i]!);
    const ans = dispatchOrEvaluate(prim, primals, params);
    const out = new Tracer(this, ans, this.slots++, NO_TANGENTS);
    this.prims.push(prim);
    this.args.push(args);
    this.params.push(params);
    this.outs.push(out);
    return out;
  }

  /**
   * The reverse pass: `seeds` pairs output tracers with their cotangents. Returns the adjoint table
   * indexed by slot (`undefined` is a symbolic zero). With `keepAll` false, intermediate adjoints are
   * dropped as soon as they have been propagated.
   */
  backward(seeds: ReadonlyArray<readonly [Tracer, Tensor]>, keepAll = false): Array<Tensor | undefined> {
    const adj = new Array<Tensor | undefined>(this.slots);
    // Scalar fast path: an equation whose values are all concrete 0-d float64 propagates plain
    // numbers through the rule's `scalarPartial` into `num` (no tensors, no ops). Concrete values are
    // constants to every trace above this one, so nothing is lost for higher-order derivatives.
    const num = new Float64Array(this.slots);
    const hasNum = new Uint8Array(this.slots);
    for (const [t, ct] of seeds) accumulate(adj, t, ct);
    for (let e = this.outs.length - 1; e >= 0; e--) {
      const out = this.outs[e]!;
      const slot = out.slot;
      const prim = this.prims[e]!;
      const args = this.args[e]!;
      const n = args.length;
      const tensorCt = adj[slot];
      if (tensorCt === undefined && hasNum[slot] === 0) continue;
      const partial = prim.scalarPartial;
      if (partial !== undefined && n <= 2 && isScalarValue(out.primal) && (tensorCt === undefined || isScalarValue(tensorCt))) {
        const x = args[0]!;
        const y = n === 2 ? args[1]! : x;
        const xOwn = x instanceof Tracer && x.trace === this;
        const yOwn = n === 2 && y instanceof Tracer && y.trace === this;
        const xp = xOwn ? (x as Tracer).primal : x;
        const yp = yOwn ? (y as Tracer).primal : y;
        if (isScalarValue(xp) && isScalarValue(yp)) {
          const ct = (hasNum[slot] === 1 ? num[slot]! : 0) + (tensorCt === undefined ? 0 : scalarOf(tensorCt));
          if (!keepAll) {
            adj[slot] = undefined;
            hasNum[slot] = 0;
          }
          if (ct === 0) continue; // strong zero: 0 · anything = 0
          const xv = scalarOf(xp);
          const yv = scalarOf(yp);
          const ans = scalarOf(out.primal);
          if (xOwn) addNum(num, hasNum, (x as Tracer).slot, ct * partial(0, xv, yv, ans));
          if (yOwn) addNum(num, hasNum, (y as Tracer).slot, ct * partial(1, xv, yv, ans));
          continue;
        }
      }
      const ct = mergeNum(adj, num, hasNum, slot)!;
      if (!keepAll) {
        adj[slot] = undefined;
        hasNum[slot] = 0;
      }
      const primals = new Array<Tensor>(n);
      const wants = new Array<boolean>(n);
      for (let i = 0; i < n; i++) {
        const a = args[i]!;
        const own = a instanceof Tracer && a.trace === this;
        wants[i] = own;
        primals[i] = own ? (a as Tracer).primal : a;
      }
      const cts = prim.vjp(ct, primals, out.primal, this.params[e], wants);
      for (let i = 0; i < n; i++) {
        const c = cts[i];
        if (!wants[i] || c === undefined || isZero(c)) continue;
        accumulate(adj, args[i] as Tracer, unbroadcast(c, primals[i]!.shape));
      }
    }
    for (let s = 0; s < this.slots; s++) if (hasNum[s] === 1) mergeNum(adj, num, hasNum, s);
    return adj;
  }
}

/** A concrete 0-d float64 tensor: the values the scalar fast path handles. */
function isScalarValue(t: Tensor): boolean {
  return t.ndim === 0 && t.dtype === 'float64' && isConcrete(t);
}

function addNum(num: Float64Array, hasNum: Uint8Array, slot: number, v: number): void {
  num[slot] = hasNum[slot] === 1 ? num[slot]! + v : v;
  hasNum[slot] = 1;
}

/** Folds a slot's numeric adjoint into its tensor adjoint and returns the total. */
function mergeNum(adj: Array<Tensor | undefined>, num: Float64Array, hasNum: Uint8Array, slot: number): Tensor | undefined {
  if (hasNum[slot] === 1) {
    const s = makeScalar(num[slot]!, 'float64');
    const t = adj[slot];
    adj[slot] = t === undefined ? s : add(t, s);
    hasNum[slot] = 0;
  }
  return adj[slot];
}

function accumulate(adj: Array<Tensor | undefined>, t: Tracer, ct: Tensor): void {
  const prev = adj[t.slot];
  adj[t.slot] = prev === undefined ? ct : add(prev, ct);
}

// ---- forward mode --------------------------------------------------------------------------------------

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

  input(x: Tensor, tangents: ReadonlyArray<Tangent>): Tracer {
    return new Tracer(this, x, -1, tangents);
  }

  process(prim: Rule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): Tensor {
    const n = args.length;
    const primals = new Array<Tensor>(n);
    let own = false;
    for (let i = 0; i < n; i++) {
      const a = args[i]!;
      if (a instanceof Tracer && a.trace === this) {
        primals[i] = a.primal;
        own = true;
      } else primals[i] = a;
    }
    const ans = dispatchOrEvaluate(prim, primals, params);
    if (!own) return ans;
    const outs = new Array<Tangent>(this.width);
    let live = false;
    for (let j = 0; j < this.width; j++) {
      const tangents = new Array<Tangent>(n);
      let any = false;
      for (let i = 0; i < n; i++) {
        const a = args[i]!;
        const t = a instanceof Tracer && a.trace === this ? a.tangents[j]! : Zero;
        tangents[i] = t;
        if (!isZero(t)) any = true;
      }
      let tangent: Tangent = Zero;
      if (any) {
        tangent = prim.jvp(primals, tangents, ans, params);
        if (!isZero(tangent) && !sameShape(tangent.shape, ans.shape)) tangent = broadcastTo(tangent, ans.shape);
      }
      if (!isZero(tangent)) live = true;
      outs[j] = tangent;
    }
    return live ? new Tracer(this, ans, -1, outs) : ans;
  }
}

const NO_TANGENTS: ReadonlyArray<Tangent> = Object.freeze([]);

/** Binds one level down: to a lower trace if a primal is a tracer, else evaluates. */
function dispatchOrEvaluate(prim: Rule<unknown>, primals: ReadonlyArray<Tensor>, params: unknown): Tensor {
  return dispatcher.bind(prim, primals, params);
}
