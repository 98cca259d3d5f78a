/**
 * Primitives and `bind`, the single entry point every op goes through. A primitive is one spec
 * object (see `src/rules`): a shape rule (abstract evaluation), a kernel, and its forward and reverse
 * derivative rules. Public ops only normalise their arguments and call `bind`; `bind` hands the call
 * to the innermost active transform when an argument is a tracer, and otherwise runs the shape rule
 * and the kernel. That indirection is what lets transforms nest without special cases.
 *
 * @since 0.1.0
 */
import { AdjointError, formatShape, ShapeError } from './errors.js';
import type { Shape } from './shape.js';
import { checkIntact, type DType, type Tensor } from './Tensor.js';

/**
 * What a shape rule knows about a value: its shape and dtype, no numbers. Tensors and tracers are
 * both abstract values, so shape rules take them directly.
 *
 * @category internals
 * @since 0.1.0
 */
export interface AbstractValue {
  readonly shape: Shape;
  readonly dtype: DType;
}

/**
 * The spec of one primitive. `shape` throws a typed error on bad input before any kernel runs;
 * `impl` receives arguments that passed it, with the output's abstract value already computed.
 *
 * @category internals
 * @since 0.1.0
 */
export interface Primitive<P = unknown> {
  readonly name: string;
  readonly shape: (args: ReadonlyArray<AbstractValue>, params: P) => AbstractValue;
  readonly impl: (args: ReadonlyArray<Tensor>, params: P, out: AbstractValue) => Tensor;
}

/**
 * A primitive with several outputs (a loop's final carry and stacked outputs, a decomposition's
 * factors, a checkpointed function's results): the same as `Primitive`, one abstract value and one
 * tensor per output. Transforms record it as one equation with several output values.
 *
 * @category internals
 * @since 0.1.0
 */
export interface MultiPrimitive<P = unknown> {
  readonly name: string;
  readonly multipleResults: true;
  readonly shape: (args: ReadonlyArray<AbstractValue>, params: P) => ReadonlyArray<AbstractValue>;
  readonly impl: (args: ReadonlyArray<Tensor>, params: P, outs: ReadonlyArray<AbstractValue>) => ReadonlyArray<Tensor>;
}

/**
 * The interpreter hook: transforms install one so that `bind` can route traced arguments to them.
 * Without transforms, every call evaluates.
 */
export interface Interpreter {
  bind<P>(prim: Primitive<P>, args: ReadonlyArray<Tensor>, params: P): Tensor;
  bindMulti<P>(prim: MultiPrimitive<P>, args: ReadonlyArray<Tensor>, params: P): ReadonlyArray<Tensor>;
}

let current: Interpreter | undefined;

/** @internal Installed by the trace machinery (`Trace.ts`). */
export function setInterpreter(interpreter: Interpreter | undefined): void {
  current = interpreter;
}

/**
 * The scalar entry: elementwise ops offer a call on 0-d operands here before they build the argument
 * array for `bind`. Trace.ts installs it while the highest-level open trace is a reverse trace, which
 * records the call straight onto its tape when every operand is a 0-d float64 value (its own scalar
 * value or a constant) and returns undefined otherwise; the op then takes the general route. Scalar
 * programs are decided by per-op overhead, and this skips operand arrays and dispatch.
 */
export interface ScalarEntry {
  unary(prim: Primitive<void>, x: Tensor | number): Tensor | undefined;
  binary(prim: Primitive<void>, x: Tensor | number, y: Tensor | number): Tensor | undefined;
}

/** @internal Read by the elementwise op wrappers. */
export let scalarEntry: ScalarEntry | undefined;

/** @internal Installed by the trace machinery (`Trace.ts`). */
export function setScalarEntry(entry: ScalarEntry | undefined): void {
  scalarEntry = entry;
}

/**
 * Sees every evaluation on concrete values while installed: `checkpoint` keeps the results its
 * policy saves on the first run (`matmuls`, ...) and hands them back when it recomputes. `out` is
 * the result's shape and dtype, known before `compute` runs. While a hook is installed, untraced
 * 0-d elementwise ops take this route too (not their plain-number shortcut), so it sees them.
 */
