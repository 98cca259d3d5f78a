/**
 * Reverse mode: the tape and the reverse pass (see Trace.ts for levels and dispatch).
 *
 * `ReverseTrace` records a Wengert list as the function runs: one slot per value, one equation per
 * op. `backward` seeds output adjoints and walks the tape in reverse, applying each rule's `vjp` and
 * summing adjoints (`+=`) where a value is used twice. Equations on 0-d float64 values are stored in
 * typed arrays and run backward on plain numbers (the scalar path); all others keep their tensors.
 * Products in the chain rule are IEEE products (0 · ∞ is NaN); structurally zero positions of a
 * tensor cotangent travel as masks beside it (see masks.ts). With `checkNumerics`, the pass stops
 * at the first equation that gives a non-finite adjoint (see `NumericsError`).
 *
 * @since 0.1.0
 */
import { batchedConcrete } from './BatchTrace.js';
import { enteringValue } from './closure.js';
import { engineOps } from './engineOps.js';
import { AdjointError, formatShape } from './errors.js';
import { maskCotangents, type Mask } from './masks.js';
import { bind, bindMulti, type Primitive, type ScalarEntry } from './primitive.js';
import { checkIntact, dataOf, isConcrete, isIntact, isScalarF64, makeScalar, makeScalarTracer, makeTracer, scalarOf, slotOfTensor, type Tensor, traceOrNull } from './Tensor.js';
import { Trace, type Tracer, traceOf, tracerOf } from './Trace.js';
import { isZero, type Tangent, Zero } from './zero.js';
import { type MultiRule, partialKindTable, type Rule, ruleTable } from './rule.js';

/**
 * One recorded equation, as `printTape` shows it: the primitive, its operands (a slot of this trace,
 * or a constant), its parameters and its output slot.
 */
export interface Equation {
  readonly prim: Rule<unknown> | MultiRule<unknown>;
  readonly operands: ReadonlyArray<{ readonly slot: number } | { readonly constant: Tensor }>;
  readonly params: unknown;
  /** The output slot (the last one of a multiple-result equation). */
  readonly slot: number;
  /** Every output slot, first to last. */
  readonly outSlots: ReadonlyArray<number>;
}

/**
 * An equation the scalar fast path does not store in typed arrays: it keeps its argument tensors.
 * A multiple-result equation's outputs have consecutive slots; `slot` is the last of them, which
 * is where the reverse pass meets the equation (every use of its outputs comes after it).
 */
interface GeneralEquation {
  readonly slot: number;
  readonly prim: Rule<unknown>;
  readonly args: ReadonlyArray<Tensor>;
  readonly params: unknown;
  /** Set for a multiple-result equation: its rule and every output slot. */
  readonly multi?: { readonly prim: MultiRule<unknown>; readonly outSlots: ReadonlyArray<number> };
}

/**
 * `checkNumerics` found a non-finite adjoint: the equation whose pullback produced it, the operand
 * that received it, the transform.
 */
function nonFiniteAdjoint(trace: ReverseTrace, prim: string, outName: string, operand: string, value: Tensor | number): AdjointError {
  const v = typeof value === 'number' ? value : firstNonFinite(value);
  const shape = typeof value === 'number' ? '' : ` (shape ${formatShape(value.shape)})`;
  return new AdjointError(
    'NON_FINITE',
    trace.transform,
    `checkNumerics: the reverse pass through ${outName} = ${prim}(...) gave the adjoint of ${operand} a value ${v}${shape}; ` +
      'a 0 · ∞ or ∞ - ∞ in the chain rule usually means an overflow or a singular point in the forward pass (guard it with where, or rescale)',
  );
}

/**
 * The numbers under `t` when it has any to read: `t` itself if concrete, or every lane at once if
 * only vmap's traces hold it (a check under vmap covers all lanes); else undefined (a
 * differentiation trace's value is checked by that trace).
 */
function readable(t: Tensor): Tensor | undefined {
  return isConcrete(t) ? t : batchedConcrete(t);
}

/** The first non-finite element of `t`, read as `readable` does (NaN if none is found: the caller saw one). */
export function firstNonFinite(t: Tensor): number {
  const c = readable(t);
  if (c === undefined) return NaN;
  const d = c.ndim === 0 ? [scalarOf(c)] : dataOf(c);
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return d[i]!;
  return NaN;
}

