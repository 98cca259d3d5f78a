/**
 * The machinery every transform shares: selecting and flattening the differentiated arguments, and
 * running the user's function in a *scope*, in two phases: `call` runs it with the trace open and
 * `finish` turns its output into the transform's result after the trace is closed. The split is what
 * lets a function that returns a `Program` be transformed lazily (`runScoped`).
 *
 * @since 0.1.0
 */
import { invalidArgument, isPlainObject, parseBoolean, parseFunction, parseInteger, parseOptions } from '../core/args.js';
import { AdjointError, ArgumentError, formatShape } from '../core/errors.js';
import { asTensor, zerosLike } from '../core/creation.js';
import { isTensor, type Tensor } from '../core/Tensor.js';
import { flatten, ignoreRejection, isThenable, type Leaf, mapTensors, type TreeDef, unflatten } from '../core/Tree.js';
import { JvpTrace } from '../core/JvpTrace.js';
import { closureScopeActive, noteKnown } from '../core/closure.js';
import { firstNonFinite, hasNonFinite, ReverseTrace } from '../core/ReverseTrace.js';
import { closeTrace, newLevel, openTrace, resumeTrace, suspendTrace, type Trace, type Tracer, withTrace } from '../core/Trace.js';
import { isProgram, of, transformNode, type TransformScope } from '../effects/Program.js';
import { isZero, type Tangent, Zero } from '../core/zero.js';
// the rules layer installs the ops the engine applies (adjoint sums, unbroadcast); called, so bundlers keep it
import { installBroadcasting } from '../rules/broadcasting.js';

installBroadcasting();


/**
 * The argnums of a transform, parsed once when the transform is made: what `grad(f, 1)`,
 * `grad(f, [0, 1])` and `grad(f, { argnums })` select, and whether the result is a tuple.
 */
export interface Argnums {
  readonly list: ReadonlyArray<number>;
  readonly tuple: boolean;
}

const DEFAULT_ARGNUMS: Argnums = Object.freeze({ list: Object.freeze([0]), tuple: false });

/** `argnums`: a non-negative integer, or a non-empty array of distinct ones (a tuple of results). */
export function parseArgnums(op: string, v: unknown): Argnums {
  if (v === undefined) return DEFAULT_ARGNUMS;
  const want = 'pass an argument index (0 for the first) or a non-empty array of distinct indices';
  if (typeof v === 'number') return Object.freeze({ list: Object.freeze([argnum(op, 'argnums', v)]), tuple: false });
  if (!Array.isArray(v) || v.length === 0) invalidArgument(op, 'argnums', v, want);
  const list = Array.from({ length: v.length }, (_, i) => argnum(op, `argnums[${i}]`, v[i]));
  const repeated = list.find((a, i) => list.indexOf(a) !== i);
  if (repeated !== undefined) invalidArgument(op, 'argnums', v, `argument ${repeated} is listed twice; ${want}`);
  return Object.freeze({ list: Object.freeze(list), tuple: true });
}

/** One argument index: an integer (`INVALID_ARGUMENT` otherwise) that is not negative (`ARGNUMS_OUT_OF_RANGE`). */
function argnum(op: string, param: string, v: unknown): number {
  const a = parseInteger(op, param, v);
  if (a < 0) throw new ArgumentError('ARGNUMS_OUT_OF_RANGE', op, `${param} is ${a}; argument indices start at 0 (negative indices are not supported)`);
  return a;
}

/**
 * The second argument of `grad`, `valueAndGrad`, `jacrev`, `jacfwd` and `hessian`: argnums given
 * directly, as in JAX (`grad(f, 1)`, `grad(f, [0, 1])`), or an options object with the `keys`.
 */
export interface TransformOptions {
  readonly argnums: Argnums;
  readonly hasAux: boolean;
  /** Undefined: the global setting (`setCheckNumerics`). */
  readonly checkNumerics: boolean | undefined;
}

