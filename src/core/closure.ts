/**
 * Closure conversion for higher-order primitives (loops, `checkpoint`, custom rules). A function
 * handed to such a primitive may close over traced values of the transforms around it (`w` in
 * `scan((c, x) => [mul(c, w), c], ...)`), but the primitive must see every traced input to record
 * itself as one equation, and its rules must run the function again on other values (recomputed,
 * differentiated, batched). JavaScript cannot inspect a closure, so the values are found where they
 * are used: while a *closure scope* is active, every op the user's code applies (not the ops traces
 * apply internally) passes its arguments through the scope first.
 *
 * - `discover`: runs the function once on concrete inputs and records, in order of first use, the
 *   traced values it closes over (replacing each by its concrete value, so nothing is recorded).
 * - `substitute`: runs it with those values replaced by the primitive's own operands. A traced value
 *   of an outer transform that was not discovered (a closure used only on some iterations) is a
 *   `CLOSED_OVER_TRACER` error: it would otherwise be recorded outside the equation, silently.
 * - `forbid`: custom rules may close over nothing traced; any such value is `CLOSED_OVER_TRACER`.
 *
 * "Outer" means a traced value of a transform opened before the scope that is neither one of the
 * function's inputs nor the result of an op the function applied (the scope keeps a set of those):
 * exactly the values it can only have reached by closure. Only ops issued by user code are
 * intercepted: a trace applying an op to primal values (inside `Trace.process`) is not, which is
 * what `enterInternal`/`leaveInternal` track.
 *
 * @since 0.1.0
 */
import { AdjointError, formatShape } from './errors.js';
import { isTensor, type Tensor } from './Tensor.js';
import { mapTensors } from './Tree.js';

/** The trace-side facts a scope needs about a traced value (installed by Trace.ts). */
export interface TraceInfo {
  /** The level of the trace `t` belongs to, or undefined for a concrete tensor. */
  level(t: Tensor): number | undefined;
  /** The trace `t` belongs to (an opaque identity), or undefined. */
  trace(t: Tensor): object | undefined;
  /** The value under every level of tracing. */
  concrete(t: Tensor): Tensor;
  /** The next level a trace would get: traces opened from now on have this level or higher. */
  nextLevel(): number;
}

let info: TraceInfo | undefined;

/** @internal Installed by Trace.ts. */
export function setTraceInfo(i: TraceInfo): void {
  info = i;
}

export type ScopeMode = 'discover' | 'substitute' | 'forbid';

export interface ClosureScope {
  readonly mode: ScopeMode;
  /** Who runs the function, for messages: `checkpoint`, `scan body`, `customVjp rule`. */
  readonly owner: string;
  /** Traces opened from this level on belong to the function's own work. */
  readonly baseLevel: number;
  /** Traced values the function may use: its inputs and the results of its own ops. */
  readonly known: Set<Tensor>;
  /** `substitute`: closed-over value -> its replacement. */
  readonly replacements: Map<Tensor, Tensor>;
  /** `discover`: the closed-over traced values, in order of first use. */
  readonly captured: Tensor[];
  /**
   * `discover`: what a closed-over value is replaced by for the run. By default its concrete value
   * (one lane under vmap), for runs that only find structure; a run whose effects are the real ones
   * (`checkpoint` of a Program) keeps the batching (`stripGradient`), so every lane is seen.
   */
  readonly standIn?: (t: Tensor) => Tensor;
}

const scopes: ClosureScope[] = [];
/** Per open scope, how deep inside trace-internal work the current op is (0: user code). */
const internalDepth: number[] = [];

/** True while any closure scope is active (ops then take the general route through `bind`). */
export function closureScopeActive(): boolean {
  return scopes.length > 0;
}

/** Marks the start and end of a trace's internal work (its primal and rule computations). */
export function enterInternal(): void {
  if (internalDepth.length > 0) internalDepth[internalDepth.length - 1]!++;
}
export function leaveInternal(): void {
  if (internalDepth.length > 0) internalDepth[internalDepth.length - 1]!--;
}

/** A closed-over traced value the scope cannot accept. */
export function closedOverError(scope: ClosureScope, t: Tensor, why: string): AdjointError {
  return new AdjointError(
    'CLOSED_OVER_TRACER',
    scope.owner,
    `the function closes over a traced value of shape ${formatShape(t.shape)} (${t.dtype}) from a transform outside it; ${why}`,
  );
}

/** Whether `t` is a traced value from outside the scope (not an input, not made inside it). */
function isOuter(scope: ClosureScope, t: Tensor): boolean {
  const level = info!.level(t);
  if (level === undefined || level >= scope.baseLevel) return false;
  return !scope.known.has(t);
}

/** Records values the function's own code produced (an op's results, `stopGradient`'s): not closures. */
export function noteKnown(values: Tensor | ReadonlyArray<Tensor>): void {
  const scope = scopes[scopes.length - 1];
  if (scope === undefined || internalDepth[internalDepth.length - 1] !== 0) return;
  if (Array.isArray(values)) for (const v of values as ReadonlyArray<Tensor>) scope.known.add(v);
  else scope.known.add(values as Tensor);
}