/** True when `t` has numbers to read (see `readable`) and holds a NaN or an infinity. */
export function hasNonFinite(t: Tensor): boolean {
  const c = readable(t);
  if (c === undefined) return false;
  if (c.ndim === 0) return !Number.isFinite(scalarOf(c));
  const d = dataOf(c);
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return true;
  return false;
}

/** `ReverseTrace.code` by slot: a non-scalar value, a scalar value with no scalar equation (an
 * input, a general equation's output), or from `FIRST_RULE_CODE` on, a scalar equation's rule. */
const TENSOR_VALUE = 0;
const SCALAR_VALUE = 1;
const FIRST_RULE_CODE = 2;

/** Operand codes of scalar equations: a slot (>= 0), none (unary ops), or constant k as `CONSTANT_BASE - k`. */
const NO_OPERAND = -1;
const CONSTANT_BASE = -2;

/** What `entrySlot` says besides a slot: a 0-d float64 constant, or a value the fast path cannot take. */
const CONSTANT = -2;
const INELIGIBLE = -3;

/** The typed arrays of a tape, by slot (`constants` densely). */
interface TapeArrays {
  readonly values: Float64Array;
  readonly code: Uint16Array;
  readonly in0: Int32Array;
  readonly in1: Int32Array;
  readonly constants: Float64Array;
}

/**
 * New tapes start at the size the last closed tape needed (at least 16k slots, at most 256k): a
 * training loop records the same program again and again, and then rarely grows its arrays.
 */
let capacityHint = 1 << 14;

/**
 * The arrays of a tape that is done, kept for the next one. Fresh typed arrays cost a page fault on
 * first touch of every page, which on small VMs is as slow as recording itself; a training loop
 * that calls `grad` again and again reuses one set instead. Only transforms that drop their tape
 * after its reverse passes (`grad`, `valueAndGrad`, `jacrev`) give it back (`ReverseTrace.release`).
 */
let spareArrays: TapeArrays | undefined;

/** Arrays longer than this are not kept (a one-off huge tape should not hold its memory for good). */
const MAX_SPARE_SLOTS = 1 << 20;

/** Whether released arrays of `length` slots should replace the spare ones of `spareLength`. */
function worthKeeping(length: number, spareLength: number | undefined): boolean {
  return length <= MAX_SPARE_SLOTS && (spareLength === undefined || spareLength < length);
}

function takeArrays(): TapeArrays {
  const spare = spareArrays;
  if (spare !== undefined && spare.values.length >= capacityHint) {
    spareArrays = undefined;
    return spare;
  }
  return {
    values: new Float64Array(capacityHint),
    code: new Uint16Array(capacityHint),
    in0: new Int32Array(capacityHint),
    in1: new Int32Array(capacityHint),
    constants: new Float64Array(capacityHint >> 2),
  };
}

function freshArrays(capacity: number): TapeArrays {
  return {
    values: new Float64Array(capacity),
    code: new Uint16Array(capacity),
    in0: new Int32Array(capacity),
    in1: new Int32Array(capacity),
    constants: new Float64Array(Math.max(4, capacity >> 2)),
  };
}

const NO_ARRAYS: TapeArrays = {
  values: new Float64Array(0),
  code: new Uint16Array(0),
  in0: new Int32Array(0),
  in1: new Int32Array(0),
  constants: new Float64Array(0),
};

/**
 * The recorded forward pass (the tape): every value of the trace has a slot, inputs first, then one
 * per equation in the order they ran.
 *
 * Recording sits on the hot path of every op, so an equation whose operands are all 0-d float64
 * values (this trace's scalar values, or constants) is stored in typed arrays by its output slot: its
 * rule (`code`), operand codes (`in0`, `in1`) and value. No tensor is made for its output until
 * something asks for one (`primalAt`), and the reverse pass propagates plain numbers through it
 * (the rule's `scalarPartials`). Other equations keep their argument tensors (`general`).
 */
export class ReverseTrace extends Trace implements ScalarEntry {
  /** Input tracers, in the order they were created. */
  readonly inputs: Tracer[] = [];
  /** Effect operations performed while recording, before equation `at` (for printTape). */
  readonly notes: Array<{ readonly at: number; readonly text: string; readonly values: ReadonlyArray<unknown> }> = [];
  /** Number of equations. */
  length = 0;
  private slots = 0;
  private values: Float64Array;
  private code: Uint16Array;
  private in0: Int32Array;
  private in1: Int32Array;
  private constants: Float64Array;
  private nConstants = 0;
  /** General equations, in slot order. */
  private readonly general: GeneralEquation[] = [];
  /** Tensors of values: every non-scalar one, and scalar ones once asked for. */
  private readonly primals = new Map<number, Tensor>();
  private released = false;