export function parseTransformOptions(op: string, options: unknown, keys: ReadonlyArray<'argnums' | 'hasAux' | 'checkNumerics'>): TransformOptions {
  if (typeof options === 'number' || Array.isArray(options)) return { argnums: parseArgnums(op, options), hasAux: false, checkNumerics: undefined };
  // argnums given directly is the other form: the message names both
  if (options !== undefined && !isPlainObject(options)) {
    invalidArgument(op, 'options', options, `pass argnums (an argument index, 0 for the first, or an array of them) or an options object with keys ${keys.join(', ')} (or omit it)`);
  }
  const o = parseOptions(op, 'options', options, keys);
  return {
    argnums: parseArgnums(op, o.argnums),
    hasAux: parseBoolean(op, 'hasAux', o.hasAux, false),
    checkNumerics: o.checkNumerics === undefined ? undefined : parseBoolean(op, 'checkNumerics', o.checkNumerics),
  };
}

/** The selected argument indices, checked against the number of arguments of this call. */
export function selectArgnums(op: string, argnums: Argnums, nargs: number): ReadonlyArray<number> {
  if (nargs === 0) {
    throw new ArgumentError(
      'ARGNUMS_OUT_OF_RANGE',
      op,
      `the function was called with no arguments; ${op} differentiates with respect to arguments, so call it with at least one (argnums ${argnums.tuple ? `[${argnums.list.join(', ')}]` : argnums.list[0]} selects which)`,
    );
  }
  for (const a of argnums.list) {
    if (a >= nargs) {
      throw new ArgumentError(
        'ARGNUMS_OUT_OF_RANGE',
        op,
        `argnums ${argnums.tuple ? `[${argnums.list.join(', ')}]` : a} is out of range: the function was called with ${nargs} argument(s); use indices 0..${nargs - 1}`,
      );
    }
  }
  return argnums.list;
}

/** The selected arguments' leaves as tensors, and a way to put new leaves back into the argument list. */
export interface FlatArgs {
  readonly leaves: Tensor[];
  readonly defs: TreeDef[];
  rebuild(newLeaves: ReadonlyArray<Leaf>): unknown[];
  /** The selected arguments' structure filled with `leaves`: one tree, or a tuple for an argnums array. */
  structure(leaves: ReadonlyArray<Leaf>): unknown;
  /** Where leaf `i` comes from, for messages: the argument's index, the leaf's place in it, and its leaf count. */
  argumentOf(i: number): { readonly index: number; readonly leaf: number; readonly leaves: number };
}

export function flattenArgs(op: string, args: ReadonlyArray<unknown>, argnums: ReadonlyArray<number>, tuple: boolean): FlatArgs {
  const leaves: Tensor[] = [];
  const defs: TreeDef[] = [];
  const counts: number[] = [];
  for (const i of argnums) {
    const f = flatten(op, args[i]);
    for (const l of f.leaves) leaves.push(asTensor(op, l));
    defs.push(f.def);
    counts.push(f.leaves.length);
  }
  const split = (ls: ReadonlyArray<Leaf>): Leaf[][] => {
    let at = 0;
    return counts.map((c) => ls.slice(at, (at += c)));
  };
  return {
    leaves,
    defs,
    rebuild(newLeaves) {
      const out = [...args];
      // The function's own arguments, in fresh containers shaped like the caller's: left unfrozen,
      // as the caller's were. (Indexing a frozen array is a generic, slower load in V8, and scalar
      // code indexes its inputs once per op.)
      split(newLeaves).forEach((ls, j) => (out[argnums[j]!] = unflatten(defs[j]!, ls, false)));
      return out;
    },
    structure(ls) {
      const trees = split(ls).map((part, j) => unflatten(defs[j]!, part));
      return tuple ? Object.freeze(trees) : trees[0];
    },
    argumentOf(i) {
      let j = 0;
      while (i >= counts[j]!) i -= counts[j++]!;
      return { index: argnums[j]!, leaf: i, leaves: counts[j]! };
    },
  };
}

function splitAux(op: string, result: unknown, hasAux: boolean): [unknown, unknown] {
  if (!hasAux) return [result, undefined];
  if (!Array.isArray(result) || result.length !== 2) {
    throw new ArgumentError('INVALID_ARGUMENT', op, 'with hasAux: true the function must return a pair [output, aux]');
  }
  return [result[0], result[1]];
}

