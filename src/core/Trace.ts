/**
 * Levels, tracers and the two interpreters behind every transform.
 *
 * Each transform call opens a trace with a fresh level and wraps its inputs in tracers of that level.
 * `bind` (see `primitive.ts`) hands an op to the trace of the highest-level tracer among its
 * arguments; values of lower levels are constants to it. A trace computes the primal by binding the
 * same primitive on its tracers' primal values, which routes the work one level down: nested
 * transforms compose without special cases, and perturbations of different levels never mix.
 *
 * - `ReverseTrace` records a Wengert list (tape): per equation the primitive, its operands and its
 *   output slot, with the primal values the rules read. `backward` seeds output adjoints and walks the
 *   tape in reverse, applying each rule's `vjp` and summing adjoints (`+=`) where a value is used twice.
 * - `JvpTrace` carries (primal, tangents) pairs and applies each rule's `jvp` as it goes.
 *
 * A trace is active only while its transform runs the user's function (entered and left in
 * `try/finally`); a tracer that escapes and is used afterwards raises `LEAKED_TRACER`.
 *
 * @since 0.1.0
 */
import { unbroadcast } from './broadcasting.js';
import { AdjointError, formatShape } from './errors.js';
import { evaluate, type Interpreter, type Primitive, setInterpreter } from './primitive.js';
import { SCALAR_SHAPE, sameShape } from './shape.js';
import { auxOfTensor, isConcrete, makeScalar, makeTracer, scalarOf, setTracerReadError, slotOfTensor, type Tensor, traceOfTensor } from './Tensor.js';
import { isZero, type Tangent, Zero } from './zero.js';
import { type Rule, ruleTable } from '../rules/combinators.js';
import { add, astype } from '../rules/elementwise.js';
import { broadcastTo } from '../rules/structure.js';

/**
 * A view of a traced value's state: its trace, its slot on a reverse tape, and in forward mode its
 * primal and tangents. The state itself lives in the tensor's private fields (no object per op);
 * `tracerOf` builds this view for code off the hot path.
 */
export class Tracer {
  constructor(
    readonly trace: Trace,
    /** Reverse mode: the value's slot in the tape. Forward mode: -1. */
    readonly slot: number,
    private readonly forward: ForwardState | undefined,
  ) {}

  /** The value one level down. */
  get primal(): Tensor {
    return this.forward?.primal ?? (this.trace as ReverseTrace).primalAt(this.slot);
  }

  /** Forward mode: one tangent per direction pushed forward at once. */
  get tangents(): ReadonlyArray<Tangent> {
    return this.forward?.tangents ?? NO_TANGENTS;
  }
}

/** What a forward-mode tracer carries. */
interface ForwardState {
  readonly primal: Tensor;
  readonly tangents: ReadonlyArray<Tangent>;
}

const NO_TANGENTS: ReadonlyArray<Tangent> = Object.freeze([]);

/** The trace `t` belongs to, or undefined for a concrete tensor. */
export const traceOf = (t: Tensor): Trace | undefined => traceOfTensor(t) as Trace | undefined;

/** The tracing state of `t` as a view, or undefined for a concrete tensor. */
export function tracerOf(t: Tensor): Tracer | undefined {
  const trace = traceOf(t);
  return trace === undefined ? undefined : new Tracer(trace, slotOfTensor(t), auxOfTensor(t) as ForwardState | undefined);
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
    return traceOf(x) === this ? this.ownPrimal(x) : x;
  }

  /** The primal of one of this trace's own tracers. */
  protected abstract ownPrimal(x: Tensor): Tensor;

  /** The state of `x` if it is one of this trace's tracers. */
  own(x: Tensor): Tracer | undefined {
    return traceOf(x) === this ? tracerOf(x) : undefined;
  }
}

// ---- dispatch ----------------------------------------------------------------------------------------

let nextLevel = 1;
/** The traces currently open, innermost last. */
const openTraces: Trace[] = [];

function leakedError(v: Tensor, t: Tracer): AdjointError {
  return new AdjointError(
    'LEAKED_TRACER',
    t.trace.transform,
    `a traced value of shape ${formatShape(v.shape)} (${v.dtype}) from a ${t.trace.transform} call that has already returned was used; ` +
      'a value computed inside a transformed function must be returned from it, not stored in an outer variable',
  );
}