  constructor(
    level: number,
    transform: string,
    /** Stop the reverse pass at the first non-finite adjoint (see `checkNumerics`). */
    readonly checkNumerics = false,
    /**
     * For the many small tapes of a loop's steps: start with room for this many slots (growing as
     * needed), leave the shared capacity hint and spare arrays alone, and trim the arrays to size
     * when the trace closes, since the tape is kept for the reverse pass.
     */
    private readonly smallCapacity?: number,
  ) {
    super(level, transform);
    const arrays = smallCapacity === undefined ? takeArrays() : freshArrays(smallCapacity);
    this.values = arrays.values;
    this.code = arrays.code;
    this.in0 = arrays.in0;
    this.in1 = arrays.in1;
    this.constants = arrays.constants;
  }

  /** Wraps an input leaf. */
  input(x: Tensor): Tensor {
    const t = this.define(enteringValue(x));
    this.inputs.push(tracerOf(t)!);
    return t;
  }

  protected ownPrimal(x: Tensor): Tensor {
    return this.primalAt(slotOfTensor(x));
  }

  override scalarEntry(): ScalarEntry {
    return this;
  }

  override noteEffect(text: string, values: ReadonlyArray<unknown>): void {
    this.notes.push({ at: this.length, text, values });
  }

  override ssaName(slot: number): string {
    return `w${slot + 1} (in ${this.transform})`;
  }

  /** Called when the trace closes: the next tape starts at this one's size. */
  override closed(): void {
    if (this.smallCapacity !== undefined) {
      this.trim();
      return;
    }
    capacityHint = Math.min(Math.max(this.slots, 1 << 14), 1 << 18);
  }

  /** Shrinks the arrays to the slots in use (a kept step tape should cost what it holds). */
  private trim(): void {
    const n = Math.max(this.slots, 1);
    if (this.values.length > 2 * n) {
      this.values = this.values.slice(0, n);
      this.code = this.code.slice(0, n);
      this.in0 = this.in0.slice(0, n);
      this.in1 = this.in1.slice(0, n);
    }
    if (this.constants.length > 2 * this.nConstants + 4) this.constants = this.constants.slice(0, Math.max(this.nConstants, 1));
  }

  /**
   * Gives the tape's arrays to the next trace. Called by transforms that are done with the tape;
   * reading it afterwards is a bug, and `primalAt` and `backward` refuse.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    const { values, code, in0, in1, constants } = this;
    if (worthKeeping(values.length, spareArrays?.values.length)) spareArrays = { values, code, in0, in1, constants };
    ({ values: this.values, code: this.code, in0: this.in0, in1: this.in1, constants: this.constants } = NO_ARRAYS);
  }

  private checkLive(): void {
    if (this.released) {
      throw new AdjointError('LEAKED_TRACER', this.transform, `a value traced by a ${this.transform} call that has already returned was read; return it from the function instead`);
    }
  }

  /** The primal value of a slot, as a tensor (made on first request for scalar slots). */
  primalAt(slot: number): Tensor {
    const p = this.primals.get(slot);
    if (p !== undefined) return p;
    this.checkLive();
    const t = makeScalar(this.values[slot]!, 'float64');
    this.primals.set(slot, t);
    return t;
  }

  /** A new slot holding `value`, and its tracer. */
  private define(value: Tensor): Tensor {
    const slot = this.newSlot();
    if (isScalarValue(value)) {
      this.values[slot] = scalarOf(value);
      this.code[slot] = SCALAR_VALUE;
    } else this.code[slot] = TENSOR_VALUE;
    this.primals.set(slot, value);
    return makeTracer(value.shape, value.dtype, this, slot, undefined);
  }

  // The methods on the scalar path are kept small, rare work in separate methods: V8 inlines a
  // call chain only up to a total size, and a constructor call left out of it is several times slower.

  private newSlot(): number {
    const slot = this.slots++;
    if (slot >= this.values.length) this.growSlots();
    return slot;
  }

  private growSlots(): void {
    this.values = grow(this.values);
    this.code = grow(this.code);
    this.in0 = grow(this.in0);
    this.in1 = grow(this.in1);
  }