/** The result of running `f` under a reverse trace: its output and a pullback over flat leaves. */
export interface Linearized {
  readonly outLeaves: Tensor[];
  readonly outDef: TreeDef;
  readonly aux: unknown;
  readonly flat: FlatArgs;
  /**
   * Cotangents of the selected input leaves (zeros where the output does not depend on them); an
   * undefined output cotangent is a symbolic zero. `masks[i]` marks the structurally zero entries of
   * `cts[i]` (the zeros of a one-hot seed), which stay exact through infinite local derivatives.
   */
  pullback(cts: ReadonlyArray<Tensor | undefined>, masks?: ReadonlyArray<Tensor | undefined>): Tensor[];
  readonly trace: ReverseTrace;
  readonly outTracers: Array<Tracer | undefined>;
}

/**
 * One transform call in two phases: `call` runs the user's function with the trace open; `finish`
 * turns its output into the transform's result after the trace is closed. Splitting them lets a
 * function that returns a `Program` be transformed lazily (see `runScoped`).
 */
export interface Scope<R> {
  readonly trace: Trace;
  call(): unknown;
  finish(out: unknown): R;
  /** Effects the program performs pass through here on their way to handlers (see `TransformScope.intercept`). */
  readonly intercept?: TransformScope['intercept'];
}

/**
 * Runs a transform. A plain result is finished at once. If the function returned a `Program`, the
 * whole transform becomes a program: when interpreted it calls the function again with fresh
 * tracers, keeps the trace open while the program runs (so its effects reach handlers outside), and
 * finishes with the program's result. The first call only told us which kind of function this is.
 * A promise (a function that is async in all but name) is refused: its trace is closed before the
 * promise settles, so it could only reject later, with a leaked tracer.
 */
export function runScoped<R>(make: () => Scope<R>): any {
  const scope = make();
  const out = withTrace(scope.trace, () => scope.call());
  refuseThenable(scope.trace.transform, out);
  if (!isProgram(out)) return knownResult(scope.finish(out));
  return transformNode<R, unknown>(() => {
    const s = make();
    openTrace(s.trace);
    let program: unknown;
    try {
      program = s.call();
      refuseThenable(s.trace.transform, program);
    } catch (e) {
      closeTrace(s.trace);
      throw e;
    }
    return {
      program: isProgram(program) ? program : of(program),
      close: () => closeTrace(s.trace),
      suspend: () => suspendTrace(s.trace),
      resume: () => resumeTrace(s.trace),
      lower: (v) => mapTensors(v, (t) => s.trace.lowered(t), s.trace.transform, 'state'),
      ...(s.intercept === undefined ? {} : { intercept: s.intercept }),
      finish: (v) => knownResult(s.finish(v)),
    };
  });
}

/**
 * A transform's result, handed to the code that called it: inside a loop body or a custom rule
 * (core/closure.ts) its tensors are the function's own values, not closures, though the trace made
 * some of them internally (a jvp's tangents).
 */
function knownResult<R>(result: R): R {
  if (closureScopeActive()) {
    mapTensors(result, (t) => {
      noteKnown(t);
      return t;
    });
  }
  return result;
}

function refuseThenable(op: string, out: unknown): void {
  if (!isThenable(out)) return;
  ignoreRejection(out);
  throw new ArgumentError(
    'ASYNC_FUNCTION',
    op,
    `the function returned a promise; ${op} needs a function that returns its result synchronously (not an async function): ` +
      'load data before the call, or inside a Program with IO.promise and runPromise',
  );
}

/** A scope that runs `f` under a reverse trace with the selected arguments as inputs. */
export function reverseScope<R>(
  op: string,
  f: (...args: never[]) => unknown,
  args: ReadonlyArray<unknown>,
  argnums: ReadonlyArray<number>,
  tuple: boolean,
  hasAux: boolean,
  finish: (lin: Linearized) => R,
  checkNumerics?: boolean,
): () => Scope<R> {
  parseFunction(op, 'f', f);
  return () => {
    const trace = new ReverseTrace(newLevel(), op, checkNumerics ?? checkNumericsDefault);
    const flat = flattenArgs(op, args, argnums, tuple);
    return {
      trace,
      call: () => (f as (...a: unknown[]) => unknown)(...flat.rebuild(flat.leaves.map((l) => trace.input(l)))),
      finish: (result) => finish(linearized(op, trace, flat, result, hasAux)),
    };
  };
}