const dispatcher: Interpreter = {
  bind<P>(prim: Primitive<P>, args: ReadonlyArray<Tensor>, params: P): Tensor {
    let top: Trace | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const t = traceOf(a);
      if (t !== undefined) {
        if (!t.active) throw leakedError(a, tracerOf(a)!);
        if (top === undefined || t.level > top.level) top = t;
      }
    }
    if (top === undefined) return evaluate(prim, args, params);
    return top.process(prim as Rule<unknown>, args, params);
  },
};

setTracerReadError((t) => {
  const state = tracerOf(t);
  if (state !== undefined && !state.trace.active) return leakedError(t, state);
  const where = state !== undefined ? `${state.trace.transform} (level ${state.trace.level})` : 'a transform';
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
  for (let state = tracerOf(v); state !== undefined; state = tracerOf(v)) {
    if (!state.trace.active) throw leakedError(v, state);
    v = state.primal;
  }
  return v;
}

/** The name a value has in the innermost open reverse trace that recorded it (`w3`), for messages. */
export function ssaName(t: Tensor): string {
  for (let state = tracerOf(t); state !== undefined; state = tracerOf(state.primal)) {
    if (state.trace instanceof ReverseTrace) return `w${state.slot + 1} (in ${state.trace.transform})`;
  }
  return 'a constant';
}

/** Makes `trace` active. Every call is paired with `closeTrace`, in `finally` or by the Program interpreter. */
export function openTrace(trace: Trace): void {
  if (openTraces.length === 0) setInterpreter(dispatcher);
  openTraces.push(trace);
}

/**
 * Records an effect operation (`State.set x@1`, `Random.normal`, ...) in every open reverse trace,
 * at the current position of its tape, so `printTape` can show it among the equations.
 */
export function noteEffect(text: string, values: ReadonlyArray<unknown>): void {
  for (const t of openTraces) if (t instanceof ReverseTrace) t.notes.push({ at: t.length, text, values });
}

/** Deactivates `trace` for good: its tracers are leaked from now on. */
export function closeTrace(trace: Trace): void {
  trace.active = false;
  if (trace instanceof ReverseTrace) trace.closed();
  const i = openTraces.lastIndexOf(trace);
  if (i >= 0) openTraces.splice(i, 1);
  if (openTraces.length === 0) setInterpreter(undefined);
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

/**
 * One recorded equation, as `printTape` shows it: the primitive, its operands (a slot of this trace,
 * or a constant), its parameters and its output slot.
 */
export interface Equation {
  readonly prim: Rule<unknown>;
  readonly operands: ReadonlyArray<{ readonly slot: number } | { readonly constant: Tensor }>;
  readonly params: unknown;
  readonly slot: number;
}

/** The part of an equation the scalar fast path does not store in typed arrays. */
interface GeneralEquation {
  readonly args: ReadonlyArray<Tensor>;
  readonly params: unknown;
}

/**
 * Tape arrays start at the size the last closed tape needed (at least 16k entries, at most 256k): a
 * training loop records the same program again and again, and then rarely grows its arrays. The cap
 * bounds what a small tape after a huge one allocates (about 11 MB).
 */
let capacityHint = 1 << 14;

function rememberCapacity(slots: number): void {
  capacityHint = Math.min(Math.max(slots, 1 << 14), 1 << 18);
}
const INELIGIBLE = -3;

/**
 * The recorded forward pass (the tape). Equation `e` applies `prims[e]` and defines slot
 * `outSlot[e]`; every value of the trace, inputs first, has a slot.
 *
 * Recording sits on the hot path of every op, so an equation whose operands are all 0-d float64
 * values (concrete, or this trace's scalar slots) is stored in typed arrays: operand slots (or
 * constants) and the output's value by slot. No tensor is made for its output until something asks
 * for one (`Tracer.primal`), and the reverse pass propagates plain numbers through it (the rule's
 * `scalarPartials`). Other equations keep their argument tensors.
 */
export class ReverseTrace extends Trace {
  /** Input tracers, in the order they were created. */
  readonly inputs: Tracer[] = [];
  /** Effect operations performed while recording, before equation `at` (for printTape). */
  readonly notes: Array<{ readonly at: number; readonly text: string; readonly values: ReadonlyArray<unknown> }> = [];
  /** Number of equations. */
  length = 0;
  private slots = 0;
  /** General equations, densely; `generalIndex[e]` is equation e's index here, -1 for a scalar one. */
  private readonly general: GeneralEquation[] = [];
  private generalIndex = new Int32Array(capacityHint);
  private outSlot = new Int32Array(capacityHint);
  /** Equation e's rule, by `Rule.id`. */
  private ops = new Uint16Array(capacityHint);
  /** Scalar equations: operand slots, -1 for a constant held in `c0`/`c1`. */
  private in0 = new Int32Array(capacityHint);
  private in1 = new Int32Array(capacityHint);
  private c0 = new Float64Array(capacityHint);
  private c1 = new Float64Array(capacityHint);
  /** By slot: the value of scalar slots (`isScalar`), the primal tensor of the others. */
  private values = new Float64Array(capacityHint);
  private isScalar = new Uint8Array(capacityHint);
  private readonly primals: Array<Tensor | undefined> = [];

  /** Wraps an input leaf. */
  input(x: Tensor): Tensor {
    const t = this.define(x);
    this.inputs.push(tracerOf(t)!);
    return t;
  }

  protected ownPrimal(x: Tensor): Tensor {
    return this.primalAt(slotOfTensor(x));
  }

  /** Called when the trace closes: the next tape starts at this one's size. */
  closed(): void {
    rememberCapacity(this.slots);
  }

  /** The primal value of a slot, as a tensor (made on first request for scalar slots). */
  primalAt(slot: number): Tensor {
    const p = this.primals[slot];
    if (p !== undefined) return p;
    const t = makeScalar(this.values[slot]!, 'float64');
    this.primals[slot] = t;
    return t;
  }

  /** A new slot holding `value`, and its tracer. */
  private define(value: Tensor): Tensor {
    const slot = this.newSlot();
    if (value.ndim === 0 && value.dtype === 'float64' && isConcrete(value)) {
      this.values[slot] = scalarOf(value);
      this.isScalar[slot] = 1;
    }
    this.primals[slot] = value;
    return makeTracer(value.shape, value.dtype, this, slot, undefined);
  }

  private newSlot(): number {
    const slot = this.slots++;
    if (slot >= this.values.length) {
      this.values = grow(this.values);
      this.isScalar = grow(this.isScalar);
    }
    return slot;
  }

  private newEquation(prim: Rule<unknown>, slot: number): number {
    const e = this.length++;
    if (e >= this.outSlot.length) {
      this.outSlot = grow(this.outSlot);
      this.in0 = grow(this.in0);
      this.in1 = grow(this.in1);
      this.c0 = grow(this.c0);
      this.c1 = grow(this.c1);
      this.generalIndex = grow(this.generalIndex);
      this.ops = grow(this.ops);
    }
    this.ops[e] = prim.id;
    this.outSlot[e] = slot;
    return e;
  }

  process(prim: Rule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): Tensor {
    const n = args.length;
    const scalarImpl = prim.scalarImpl;
    if (scalarImpl !== undefined && n <= 2) {
      // scalar fast path: every operand is this trace's scalar slot or a concrete 0-d float64
      const x = args[0]!;
      const s0 = this.scalarOperand(x);
      const y = n === 2 ? args[1]! : x;
      const s1 = n === 2 ? this.scalarOperand(y) : -2; // -2: no second operand
      if (s0 !== INELIGIBLE && s1 !== INELIGIBLE) {
        const v0 = s0 >= 0 ? this.values[s0]! : scalarOf(x);
        const v1 = s1 >= 0 ? this.values[s1]! : s1 === -1 ? scalarOf(y) : v0;
        const slot = this.newSlot();
        const k = prim.implKind;
        this.values[slot] = k === 1 ? v0 + v1 : k === 2 ? v0 - v1 : k === 3 ? v0 * v1 : scalarImpl(v0, v1);
        this.isScalar[slot] = 1;
        const e = this.newEquation(prim, slot);
        this.in0[e] = s0;
        this.c0[e] = v0;
        this.in1[e] = s1;
        this.c1[e] = v1;
        this.generalIndex[e] = -1;
        return makeTracer(SCALAR_SHAPE, 'float64', this, slot, undefined);
      }
    }
    const primals = new Array<Tensor>(n);
    for (let i = 0; i < n; i++) primals[i] = this.primalOf(args[i]!);
    const out = this.define(dispatcher.bind(prim, primals, params));
    const e = this.newEquation(prim, slotOfTensor(out));
    this.generalIndex[e] = this.general.length;
    this.general.push({ args, params });
    return out;
  }

  private generalAt(e: number): GeneralEquation | undefined {
    const gi = this.generalIndex[e]!;
    return gi < 0 ? undefined : this.general[gi];
  }

  /** An operand's slot if it is one of this trace's scalar values, -1 for a concrete 0-d float64 constant, else INELIGIBLE. */
  private scalarOperand(a: Tensor): number {
    const t = traceOf(a);
    if (t !== undefined) {
      const slot = slotOfTensor(a);
      return t === this && this.isScalar[slot] === 1 ? slot : INELIGIBLE;
    }
    return a.ndim === 0 && a.dtype === 'float64' && isConcrete(a) ? -1 : INELIGIBLE;
  }

  /** The equations, for display. */
  equations(): Equation[] {
    const out: Equation[] = [];
    for (let e = 0; e < this.length; e++) {
      const g = this.generalAt(e);
      const operands =
        g !== undefined
          ? g.args.map((a) => (traceOf(a) === this ? { slot: slotOfTensor(a) } : { constant: a }))
          : [
              [this.in0[e]!, this.c0[e]!],
              [this.in1[e]!, this.c1[e]!],
            ]
              .filter(([s]) => s !== -2)
              .map(([s, c]) => (s! >= 0 ? { slot: s! } : { constant: makeScalar(c!, 'float64') }));
      out.push({ prim: ruleTable[this.ops[e]!]!, operands, params: g?.params, slot: this.outSlot[e]! });
    }
    return out;
  }

  /**
   * The reverse pass: `seeds` pairs output tracers with their cotangents. Returns the adjoint table
   * indexed by slot (`undefined` is a symbolic zero). With `keepAll` false, intermediate adjoints are
   * dropped as soon as they have been propagated.
   */
  backward(seeds: ReadonlyArray<readonly [Tracer, Tensor]>, keepAll = false): Array<Tensor | undefined> {
    const adj: Array<Tensor | undefined> = new Array<Tensor | undefined>(this.slots).fill(undefined);
    // Numeric adjoints of scalar slots: concrete values are constants to every trace above this one,
    // so propagating plain numbers loses nothing for higher-order derivatives.
    const num = new Float64Array(this.slots);
    const hasNum = new Uint8Array(this.slots);
    for (const [t, ct] of seeds) accumulate(adj, t.slot, ct);
    const { outSlot, generalIndex } = this;
    for (let e = this.length - 1; e >= 0; e--) {
      const slot = outSlot[e]!;
      if (generalIndex[e]! >= 0 || adj[slot] !== undefined) {
        this.tensorStep(e, adj, num, hasNum, keepAll);
        continue;
      }
      // the hot loop: a scalar equation with a numeric cotangent (or none)
      if (hasNum[slot] === 0) continue;
      const ct = num[slot]!;
      if (!keepAll) hasNum[slot] = 0;
      if (ct !== 0) this.numericStep(e, ct, num, hasNum); // ct = 0: strong zero, nothing flows
    }
    for (let s = 0; s < this.slots; s++) if (hasNum[s] === 1) mergeNum(adj, num, hasNum, s);
    return adj;
  }

  /**
   * A scalar equation's reverse step on numbers: `ct` times each partial into the operands' numeric
   * adjoints. A zero partial contributes 0 even against an infinite cotangent (the strong zero of
   * mulStrongZero). A unary equation stores its operand as `c1` too, so `y` needs no special case.
   */
  private numericStep(e: number, ct: number, num: Float64Array, hasNum: Uint8Array): void {
    const values = this.values;
    const s0 = this.in0[e]!;
    const s1 = this.in1[e]!;
    const x = s0 >= 0 ? values[s0]! : this.c0[e]!;
    const y = s1 >= 0 ? values[s1]! : this.c1[e]!;
    const ans = values[this.outSlot[e]!]!;
    const rule = ruleTable[this.ops[e]!]!;
    if (s0 >= 0) addNum(num, hasNum, s0, strongProduct(ct, applyPartial(rule, 0, x, y, ans)));
    if (s1 >= 0) addNum(num, hasNum, s1, strongProduct(ct, applyPartial(rule, 1, x, y, ans)));
  }

  /** One equation through its tensor rule: general equations, and scalar ones with a tensor cotangent. */
  private tensorStep(e: number, adj: Array<Tensor | undefined>, num: Float64Array, hasNum: Uint8Array, keepAll: boolean): void {
    const slot = this.outSlot[e]!;
    const tensorCt = adj[slot];
    if (tensorCt === undefined && hasNum[slot] === 0) return;
    const gi = this.generalIndex[e]!;
    const g = gi < 0 ? undefined : this.general[gi];
    const prim = ruleTable[this.ops[e]!]!;
    if (g === undefined && (tensorCt === undefined || isScalarValue(tensorCt))) {
      // a concrete 0-d cotangent on a scalar equation: fold it into the numeric table and go numeric
      if (tensorCt !== undefined) {
        addNum(num, hasNum, slot, scalarOf(tensorCt));
        adj[slot] = undefined;
      }
      const ct = num[slot]!;
      if (!keepAll) hasNum[slot] = 0;
      if (ct !== 0) this.numericStep(e, ct, num, hasNum);
      if (keepAll) mergeNum(adj, num, hasNum, slot);
      return;
    }
    const ct = mergeNum(adj, num, hasNum, slot)!;
    if (!keepAll) adj[slot] = undefined;
    // operands as slots (-1: constant) and primal tensors
    let slotsOf: number[];
    let primals: Tensor[];
    let params: unknown;
    if (g !== undefined) {
      slotsOf = g.args.map((a) => (traceOf(a) === this ? slotOfTensor(a) : -1));
      primals = g.args.map((a, i) => (slotsOf[i]! >= 0 ? this.primalAt(slotsOf[i]!) : a));
      params = g.params;
    } else {
      // a scalar equation whose cotangent is traced by an outer transform: use the tensor rule
      slotsOf = [this.in0[e]!, this.in1[e]!].filter((s) => s !== -2);
      primals = slotsOf.map((s, i) => (s >= 0 ? this.primalAt(s) : makeScalar(i === 0 ? this.c0[e]! : this.c1[e]!, 'float64')));
      params = undefined;
    }
    const wants = slotsOf.map((s) => s >= 0);
    const cts = prim.vjp(ct, primals, this.primalAt(slot), params, wants);
    for (let i = 0; i < slotsOf.length; i++) {
      const c = cts[i];
      if (!wants[i] || c === undefined || isZero(c)) continue;
      accumulate(adj, slotsOf[i]!, matchDType(unbroadcast(c, primals[i]!.shape), primals[i]!));
    }
  }
}

/** A (co)tangent in its primal's dtype: mixed-dtype arithmetic must not change a gradient's dtype. */
function matchDType(t: Tensor, primal: Tensor): Tensor {
  return t.dtype === primal.dtype ? t : astype(t, primal.dtype);
}

function grow<T extends Int32Array | Float64Array | Uint8Array | Uint16Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/** A concrete 0-d float64 tensor: the values the scalar fast path handles. */
function isScalarValue(t: Tensor): boolean {
  return t.ndim === 0 && t.dtype === 'float64' && isConcrete(t);
}

/** The partial of `rule` with respect to argument `i`, inline for the kinds `Partial` names. */
function applyPartial(rule: Rule<unknown>, i: 0 | 1, x: number, y: number, ans: number): number {
  switch (rule.partialKinds[i]) {
    case 1:
      return 1;
    case 2:
      return -1;
    case 3:
      return y;
    case 4:
      return x;
    default:
      return rule.scalarPartials![i]!(x, y, ans);
  }
}

/** `ct * p`, with 0 · anything = 0. */
function strongProduct(ct: number, p: number): number {
  return p === 0 ? 0 : ct * p;
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

function accumulate(adj: Array<Tensor | undefined>, slot: number, ct: Tensor): void {
  const prev = adj[slot];
  adj[slot] = prev === undefined ? ct : add(prev, ct);
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
    const ans = dispatcher.bind(prim, primals, params);
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
        if (!isZero(tangent)) tangent = matchDType(sameShape(tangent.shape, ans.shape) ? tangent : broadcastTo(tangent, ans.shape), ans);
      }
      if (!isZero(tangent)) live = true;
      outs[j] = tangent;
    }
    return live ? makeTracer(ans.shape, ans.dtype, this, -1, { primal: ans, tangents: outs }) : ans;
  }
}