  /** The operand code of a new constant. */
  private constant(v: number): number {
    const k = this.nConstants++;
    if (k >= this.constants.length) this.constants = grow(this.constants);
    this.constants[k] = v;
    return CONSTANT_BASE - k;
  }

  process(prim: Rule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): Tensor {
    const n = args.length;
    if (prim.scalarImpl !== undefined && n <= 2) {
      const x = args[0]!;
      const s0 = this.entrySlot(x);
      const y = n === 2 ? args[1]! : x;
      const s1 = n === 2 ? this.entrySlot(y) : NO_OPERAND;
      if (s0 !== INELIGIBLE && s1 !== INELIGIBLE) {
        const v0 = s0 >= 0 ? this.values[s0]! : scalarOf(x);
        return this.recordScalar(prim, s0, v0, s1, s1 === NO_OPERAND ? v0 : s1 >= 0 ? this.values[s1]! : scalarOf(y));
      }
    }
    const primals = new Array<Tensor>(n);
    for (let i = 0; i < n; i++) primals[i] = this.primalOf(args[i]!);
    const out = this.define(bind(prim, primals, params));
    this.general.push({ slot: slotOfTensor(out), prim, args, params });
    this.length++;
    return out;
  }

  processMulti(prim: MultiRule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): ReadonlyArray<Tensor> {
    const primals = args.map((a) => this.primalOf(a));
    const outs = bindMulti(prim, primals, params).map((o) => this.define(o));
    const outSlots = outs.map((o) => slotOfTensor(o));
    if (outs.length > 0) {
      this.general.push({ slot: outSlots[outSlots.length - 1]!, prim: prim as unknown as Rule<unknown>, args, params, multi: { prim, outSlots } });
      this.length++;
    }
    return outs;
  }

  /** The scalar entry for unary ops (see `ScalarEntry`): only calls on this trace's own scalar values. */
  unary(prim: Primitive<void>, x: Tensor | number): Tensor | undefined {
    if ((prim as Rule<void>).scalarImpl === undefined) return undefined;
    const s0 = this.entrySlot(x);
    if (s0 < 0) return undefined;
    const v0 = this.values[s0]!;
    return this.recordScalar(prim as Rule<unknown>, s0, v0, NO_OPERAND, v0);
  }

  /** The scalar entry for binary ops: at least one operand must be this trace's scalar value. */
  binary(prim: Primitive<void>, x: Tensor | number, y: Tensor | number): Tensor | undefined {
    if ((prim as Rule<void>).scalarImpl === undefined) return undefined;
    const s0 = this.entrySlot(x);
    if (s0 === INELIGIBLE) return undefined;
    const s1 = this.entrySlot(y);
    if (s1 === INELIGIBLE || (s0 < 0 && s1 < 0)) return undefined;
    const values = this.values;
    return this.recordScalar(prim as Rule<unknown>, s0, s0 >= 0 ? values[s0]! : constantOf(x), s1, s1 >= 0 ? values[s1]! : constantOf(y));
  }

  /**
   * Records a scalar equation from its operands (a slot, `CONSTANT` or `NO_OPERAND`) and their
   * values. A unary op gets its operand's value as `v1` too.
   */
  private recordScalar(prim: Rule<unknown>, s0: number, v0: number, s1: number, v1: number): Tensor {
    const slot = this.newSlot();
    const k = prim.implKind;
    this.values[slot] = k === 1 ? v0 + v1 : k === 2 ? v0 - v1 : k === 3 ? v0 * v1 : prim.scalarImpl!(v0, v1);
    this.code[slot] = prim.id + FIRST_RULE_CODE;
    this.in0[slot] = s0 === CONSTANT ? this.constant(v0) : s0;
    this.in1[slot] = s1 === CONSTANT ? this.constant(v1) : s1;
    this.length++;
    return makeScalarTracer(this, slot);
  }

  /**
   * How the scalar path sees an operand: its slot if it is one of this trace's scalar values,
   * `CONSTANT` for a number or a concrete 0-d float64 tensor, else `INELIGIBLE` (it takes the general
   * route, which also reports values that are not tensors).
   */
  private entrySlot(a: Tensor | number): number {
    if (typeof a === 'number') return CONSTANT;
    const t = traceOrNull(a);
    if (t !== this) return t === undefined ? constantCode(a) : INELIGIBLE;
    const slot = slotOfTensor(a);
    // a tracer whose shape was redefined takes the general route, which refuses it
    return this.code[slot] !== TENSOR_VALUE && isIntact(a) ? slot : INELIGIBLE;
  }