function linearized(op: string, trace: ReverseTrace, flat: FlatArgs, result: unknown, hasAux: boolean): Linearized {
  const [out, auxRaw] = splitAux(op, result, hasAux);
  const own = (t: Tensor): Tensor => trace.primalOf(t);
  const { leaves, def } = flatten(op, out);
  const outTracers = leaves.map((l) => (isTensor(l) ? trace.own(l) : undefined));
  const outLeaves = leaves.map((l) => own(asTensor(op, l)));
  if (trace.checkNumerics) checkOutputs(trace, outLeaves, () => trace.firstNonFiniteValue());
  return {
    outLeaves,
    outDef: def,
    // aux keeps any shape; only this trace's tracers in it are replaced by their primals
    aux: hasAux ? mapTensors(auxRaw, own, op, 'aux') : undefined,
    flat,
    trace,
    outTracers,
    pullback(cts, masks) {
      const seeds: Array<readonly [Tracer, Tensor, Tensor?]> = [];
      outTracers.forEach((t, i) => {
        const ct = cts[i];
        if (t !== undefined && ct !== undefined) seeds.push([t, ct, masks?.[i]]);
      });
      const adj = trace.backward(seeds);
      const inputCts = trace.inputs.map((t, i) => adj.get(t.slot) ?? zerosLike(flat.leaves[i]!));
      adj.release();
      return inputCts;
    },
  };
}

/** Output leaves and, per direction, the output tangent leaves (zeros where nothing flowed). */
export interface Pushforward {
  readonly outLeaves: Tensor[];
  readonly outDef: TreeDef;
  readonly tangentLeaves: Tensor[][];
}

/** A scope that pushes `tangents[i]` (one array of `width` directions per input leaf) forward. */
export function forwardScope<R>(
  op: string,
  f: (...args: never[]) => unknown,
  flat: FlatArgs,
  width: number,
  tangents: ReadonlyArray<ReadonlyArray<Tangent>>,
  finish: (r: Pushforward) => R,
  checkNumerics?: boolean,
  /** Per input leaf and direction, the structurally zero entries of its tangent (a one-hot seed's zeros). */
  masks?: ReadonlyArray<ReadonlyArray<Tensor | undefined>>,
): () => Scope<R> {
  parseFunction(op, 'f', f);
  return () => {
    const trace = new JvpTrace(newLevel(), op, width, checkNumerics ?? checkNumericsDefault);
    return {
      trace,
      call: () => (f as (...a: unknown[]) => unknown)(...flat.rebuild(flat.leaves.map((l, i) => trace.input(l, tangents[i]!, masks?.[i])))),
      finish: (result) => finish(pushedForward(op, trace, result)),
    };
  };
}

function pushedForward(op: string, trace: JvpTrace, result: unknown): Pushforward {
  const { leaves, def } = flatten(op, result);
  const outLeaves: Tensor[] = [];
  const tangentLeaves: Tensor[][] = Array.from({ length: trace.width }, () => []);
  for (const l of leaves) {
    const t = asTensor(op, l);
    const own = trace.own(t);
    const primal = own !== undefined ? own.primal : t;
    outLeaves.push(primal);
    for (let j = 0; j < trace.width; j++) {
      const tan = own !== undefined ? own.tangents[j]! : Zero;
      tangentLeaves[j]!.push(isZero(tan) ? zerosLike(primal) : tan);
    }
  }
  if (trace.checkNumerics) checkOutputs(trace, outLeaves, () => undefined);
  return { outLeaves, outDef: def, tangentLeaves };
}

/** Whether transforms check numerics when their options do not say (see `setCheckNumerics`). */
let checkNumericsDefault = false;

