/**
 * Levels, tracers and the two interpreters behind every transform.
 *
 * Each transform call opens a trace with a fresh level and wraps its inputs in tracers of that level.
 * `bind` (see `primitive.ts`) hands an op to the trace of the highest-level tracer among its
 * arguments; values of lower levels are constants to it. A trace computes the primal by binding the
 * same primitive on its tracers' primal values, which routes the work one level down: nested
 * transforms compose without special cases, and perturbations of different levels never mix.
 *
 * - `ReverseTrace` (ReverseTrace.ts) records a Wengert list (tape): per equation the primitive, its
 *   operands and its output slot, with the primal values the rules read. `backward` seeds output
 *   adjoints and walks the tape in reverse, applying each rule's `vjp` and summing adjoints (`+=`)
 *   where a value is used twice.
 * - `JvpTrace` (JvpTrace.ts) carries (primal, tangents) pairs and applies each rule's `jvp` as it goes.
 *
 * A trace is active only while its transform runs the user's function (entered and left in
 * `try/finally`); a tracer that escapes and is used afterwards raises `LEAKED_TRACER`.
 *
 * @since 0.1.0
 */
import { closureScopeActive, enterInternal, leaveInternal, noteKnown, setOnScopesChanged, setTraceInfo, throughScope } from './closure.js';
import { AdjointError, formatShape } from './errors.js';
import { evaluate, evaluateMulti, type Interpreter, type MultiPrimitive, type Primitive, type ScalarEntry, setInterpreter, setScalarEntry } from './primitive.js';
import { auxOfTensor, checkIntact, setTracerReadError, slotOfTensor, type Tensor, traceOfTensor } from './Tensor.js';
import type { Tangent } from './zero.js';
import type { MultiRule, Rule } from './rule.js';

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
    private readonly value: Tensor,
  ) {}

  /** The value one level down. */
  get primal(): Tensor {
    return this.forward?.primal ?? this.trace.primalOf(this.value);
  }

  /** Forward mode: one tangent per direction pushed forward at once. */
  get tangents(): ReadonlyArray<Tangent> {
    return this.forward?.tangents ?? NO_TANGENTS;
  }
}

/** What a forward-mode tracer carries. */
export interface ForwardState {
  readonly primal: Tensor;
  readonly tangents: ReadonlyArray<Tangent>;
  /** Per direction, the tangent's structurally zero positions (masks.ts), if known. */
  readonly masks?: ReadonlyArray<Tensor | undefined> | undefined;
}

const NO_TANGENTS: ReadonlyArray<Tangent> = Object.freeze([]);

/** The trace `t` belongs to, or undefined for a concrete tensor. */
export const traceOf = (t: Tensor): Trace | undefined => traceOfTensor(t) as Trace | undefined;

/** The tracing state of `t` as a view, or undefined for a concrete tensor. */
export function tracerOf(t: Tensor): Tracer | undefined {
  const trace = traceOf(t);
  return trace === undefined ? undefined : new Tracer(trace, slotOfTensor(t), auxOfTensor(t) as ForwardState | undefined, t);
}

/** One transform invocation. */
export abstract class Trace {
  active = true;
  /** Whether values under this trace carry lanes (vmap), so a predicate may differ per lane. */
  readonly batches: boolean = false;
  constructor(
    readonly level: number,
    /** The public transform's name, for error messages. */
    readonly transform: string,
  ) {}
  abstract process(prim: Rule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): Tensor;
  abstract processMulti(prim: MultiRule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): ReadonlyArray<Tensor>;

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

  // Hooks the reverse trace fills in (ReverseTrace.ts); other traces keep these defaults.

  /** The entry 0-d ops offer their calls to while this is the highest-level open trace (see `ScalarEntry`). */
  scalarEntry(): ScalarEntry | undefined {
    return undefined;
  }

  /** Records an effect operation at the current position of the trace (for `printTape`). */
  noteEffect(_text: string, _values: ReadonlyArray<unknown>): void {}