  /** A scalar equation's operands as slots (-1: a constant) and primal tensors. */
  private scalarOperands(slot: number): [number[], Tensor[]] {
    const codes = [this.in0[slot]!, this.in1[slot]!].filter((o) => o !== NO_OPERAND);
    const primals = codes.map((o) => (o >= 0 ? this.primalAt(o) : makeScalar(this.constants[CONSTANT_BASE - o]!, 'float64')));
    return [codes.map((o) => Math.max(o, -1)), primals];
  }

  /** The equations, for display. */
  equations(): Equation[] {
    const out: Equation[] = [];
    let gi = 0;
    for (let slot = 0; slot < this.slots; slot++) {
      const g = this.general[gi];
      if (g !== undefined && g.slot === slot) {
        gi++;
        const operands = g.args.map((a) => (traceOf(a) === this ? { slot: slotOfTensor(a) } : { constant: a }));
        out.push({ prim: g.multi?.prim ?? g.prim, operands, params: g.params, slot, outSlots: g.multi?.outSlots ?? [slot] });
      } else if (this.code[slot]! >= FIRST_RULE_CODE) {
        const [slots, primals] = this.scalarOperands(slot);
        const operands = slots.map((s, i) => (s >= 0 ? { slot: s } : { constant: primals[i]! }));
        out.push({ prim: ruleTable[this.code[slot]! - FIRST_RULE_CODE]!, operands, params: undefined, slot, outSlots: [slot] });
      }
    }
    return out;
  }

  /**
   * The reverse pass: `seeds` pairs output tracers with their cotangents. Returns the adjoints by
   * slot. With `keepAll` false, tensor adjoints of intermediate values are dropped as soon as they
   * have been propagated. With `consume`, the tape is walked once and let go as it goes: an
   * equation's operands and its outputs' values are dropped once its pullback has run (no earlier
   * equation reads them), and the trace is released at the end. A checkpoint's recomputation
   * walks its tape so: inside it, nested checkpoints reversed first (the last ones) no longer hold
   * their carries while the earlier ones are recomputed.
   */
  backward(seeds: ReadonlyArray<readonly [Tracer, Tensor, Tensor?]>, keepAll = false, consume = false): Adjoints {
    this.checkLive();
    const adj = new Adjoints(this.slots);
    for (const [t, ct, mask] of seeds) adj.addTensor(t.slot, enteringValue(ct), mask);
    const { values, code, in0, in1, constants, general } = this;
    const { num, state } = adj;
    let gi = general.length - 1;
    let nextGeneral = gi >= 0 ? general[gi]!.slot : -1;
    let slot = this.slots - 1;
    while (slot >= 0) {
      // numbers down to the next general equation, or to a slot a tensor cotangent reached
      slot = this.checkNumerics
        ? this.checkedSweep(slot, nextGeneral + 1, adj)
        : numericSweep(slot, nextGeneral + 1, code, in0, in1, values, constants, num, state);
      if (slot < 0) break;
      if (slot === nextGeneral) {
        const g = general[gi]!;
        this.generalStep(g, adj, keepAll);
        if (consume) this.forget(g);
        gi--;
        nextGeneral = gi >= 0 ? general[gi]!.slot : -1;
      } else {
        // a scalar equation reached by a tensor cotangent (one traced by an outer transform)
        const [slots, primals] = this.scalarOperands(slot);
        this.applyVjp(slot, ruleTable[code[slot]! - FIRST_RULE_CODE]!, slots, primals, undefined, adj, keepAll);
        if (consume) this.primals.delete(slot);
      }
      slot--;
    }
    if (consume) {
      this.released = true;
      ({ values: this.values, code: this.code, in0: this.in0, in1: this.in1, constants: this.constants } = NO_ARRAYS);
    }
    return adj;
  }

  /** Drops what a general equation holds, its pullback done (the last one of `general`). */
  private forget(g: GeneralEquation): void {
    this.general.pop();
    for (const s of g.multi?.outSlots ?? [g.slot]) this.primals.delete(s);
  }