/**
 * Turns `checkNumerics` on or off for every transform call that does not set it in its options,
 * like JAX's `jax_debug_nans`: the reverse pass stops at the first equation that gives a non-finite
 * adjoint, forward mode at the first that makes a finite value's tangent non-finite, and a function
 * whose result is not finite names the first recorded value that was not. Each raises `NON_FINITE`
 * naming the op, the SSA value and the transform. Returns the previous setting.
 *
 * @example
 * import { setCheckNumerics, grad, log, exp, AdjointError } from 'adjoint'
 * const previous = setCheckNumerics(true)
 * try {
 *   assert.throws(() => grad((x) => log(exp(x)))(1000), (e) => e instanceof AdjointError && e.code === 'NON_FINITE')
 * } finally {
 *   setCheckNumerics(previous)
 * }
 *
 * @category transforms
 * @since 0.1.0
 */
export function setCheckNumerics(enabled: boolean): boolean {
  if (typeof enabled !== 'boolean') throw new ArgumentError('INVALID_ARGUMENT', 'setCheckNumerics', `enabled is ${typeof enabled}; pass true or false`);
  const previous = checkNumericsDefault;
  checkNumericsDefault = enabled;
  return previous;
}

/** `checkNumerics`: the function's result must be finite; if not, name where the first non-finite value came from. */
function checkOutputs(trace: Trace, outs: ReadonlyArray<Tensor>, firstBad: () => string | undefined): void {
  const bad = outs.findIndex((o) => hasNonFinite(o));
  if (bad < 0) return;
  const origin = firstBad();
  throw new AdjointError(
    'NON_FINITE',
    trace.transform,
    `checkNumerics: output ${bad} of the function (shape ${formatShape(outs[bad]!.shape)}) is not finite (${firstNonFinite(outs[bad]!)})` +
      `${origin === undefined ? '' : `; the first non-finite value recorded is ${origin}`}; guard the computation (where, maximum) or rescale it`,
  );
}

export function checkScalarOutput(op: string, lin: Linearized): Tensor {
  const only = lin.outLeaves.length === 1 ? lin.outLeaves[0]! : undefined;
  if (only === undefined || only.size !== 1) {
    const what = only === undefined ? `a pytree of ${lin.outLeaves.length} leaves` : `shape ${formatShape(only.shape)}`;
    throw new AdjointError(
      'NON_SCALAR_OUTPUT',
      op,
      `the function must return a scalar (a size-1 tensor or a number), got ${what}; use vjp for a vector-Jacobian product or jacrev for the full Jacobian`,
    );
  }
  return only;
}


/**
 * `vjp` for the many small calls of a loop's steps: a function of flat tensors, no pytrees or
 * argument checks, and a tape that starts small and is trimmed when kept (see `ReverseTrace`).
 * With `once`, the pullback may run only once, and lets the tape go as it walks it (a
 * checkpoint's recomputation; see `ReverseTrace.backward`).
 */
export function linearizeFlat(
  op: string,
  f: (xs: ReadonlyArray<Tensor>) => ReadonlyArray<Tensor>,
  operands: ReadonlyArray<Tensor>,
  once = false,
): { readonly outs: Tensor[]; pullback(cts: ReadonlyArray<Tensor | undefined>): Tensor[] } {
  const trace = new ReverseTrace(newLevel(), op, checkNumericsDefault, 32);
  const raw = withTrace(trace, () => f(operands.map((x) => trace.input(x))));
  const outTracers = raw.map((o) => trace.own(o));
  const outs = knownResult(raw.map((o) => trace.primalOf(o)));
  return {
    outs,
    pullback(cts) {
      const seeds: Array<readonly [Tracer, Tensor]> = [];
      outTracers.forEach((t, i) => {
        const ct = cts[i];
        if (t !== undefined && ct !== undefined) seeds.push([t, ct]);
      });
      const adj = trace.backward(seeds, false, once);
      const result = trace.inputs.map((t, i) => adj.get(t.slot) ?? zerosLike(operands[i]!));
      adj.release();
      return knownResult(result);
    },
  };
}