/**
 * One value as the innermost scope sees it. A value an enclosing scope stands in for (a loop body's
 * closure, replaced by the loop's operand) is, to this scope too, a closure: the function's code
 * names the enclosing context's value, which is not there when the function runs again on its own
 * (a `checkpoint` inside a loop body, recomputed in the loop's reverse pass).
 */
function through(scope: ClosureScope, raw: Tensor): Tensor {
  const direct = scope.replacements.get(raw);
  if (direct !== undefined) return direct;
  let t = raw;
  for (let i = 0; i < scopes.length - 1; i++) {
    const outer = scopes[i]!.replacements.get(t);
    if (outer !== undefined) t = outer;
  }
  if (t === raw && !isOuter(scope, t)) return t;
  switch (scope.mode) {
    case 'discover': {
      scope.captured.push(raw);
      const c = scope.standIn === undefined ? info!.concrete(t) : scope.standIn(t);
      scope.replacements.set(raw, c);
      // a stand-in that is still traced (batched) is the function's own value from now on
      if (info!.level(c) !== undefined) scope.known.add(c);
      return c;
    }
    case 'substitute':
      throw closedOverError(scope, raw, 'it was not used when the function was first run, so it is not an operand of the equation; pass it as an operand (or carry) instead');
    case 'forbid':
      throw closedOverError(scope, raw, 'custom rules may close over nothing traced: pass the value as an argument of the function instead');
  }
}

/**
 * The arguments of an op, as the innermost scope sees them; the array itself when nothing changes.
 * Called by the dispatcher for every op while a scope is active.
 */
export function throughScope(args: ReadonlyArray<Tensor>): ReadonlyArray<Tensor> {
  const scope = scopes[scopes.length - 1];
  if (scope === undefined || internalDepth[internalDepth.length - 1] !== 0) return args;
  let out: Tensor[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const b = info!.level(a) === undefined ? a : through(scope, a);
    if (b !== a) (out ??= args.slice())[i] = b;
  }
  return out ?? args;
}

/**
 * A value entering a transform or a higher-order primitive opened inside the function (a nested
 * `jvp`'s primal, a pullback's cotangent, a solver's operand): it reaches ops only through that
 * trace's internal work, where the scope does not look, so it passes through the scope here.
 */
export function enteringValue(t: Tensor): Tensor {
  return scopes.length === 0 ? t : (throughScope([t])[0] as Tensor);
}

/** A value the function returned, as the scope sees it (outputs may be closed-over values themselves). */
export function outputThroughScope(scope: ClosureScope, t: Tensor): Tensor {
  return info!.level(t) === undefined ? t : through(scope, t);
}

/**
 * Runs `body` with `scope` innermost; ops of `body`'s own code go through it. Tensors `body`
 * returns (directly or in an array) are the caller's own values afterwards: the enclosing scope, if
 * any, counts them as made by its function, like an op's result.
 */
export function withClosureScope<T>(scope: ClosureScope, body: () => T): T {
  scopes.push(scope);
  internalDepth.push(0);
  onScopesChanged();
  let result: T;
  try {
    result = body();
  } finally {
    scopes.pop();
    internalDepth.pop();
    onScopesChanged();
  }
  if (scopes.length > 0) noteReturned(result);
  return result;
}

/**
 * A scope kept open across the steps of a program's interpretation (`checkpoint` of a Program):
 * pushed when the program starts and popped when it ends, is suspended or fails.
 */
export function pushClosureScope(scope: ClosureScope): void {
  scopes.push(scope);
  internalDepth.push(0);
  onScopesChanged();
}

export function popClosureScope(scope: ClosureScope): void {
  const i = scopes.lastIndexOf(scope);
  if (i < 0) return;
  scopes.splice(i, 1);
  internalDepth.splice(i, 1);
  onScopesChanged();
}

/**
 * `withClosureScope`, with the tensors of the result (in arrays and plain objects) passed through
 * the scope too: a function may hand back a closed-over value without applying any op to it.
 */
export function withScopeChecked<T>(scope: ClosureScope, body: () => T): T {
  return withClosureScope(scope, () => {
    const result = body();
    mapTensors(result, (t) => outputThroughScope(scope, t));
    return result;
  });
}

function noteReturned(v: unknown): void {
  if (Array.isArray(v)) for (const x of v) noteReturned(x);
  else if (isTensor(v) && info!.level(v) !== undefined) noteKnown(v);
}

let onScopesChanged: () => void = () => {};

/** @internal Trace.ts re-installs the scalar entry when scopes open and close (scopes need the general route). */
export function setOnScopesChanged(f: () => void): void {
  onScopesChanged = f;
}

/** A new scope of `mode`, for a function whose explicit inputs are `inputs` (see `standIn`). */
export function makeScope(mode: ScopeMode, owner: string, inputs: ReadonlyArray<Tensor>, replacements?: ReadonlyMap<Tensor, Tensor>, standIn?: (t: Tensor) => Tensor): ClosureScope {
  const known = new Set<Tensor>();
  for (const x of inputs) if (info!.level(x) !== undefined) known.add(x);
  return { mode, owner, baseLevel: info!.nextLevel(), known, replacements: new Map(replacements ?? []), captured: [], ...(standIn === undefined ? {} : { standIn }) };
}