  private generalStep(g: GeneralEquation, adj: Adjoints, keepAll: boolean): void {
    const slots = g.args.map((a) => (traceOf(a) === this ? slotOfTensor(a) : -1));
    if (g.multi !== undefined) {
      this.applyMultiVjp(g.multi.prim, g.multi.outSlots, slots, g.args, g.params, adj, keepAll);
      return;
    }
    if (!adj.has(g.slot)) return;
    const primals = g.args.map((a, i) => (slots[i]! >= 0 ? this.primalAt(slots[i]!) : a));
    this.applyVjp(g.slot, g.prim, slots, primals, g.params, adj, keepAll);
  }

  /** One equation through its tensor rule: the slot's adjoint into its operands' (slots, -1 for constants). */
  private applyVjp(slot: number, prim: Rule<unknown>, slots: number[], primals: Tensor[], params: unknown, adj: Adjoints, keepAll: boolean): void {
    const ct = adj.get(slot);
    if (ct === undefined) return;
    const mask = adj.maskOf(slot);
    if (!keepAll) adj.drop(slot);
    // the rules read the primals' shapes: a saved constant must not have been tampered with since
    for (let i = 0; i < primals.length; i++) checkIntact(prim.name, primals[i]!);
    const wants = slots.map((s) => s >= 0);
    const ans = this.primalAt(slot);
    const raw = prim.vjp(ct, primals, ans, params, wants);
    const cts = mask === undefined && prim.maskKind !== 'select' ? undefined : maskCotangents(prim, raw, primals, ans.shape, mask, ans, params, wants);
    for (let i = 0; i < slots.length; i++) {
      const c = cts === undefined ? raw[i] : cts[i]!.ct;
      const m: Mask = cts === undefined ? undefined : cts[i]!.mask;
      if (!wants[i] || c === undefined || isZero(c) || m === 'all') continue;
      this.accumulate(slots[i]!, c, primals[i]!, m, adj, prim.name, slot);
    }
  }

  /** Adds one operand's cotangent (summed to its shape, in its dtype) to its adjoint. */
  private accumulate(operand: number, c: Tensor, primal: Tensor, mask: Tensor | undefined, adj: Adjoints, prim: string, outSlot: number): void {
    const { matchDType, unbroadcast } = engineOps();
    const v = matchDType(unbroadcast(c, primal.shape), primal);
    if (this.checkNumerics && hasNonFinite(v)) throw nonFiniteAdjoint(this, prim, `w${outSlot + 1}`, `w${operand + 1}`, v);
    adj.addTensor(operand, v, mask);
  }

  /** A multiple-result equation: the adjoints of its outputs (a symbolic zero for those with none) into its operands'. */
  private applyMultiVjp(prim: MultiRule<unknown>, outSlots: ReadonlyArray<number>, slots: number[], args: ReadonlyArray<Tensor>, params: unknown, adj: Adjoints, keepAll: boolean): void {
    let any = false;
    const cts: Tangent[] = outSlots.map((s) => {
      const ct = adj.get(s);
      if (ct === undefined) return Zero;
      any = true;
      return ct;
    });
    if (!any) return;
    if (!keepAll) for (const s of outSlots) adj.drop(s);
    const primals = args.map((a, i) => (slots[i]! >= 0 ? this.primalAt(slots[i]!) : a));
    for (let i = 0; i < primals.length; i++) checkIntact(prim.name, primals[i]!);
    const wants = slots.map((s) => s >= 0);
    const ans = outSlots.map((s) => this.primalAt(s));
    const raw = prim.vjp(cts, primals, ans, params, wants);
    if (raw.length !== args.length) {
      throw new AdjointError('MISSING_RULE', prim.name, `the reverse rule returned ${raw.length} cotangents for ${args.length} operands`);
    }
    for (let i = 0; i < slots.length; i++) {
      const c = raw[i];
      if (!wants[i] || c === undefined || isZero(c)) continue;
      this.accumulate(slots[i]!, c, primals[i]!, undefined, adj, prim.name, outSlots[outSlots.length - 1]!);
    }
  }

  /**
   * The numeric sweep of `checkNumerics`: the same propagation as `numericSweep`, one equation at a
   * time, stopping at the first non-finite adjoint with the equation that produced it.
   */
  private checkedSweep(hi: number, lo: number, adj: Adjoints): number {
    for (let slot = hi; slot >= lo; slot--) {
      const next = numericSweep(slot, slot, this.code, this.in0, this.in1, this.values, this.constants, adj.num, adj.state);
      if (next === slot) return slot;
      const c = this.code[slot]!;
      if (c < FIRST_RULE_CODE || adj.state[slot] === 0) continue;
      for (const s of [this.in0[slot]!, this.in1[slot]!]) {
        if (s >= 0 && !Number.isFinite(adj.num[s]!)) {
          throw nonFiniteAdjoint(this, ruleTable[c - FIRST_RULE_CODE]!.name, `w${slot + 1}`, `w${s + 1}`, adj.num[s]!);
        }
      }
    }
    return lo - 1;
  }