  /** A value's name in this trace's SSA numbering (`w3`), if the trace numbers its values. */
  ssaName(_slot: number): string | undefined {
    return undefined;
  }

  /** Called once, when the trace closes. */
  closed(): void {}

  /**
   * One of this trace's values as handler states outside the transform keep it when the transform
   * closes (a State cell written inside): by default its primal.
   */
  lowered(x: Tensor): Tensor {
    return this.primalOf(x);
  }

  /** `stopGradient` of one of this trace's values: by default its primal, itself stripped further down. */
  stopGradient(x: Tensor, strip: (t: Tensor) => Tensor): Tensor {
    return strip(this.ownPrimal(x));
  }

  /**
   * A concrete stand-in for one of this trace's values with the same shape, for runs that only
   * find structure (closure discovery, a loop's trip count): by default its primal, further down.
   * Batching traces give one lane.
   */
  probe(x: Tensor, next: (t: Tensor) => Tensor): Tensor {
    return next(this.ownPrimal(x));
  }
}

/** `x` with no derivative for any transform, but still batched under vmap (see `Trace.stopGradient`). */
export function stripGradient(x: Tensor): Tensor {
  const trace = traceOf(x);
  if (trace === undefined) return x;
  if (!trace.active) throw leakedError(x, tracerOf(x)!);
  return trace.stopGradient(x, stripGradient);
}

/** A concrete value shaped like `x` (one lane under vmap), for structure-finding runs (see `Trace.probe`). */
export function probeValue(x: Tensor): Tensor {
  const trace = traceOf(x);
  if (trace === undefined) return x;
  if (!trace.active) throw leakedError(x, tracerOf(x)!);
  return trace.probe(x, probeValue);
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

/** The trace of the highest-level tracer among `args`, or undefined when all are concrete. */
function topTrace(op: string, args: ReadonlyArray<Tensor>): Trace | undefined {
  let top: Trace | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const t = traceOf(a);
    if (t !== undefined) {
      if (!t.active) throw leakedError(a, tracerOf(a)!);
      checkIntact(op, a);
      if (top === undefined || t.level > top.level) top = t;
    }
  }
  return top;
}

const dispatcher: Interpreter = {
  bind<P>(prim: Primitive<P>, args: ReadonlyArray<Tensor>, params: P): Tensor {
    if (closureScopeActive()) return scopedBind(prim, args, params);
    const top = topTrace(prim.name, args);
    if (top === undefined) return evaluate(prim, args, params);
    return top.process(prim as Rule<unknown>, args, params);
  },
  bindMulti<P>(prim: MultiPrimitive<P>, args: ReadonlyArray<Tensor>, params: P): ReadonlyArray<Tensor> {
    const scoped = closureScopeActive();
    const a = scoped ? throughScope(args) : args;
    const top = topTrace(prim.name, a);
    if (top === undefined) return evaluateMulti(prim, a, params);
    if (!scoped) return top.processMulti(prim as MultiRule<unknown>, a, params);
    enterInternal();
    let outs: ReadonlyArray<Tensor>;
    try {
      outs = top.processMulti(prim as MultiRule<unknown>, a, params);
    } finally {
      leaveInternal();
    }
    noteKnown(outs);
    return outs;
  },
};

/** `bind` while a closure scope is active (closure.ts): user ops go through the scope, trace-internal ones do not. */
function scopedBind<P>(prim: Primitive<P>, args: ReadonlyArray<Tensor>, params: P): Tensor {
  const a = throughScope(args);
  const top = topTrace(prim.name, a);
  if (top === undefined) return evaluate(prim, a, params);
  enterInternal();
  let out: Tensor;
  try {
    out = top.process(prim as Rule<unknown>, a, params);
  } finally {
    leaveInternal();
  }
  noteKnown(out);
  return out;
}