export type EvaluateHook = (prim: Primitive<unknown>, compute: () => Tensor, out: AbstractValue) => Tensor;

/**
 * The installed hooks, innermost last. They compose: each sees the evaluation first and its
 * `compute` asks the next one out, so an outer hook sees what an inner one computed (and not what
 * it answered without computing).
 */
const hooks: EvaluateHook[] = [];
let evaluateHook: EvaluateHook | undefined;

function throughHooks(i: number, prim: Primitive<unknown>, compute: () => Tensor, out: AbstractValue): Tensor {
  return i < 0 ? compute() : hooks[i]!(prim, () => throughHooks(i - 1, prim, compute, out), out);
}

/** Runs `body` with `hook` seeing every concrete evaluation (before the hooks installed already). */
export function withEvaluateHook<T>(hook: EvaluateHook, body: () => T): T {
  pushEvaluateHook(hook);
  try {
    return body();
  } finally {
    popEvaluateHook(hook);
  }
}

/**
 * Installs `hook` until `popEvaluateHook(hook)`: for work that is not one JavaScript call (a
 * program's interpretation, which may be suspended and resumed around other code).
 */
export function pushEvaluateHook(hook: EvaluateHook): void {
  hooks.push(hook);
  evaluateHook = hook;
}

export function popEvaluateHook(hook: EvaluateHook): void {
  const i = hooks.lastIndexOf(hook);
  if (i >= 0) hooks.splice(i, 1);
  evaluateHook = hooks[hooks.length - 1];
}

/** Whether a hook watches evaluations (then ops must not compute 0-d results around `evaluate`). */
export function evaluationsWatched(): boolean {
  return evaluateHook !== undefined;
}

/** Runs the primitive on concrete arguments. */
export function evaluate<P>(prim: Primitive<P>, args: ReadonlyArray<Tensor>, params: P): Tensor {
  // every tensor reaching a kernel: its public shape and dtype are what the rules read
  for (let i = 0; i < args.length; i++) checkIntact(prim.name, args[i]!);
  const out = prim.shape(args, params);
  if (evaluateHook !== undefined) return throughHooks(hooks.length - 1, prim as Primitive<unknown>, () => run(prim, args, params, out), out);
  return run(prim, args, params, out);
}

function run<P>(prim: Primitive<P>, args: ReadonlyArray<Tensor>, params: P, out: AbstractValue): Tensor {
  try {
    return prim.impl(args, params, out);
  } catch (e) {
    // a kernel's allocation failed (`allocate` cannot know the op): say which op's result it was
    throw e instanceof AdjointError && e.op === 'allocate' ? new ShapeError(e.code, prim.name, `the result of shape ${formatShape(out.shape)} is too large: ${e.message.slice('allocate: '.length)}`) : e;
  }
}

/** Runs a multiple-result primitive on concrete arguments. */
export function evaluateMulti<P>(prim: MultiPrimitive<P>, args: ReadonlyArray<Tensor>, params: P): ReadonlyArray<Tensor> {
  for (let i = 0; i < args.length; i++) checkIntact(prim.name, args[i]!);
  return prim.impl(args, params, prim.shape(args, params));
}

/**
 * Applies a primitive: the one call every op makes.
 *
 * @category internals
 * @since 0.1.0
 */
export function bind<P>(prim: Primitive<P>, args: ReadonlyArray<Tensor>, params: P): Tensor {
  return current === undefined ? evaluate(prim, args, params) : current.bind(prim, args, params);
}

/**
 * Applies a multiple-result primitive: the same routing as `bind`.
 *
 * @category internals
 * @since 0.1.0
 */
export function bindMulti<P>(prim: MultiPrimitive<P>, args: ReadonlyArray<Tensor>, params: P): ReadonlyArray<Tensor> {
  return current === undefined ? evaluateMulti(prim, args, params) : current.bindMulti(prim, args, params);
}