  /**
   * The first value on the tape that is not finite, as `w3 = exp(...)`, for `checkNumerics` when the
   * function's result is not finite; undefined when every recorded value is finite.
   */
  firstNonFiniteValue(): string | undefined {
    for (const eq of this.equations()) {
      for (const s of eq.outSlots) {
        const v = this.primalAt(s);
        if (hasNonFinite(v)) return `w${s + 1} = ${eq.prim.name}(${eq.operands.map((o) => ('slot' in o ? `w${o.slot + 1}` : 'const')).join(', ')})`;
      }
    }
    return undefined;
  }
}

/** The arrays of the last released `Adjoints` (see `spareArrays` for why). */
let spareAdjointArrays: { readonly num: Float64Array; readonly state: Uint8Array } | undefined;

/** `Adjoints.state` bits: a tensor adjoint in `tensors`, a numeric one in `num`. */
const HAS_TENSOR = 1;
const HAS_NUMBER = 2;

/**
 * The adjoints of one reverse pass. Scalar slots accumulate plain numbers in `num`; other adjoints
 * are tensors, with their structural-zero masks (masks.ts). `state` says which a slot has (0: none,
 * a symbolic zero), so an adjoint that is exactly 0 still propagates: 0 · ∞ must give NaN, not
 * vanish. A concrete 0-d float64 adjoint is kept as a number, so the numeric hot loop picks it up;
 * `get` folds the two.
 */
export class Adjoints {
  readonly num: Float64Array;
  /** Bits `HAS_TENSOR` and `HAS_NUMBER`: the hot loop's one-byte check. */
  readonly state: Uint8Array;
  private readonly tensors = new Map<number, Tensor>();
  private readonly masks = new Map<number, Tensor>();

  constructor(slots: number) {
    const spare = spareAdjointArrays;
    if (spare !== undefined && spare.num.length >= slots) {
      // reused arrays are cleared over the slots in use; fresh ones would fault in every page
      spareAdjointArrays = undefined;
      this.num = spare.num.fill(0, 0, slots);
      this.state = spare.state.fill(0, 0, slots);
    } else {
      this.num = new Float64Array(slots);
      this.state = new Uint8Array(slots);
    }
  }

  /** Hands the arrays to the next reverse pass; called by the owner once it has read what it needs. */
  release(): void {
    if (worthKeeping(this.num.length, spareAdjointArrays?.num.length)) spareAdjointArrays = { num: this.num, state: this.state };
  }

  /** Adds `ct` to the slot's adjoint; `mask` marks its structurally zero positions. */
  addTensor(slot: number, ct: Tensor, mask?: Tensor): void {
    if (isScalarValue(ct)) {
      // a 0-d mask is all or nothing: a structural 0 is no adjoint at all
      if (mask !== undefined && isConcrete(mask) && scalarOf(mask) === 1) return;
      this.num[slot] = this.num[slot]! + scalarOf(ct);
      this.state[slot] = this.state[slot]! | HAS_NUMBER;
      return;
    }
    const prev = this.tensors.get(slot);
    if (prev === undefined) {
      this.tensors.set(slot, ct);
      if (mask !== undefined) this.masks.set(slot, mask);
    } else {
      this.tensors.set(slot, engineOps().add(prev, ct));
      // a position stays structural only if it is so in both terms
      const prevMask = this.masks.get(slot);
      if (prevMask !== undefined && mask !== undefined) this.masks.set(slot, engineOps().mul(prevMask, mask));
      else this.masks.delete(slot);
    }
    this.state[slot] = this.state[slot]! | HAS_TENSOR;
  }

  /** The slot's adjoint as a tensor, undefined for none (a symbolic zero). */
  get(slot: number): Tensor | undefined {
    const st = this.state[slot]!;
    if (st === 0) return undefined;
    const t = this.tensors.get(slot);
    if ((st & HAS_NUMBER) === 0) return t;
    const s = makeScalar(this.num[slot]!, 'float64');
    return t === undefined ? s : engineOps().add(t, s);
  }