setTracerReadError((t) => {
  const state = tracerOf(t);
  if (state !== undefined && !state.trace.active) return leakedError(t, state);
  // `op` is the transform's public name (a trace's level is an internal counter, not a depth)
  const where = state !== undefined ? state.trace.transform : 'a transform';
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

/**
 * `LEAKED_TRACER` if `t` (or a value under it) belongs to a transform that has returned. For
 * functions that may hand a value back without applying an op to it (a loop whose body leaves its
 * carry alone), where no op would notice.
 */
export function checkLive(t: Tensor): void {
  concreteOf(t);
}

/** The name a value has in the innermost open reverse trace that recorded it (`w3`), for messages. */
export function ssaName(t: Tensor): string {
  for (let state = tracerOf(t); state !== undefined; state = tracerOf(state.primal)) {
    const name = state.trace.ssaName(state.slot);
    if (name !== undefined) return name;
  }
  return 'a constant';
}

/** Makes `trace` active. Every call is paired with `closeTrace`, in `finally` or by the Program interpreter. */
export function openTrace(trace: Trace): void {
  openTraces.push(trace);
  installScalarEntry();
}

/**
 * Ops offer 0-d calls to the highest-level open trace when it is a reverse trace (the trace
 * `dispatcher` would pick for any of its own values); it records them without dispatch.
 */
function installScalarEntry(): void {
  // ops go through the dispatcher while a trace is open or a closure scope must see them
  setInterpreter(openTraces.length > 0 || closureScopeActive() ? dispatcher : undefined);
  let top: Trace | undefined;
  for (const t of openTraces) if (top === undefined || t.level > top.level) top = t;
  // a closure scope must see every op: no shortcut around bind while one is active
  setScalarEntry(closureScopeActive() ? undefined : top?.scalarEntry());
}

setOnScopesChanged(installScalarEntry);
setTraceInfo({
  level: (t) => traceOf(t)?.level,
  trace: (t) => traceOf(t),
  concrete: (t) => probeValue(t),
  nextLevel: () => nextLevel,
});

/**
 * Records an effect operation (`State.set x@1`, `Random.normal`, ...) in every open reverse trace,
 * at the current position of its tape, so `printTape` can show it among the equations.
 */
export function noteEffect(text: string, values: ReadonlyArray<unknown>): void {
  for (const t of openTraces) t.noteEffect(text, values);
}

/** Deactivates `trace` for good: its tracers are leaked from now on. */
export function closeTrace(trace: Trace): void {
  trace.active = false;
  trace.closed();
  const i = openTraces.lastIndexOf(trace);
  if (i >= 0) openTraces.splice(i, 1);
  installScalarEntry();
}

/**
 * Takes an open trace out of dispatch without closing it: its tracers stay valid, but ops run
 * meanwhile (by other code, while a program awaits an IO step under `runPromise`) neither dispatch
 * to it nor note effects on its tape. `resumeTrace` puts it back; traces resume outermost first.
 */
export function suspendTrace(trace: Trace): void {
  const i = openTraces.lastIndexOf(trace);
  if (i < 0) return;
  openTraces.splice(i, 1);
  installScalarEntry();
}

/** Puts a suspended trace back into dispatch (no-op for a closed trace). */
export function resumeTrace(trace: Trace): void {
  if (trace.active && !openTraces.includes(trace)) openTrace(trace);
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

/** Whether any transform is active (values may be traced). */
export function tracesOpen(): boolean {
  return openTraces.length > 0;
}

/** Whether an active transform maps over lanes (vmap). */
export function batchTracesOpen(): boolean {
  return openTraces.some((t) => t.batches);
}

/** Whether an active transform is a reverse one (whose rules would want residuals kept). */
export function reverseTraceOpen(): boolean {
  return openTraces.some((t) => t.scalarEntry() !== undefined);
}

/** A fresh level, higher than every level opened before. */
export function newLevel(): number {
  return nextLevel++;
}