  /** The structural-zero mask of the slot's adjoint (none when a numeric part was added to it). */
  maskOf(slot: number): Tensor | undefined {
    return (this.state[slot]! & HAS_NUMBER) === 0 ? this.masks.get(slot) : undefined;
  }

  /** Whether the slot has an adjoint. */
  has(slot: number): boolean {
    return this.state[slot] !== 0;
  }

  /** Forgets the slot's adjoint once it has been propagated. */
  drop(slot: number): void {
    this.tensors.delete(slot);
    this.masks.delete(slot);
    this.state[slot] = 0;
    this.num[slot] = 0;
  }
}

function grow<T extends Int32Array | Float64Array | Uint8Array | Uint16Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/** `CONSTANT` for a concrete 0-d float64 tensor (one the scalar path takes as a constant), else `INELIGIBLE`. */
function constantCode(a: Tensor): number {
  return isScalarF64(a) ? CONSTANT : INELIGIBLE;
}

/** The value of a scalar-entry constant: a number or a concrete 0-d float64 tensor. */
function constantOf(a: Tensor | number): number {
  return typeof a === 'number' ? a : scalarOf(a);
}

/** A concrete 0-d float64 tensor: the values the scalar fast path handles (read from private state). */
const isScalarValue = (t: Tensor): boolean => isScalarF64(t);

/**
 * The reverse pass's hot loop: scalar equations from slot `hi` down to `lo` with numeric
 * cotangents. Returns the first slot whose cotangent is a tensor, or `lo - 1` when all are done.
 * Concrete values are constants to every trace above this one, so propagating plain numbers loses
 * nothing at higher order. A slot with no adjoint sends nothing; an adjoint of exactly 0 is sent
 * like any other (its products are IEEE products: 0 · ∞ is NaN, an honest overflow).
 */
function numericSweep(
  hi: number,
  lo: number,
  code: Uint16Array,
  in0: Int32Array,
  in1: Int32Array,
  values: Float64Array,
  constants: Float64Array,
  num: Float64Array,
  state: Uint8Array,
): number {
  for (let slot = hi; slot >= lo; slot--) {
    const c = code[slot]!;
    if (c < FIRST_RULE_CODE) continue; // an input
    const st = state[slot]!;
    if (st === 0) continue;
    if ((st & HAS_TENSOR) !== 0) return slot;
    const ct = num[slot]!;
    const id = c - FIRST_RULE_CODE;
    const s0 = in0[slot]!;
    const s1 = in1[slot]!;
    if (partialKindTable[2 * id] === 1 && partialKindTable[2 * id + 1] === 1) {
      // add: both partials are 1, no operand values needed
      if (s0 >= 0) {
        num[s0] = num[s0]! + ct;
        state[s0] = state[s0]! | HAS_NUMBER;
      }
      if (s1 >= 0) {
        num[s1] = num[s1]! + ct;
        state[s1] = state[s1]! | HAS_NUMBER;
      }
      continue;
    }
    const x = s0 >= 0 ? values[s0]! : constants[CONSTANT_BASE - s0]!;
    const y = s1 >= 0 ? values[s1]! : s1 === NO_OPERAND ? x : constants[CONSTANT_BASE - s1]!;
    // kind 5: a derivative zero by structure sends nothing (the tensor rule returns Zero there)
    const k0 = partialKindTable[2 * id]!;
    if (s0 >= 0 && k0 !== 5) {
      num[s0] = num[s0]! + ct * partial(k0, id, 0, x, y, values[slot]!);
      state[s0] = state[s0]! | HAS_NUMBER;
    }
    const k1 = partialKindTable[2 * id + 1]!;
    if (s1 >= 0 && k1 !== 5) {
      num[s1] = num[s1]! + ct * partial(k1, id, 1, x, y, values[slot]!);
      state[s1] = state[s1]! | HAS_NUMBER;
    }
  }
  return lo - 1;
}

/** Partial `i` of rule `id` at (x, y) with output `ans`, inline for the kinds `Partial` names. */
function partial(kind: number, id: number, i: 0 | 1, x: number, y: number, ans: number): number {
  switch (kind) {
    case 1:
      return 1;
    case 2:
      return -1;
    case 3:
      return y;
    case 4:
      return x;
    default:
      return ruleTable[id]!.scalarPartials![i]!(x, y, ans);
  }
}
