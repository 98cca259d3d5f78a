/**
 * The transforms: higher-order functions that take a function and return a function, so they compose
 * to any depth (`grad(grad(f))`, `jacfwd(jacrev(f))`, `vjp` of `jvp`). Reverse mode (`vjp`, `grad`,
 * `jacrev`) runs the function once under a `ReverseTrace` and walks its tape backward; forward mode
 * (`jvp`, `jacfwd`) runs it under a `JvpTrace`. Inputs and outputs are pytrees; results come back in
 * the same structure, frozen. Inputs that the output does not depend on get zero gradients (real
 * tensors of zeros: symbolic zeros stay inside the engine).
 *
 * @since 0.1.0
 */
import { checkArity, invalidArgument, parseBoolean, parseFunction, parseOptions } from '../core/args.js';
import { ArgumentError } from '../core/errors.js';
import { asTensor, onesLike } from '../core/creation.js';
import { astype } from '../rules/elementwise.js';
import type { Tensor } from '../core/Tensor.js';
import { flatten, type Leaf, matchTree, type Tree, unflatten } from '../core/Tree.js';
import { noteKnown } from '../core/closure.js';
import { stripGradient } from '../core/Trace.js';
import type { Program } from '../effects/Program.js';
import { checkScalarOutput, flattenArgs, forwardScope, parseTransformOptions, reverseScope, runScoped, selectArgnums, type TransformOptions } from './scope.js';

/**
 * Options of `grad`, `valueAndGrad`, `jacrev`, `jacfwd` and `hessian`. As in JAX, the argnums may
 * also be given directly: `grad(f, 1)` is `grad(f, { argnums: 1 })`, `grad(f, [0, 1])` is
 * `grad(f, { argnums: [0, 1] })`.
 *
 * @category transforms
 * @since 0.1.0
 */
export interface GradOptions {
  /** Which positional argument(s) to differentiate with respect to (default 0). An array gives a tuple of results. */
  readonly argnums?: number | ReadonlyArray<number>;
  /** `f` returns `[output, aux]`; `aux` is passed through undifferentiated. */
  readonly hasAux?: boolean;
  /**
   * Stop at the first non-finite adjoint or tangent with a `NON_FINITE` error naming the op and
   * the SSA value (default: the global setting, see `setCheckNumerics`).
   */
  readonly checkNumerics?: boolean;
}

/**
 * The type of a gradient, tangent or cotangent of a value of type `T`: the same structure, with a
 * tensor at every tensor or number leaf.
 *
 * @category transforms
 * @since 0.1.0
 */
export type Cotangent<T> = 0 extends 1 & T ? any : T extends Tensor | number ? Tensor : { readonly [K in keyof T]: Cotangent<T[K]> };

/**
 * What a pullback or `jvp` accepts for a value of type `T`: the same structure with a tensor or a
 * number at each leaf (arrays may be plain or readonly).
 *
 * @category transforms
 * @since 0.1.0
 */
export type CotangentInput<T> = 0 extends 1 & T
  ? any
  : T extends Tensor | number
    ? Tensor | number
    : T extends ReadonlyArray<infer U>
      ? ReadonlyArray<CotangentInput<U>>
      : { readonly [K in keyof T]: CotangentInput<T[K]> };

/**
 * What the second argument of a transform may be: argnums (a number or an array of numbers) or an
 * options object.
 *
 * @category transforms
 * @since 0.1.0
 */
export type GradSpec<O extends object = GradOptions> = number | ReadonlyArray<number> | O;

/** The options object a `GradSpec` stands for: bare argnums become `{ argnums }`. */
export type OptionsOf<O> = O extends number | ReadonlyArray<number> ? { readonly argnums: O } : O;

/** The gradient type for `argnums` (default 0): one cotangent, or a tuple for an array of indices. */
export type Selected<A extends readonly unknown[], O> = O extends { readonly argnums: infer N }
  ? N extends number
    ? Cotangent<A[N]>
    : N extends ReadonlyArray<number>
      ? { readonly [K in keyof N]: Cotangent<A[N[K] & number]> }
      : Cotangent<A[0]>
  : Cotangent<A[0]>;

type AuxOf<R> = R extends readonly [unknown, infer X] ? X : never;

/** What `grad` returns: the gradient, or `[gradient, aux]` with `hasAux`. */
export type GradResult<A extends readonly unknown[], O, R> = OptionsOf<O> extends { readonly hasAux: true } ? readonly [Selected<A, OptionsOf<O>>, AuxOf<R>] : Selected<A, OptionsOf<O>>;

/** What `valueAndGrad` returns: `[value, gradient]`, or `[[value, aux], gradient]` with `hasAux`. */
export type ValueAndGradResult<A extends readonly unknown[], O, R> = OptionsOf<O> extends { readonly hasAux: true }
  ? readonly [readonly [Tensor, AuxOf<R>], Selected<A, OptionsOf<O>>]
  : readonly [Tensor, Selected<A, OptionsOf<O>>];

/** `R`'s result type run through `F`, inside a Program when `R` is one (its effects kept). */
export type Lifted<R, T> = R extends Program<infer _V, infer E> ? Program<T, E> : T;
export type ValueOf<R> = R extends Program<infer V, infer _E> ? V : R;

// ---- reverse mode ----------------------------------------------------------------------------------

/**
 * The gradient of a scalar-valued function. If `f` returns a `Program`, so does `grad(f)`, with the
 * same effects, to be handled outside. The second argument selects the arguments to differentiate
 * (`grad(f, 1)`, `grad(f, [0, 1])`, as in JAX) or is an options object (`{ argnums, hasAux }`).
 *
 * `grad : (f: (x, ...rest) => scalar) => (x, ...rest) => dx`
 *
 * @example
 * import { grad, mul, sin, add, item } from 'adjoint'
 * const f = (x) => add(mul(x, x), sin(x))
 * assert.ok(Math.abs(item(grad(f)(2)) - (4 + Math.cos(2))) < 1e-12)
 * assert.equal(item(grad((x, y) => mul(x, y), 1)(3, 4)), 3)
 *
 * @category transforms
 * @since 0.1.0
 */
// First overload: an unannotated one-argument lambda, `grad((x) => ...)`, gets `x: Tensor`.
export function grad<R, const O extends GradSpec = {}>(
  f: (x: Tensor) => R,
  options?: O,
): (x: Tensor | number) => Lifted<R, GradResult<[Tensor], O, ValueOf<R>>>;
export function grad<A extends unknown[], R, const O extends GradSpec = {}>(
  f: (...args: A) => R,
  options?: O,
): (...args: A) => Lifted<R, GradResult<A, O, ValueOf<R>>>;
export function grad<A extends unknown[]>(f: (...args: A) => unknown, options?: GradSpec): (...args: A) => any {
  const op = 'grad';
  checkArity(op, arguments.length, 2, 'grad(f, argnums or { argnums, hasAux, checkNumerics }?)');
  const fn = parseFunction<(...args: A) => unknown>(op, 'f', f);
  return gradAs(op, fn, parseTransformOptions(op, options, ['argnums', 'hasAux', 'checkNumerics']));
}

/**
 * @internal `grad` with parsed options, its errors and traces named `op`: a public transform built on
 * it (`hvp`) reports the name the user called.
 */
export function gradAs<A extends unknown[]>(op: string, fn: (...args: A) => unknown, o: TransformOptions): (...args: A) => any {
  return (...args: A) => gradCore(op, fn, args, o, (_value, g, aux) => (o.hasAux ? Object.freeze([g, aux]) : g));
}

function gradCore<R>(op: string, f: (...args: never[]) => unknown, args: ReadonlyArray<unknown>, o: TransformOptions, result: (value: Tensor, g: unknown, aux: unknown) => R): any {
  const argnums = selectArgnums(op, o.argnums, args.length);
  return runScoped(
    reverseScope(
      op,
      f,
      args,
      argnums,
      o.argnums.tuple,
      o.hasAux,
      (lin) => {
        const value = checkScalarOutput(op, lin);
        const cts = lin.pullback([onesLike(value)]);
        lin.trace.release(); // the tape is done: its arrays go to the next trace
        return result(value, lin.flat.structure(cts), lin.aux);
      },
      o.checkNumerics,
    ),
  );
}

/**
 * The value and the gradient of a scalar-valued function, from one forward and one reverse pass.
 * With `hasAux`, the value is `[output, aux]`.
 *
 * @example
 * import { valueAndGrad, square, item } from 'adjoint'
 * const [v, g] = valueAndGrad(square)(3)
 * assert.equal(item(v), 9)
 * assert.equal(item(g), 6)
 *
 * @category transforms
 * @since 0.1.0
 */
export function valueAndGrad<R, const O extends GradSpec = {}>(
  f: (x: Tensor) => R,
  options?: O,
): (x: Tensor | number) => Lifted<R, ValueAndGradResult<[Tensor], O, ValueOf<R>>>;
export function valueAndGrad<A extends unknown[], R, const O extends GradSpec = {}>(
  f: (...args: A) => R,
  options?: O,
): (...args: A) => Lifted<R, ValueAndGradResult<A, O, ValueOf<R>>>;
export function valueAndGrad<A extends unknown[]>(f: (...args: A) => unknown, options?: GradSpec): (...args: A) => any {
  const op = 'valueAndGrad';
  checkArity(op, arguments.length, 2, 'valueAndGrad(f, argnums or { argnums, hasAux, checkNumerics }?)');
  const fn = parseFunction<(...args: A) => unknown>(op, 'f', f);
  const o = parseTransformOptions(op, options, ['argnums', 'hasAux', 'checkNumerics']);
  return (...args: A) => gradCore(op, fn, args, o, (value, g, aux) => Object.freeze([o.hasAux ? Object.freeze([value, aux]) : value, g] as const));
}

/**
 * Runs `f` forward and returns its output with a pullback that maps an output cotangent (same
 * structure and shapes as the output) to one cotangent per primal.
 *
 * `vjp : (f: (...xs) => y, ...xs) => [y, (ct: y) => xs]`
 *
 * @example
 * import { vjp, mul, tensor, toArray } from 'adjoint'
 * const [y, pullback] = vjp((x) => mul(x, 3), tensor([1, 2]))
 * assert.deepEqual(toArray(y), [3, 6])
 * const [dx] = pullback(tensor([1, 10]))
 * assert.deepEqual(toArray(dx), [3, 30])
 *
 * @category transforms
 * @since 0.1.0
 */
export function vjp<A extends unknown[], R>(
  f: (...args: A) => R,
  ...primals: A
): Lifted<R, readonly [Cotangent<ValueOf<R>>, (ct: CotangentInput<ValueOf<R>>) => Cotangent<A>]>;
export function vjp<A extends unknown[]>(f: (...args: A) => unknown, ...primals: A): any {
  parseFunction('vjp', 'f', f);
  return vjpAs('vjp', f, primals);
}

/** @internal `vjp` of a checked function, its errors and traces named `op` (`checkGrads`). */
export function vjpAs(op: string, f: (...args: never[]) => unknown, primals: ReadonlyArray<unknown>): any {
  const argnums = primals.map((_, i) => i);
  return runScoped(
    reverseScope(op, f, primals, argnums, true, false, (lin) => {
      const out = unflatten(lin.outDef, lin.outLeaves);
      const shapes = lin.outLeaves.map((l) => l.shape);
      const pullback = function (ct: unknown): readonly any[] {
        checkArity(`${op} pullback`, arguments.length, 1, 'pullback(cotangent), one cotangent with the structure of the output');
        const leaves = matchTree(`${op} pullback`, 'cotangent', ct, lin.outDef, shapes).map((l, i) =>
          astype(asTensor(op, l, lin.outLeaves[i]!.dtype), lin.outLeaves[i]!.dtype),
        );
        return lin.flat.structure(lin.pullback(leaves)) as readonly any[];
      };
      return Object.freeze([out, pullback] as const);
    }),
  );
}

// ---- forward mode ----------------------------------------------------------------------------------

/**
 * Forward mode: evaluates `f` at `primals` and its directional derivative along `tangents` (same
 * structure and shapes as `primals`), in one pass.
 *
 * `jvp : (f, xs, dxs) => [f(xs), J dxs]`
 *
 * @example
 * import { jvp, sin, item } from 'adjoint'
 * const [y, dy] = jvp(sin, [0], [2])
 * assert.equal(item(y), 0)
 * assert.equal(item(dy), 2)
 *
 * @category transforms
 * @since 0.1.0
 */
export function jvp<A extends unknown[], R>(
  f: (...args: A) => R,
  primals: A,
  tangents: { readonly [K in keyof A]: unknown },
  options?: Pick<GradOptions, 'checkNumerics'>,
): Lifted<R, readonly [Cotangent<ValueOf<R>>, Cotangent<ValueOf<R>>]>;
export function jvp<A extends unknown[]>(f: (...args: A) => unknown, primals: A, tangents: { readonly [K in keyof A]: unknown }, options?: Pick<GradOptions, 'checkNumerics'>): any {
  const op = 'jvp';
  checkArity(op, arguments.length, 4, 'jvp(f, primals, tangents, { checkNumerics }?)');
  const o = parseOptions(op, 'options', options, ['checkNumerics']);
  const checkNumerics = o.checkNumerics === undefined ? undefined : parseBoolean(op, 'checkNumerics', o.checkNumerics);
  parseFunction(op, 'f', f);
  return jvpAs(op, f, primals, tangents, checkNumerics);
}

/**
 * @internal `jvp` of a checked function, its errors and traces named `op` (`hvp`, `checkGrads`, the
 * rules of `checkpoint` and the implicit solvers). Each tangent must have its primal's structure,
 * shape and dtype (`TREE_MISMATCH`, `INVALID_DTYPE`), as JAX requires; a bare number is weakly typed
 * and takes its primal's dtype. `castTangents`: a rule's own tangents are converted instead (the
 * engine keeps a tangent's dtype apart from its primal's where an op promoted).
 */
export function jvpAs(op: string, f: (...args: never[]) => unknown, primals: unknown, tangents: unknown, checkNumerics: boolean | undefined, castTangents = false): any {
  const usage = `${op}(f, [x], [dx])`;
  if (!Array.isArray(primals)) invalidArgument(op, 'primals', primals, `pass an array with one entry per argument: ${usage}`);
  if (!Array.isArray(tangents)) invalidArgument(op, 'tangents', tangents, `pass an array with one entry per argument: ${usage}`);
  const argnums = primals.map((_, i) => i);
  const flat = flattenArgs(op, primals, argnums, true);
  const tangentLeaves = matchTree(op, 'tangents', [...tangents], { _tag: 'Array', children: flat.defs }, flat.leaves.map((l) => l.shape)).map((l, i) => {
    const primal = flat.leaves[i]!;
    if (castTangents) return astype(asTensor(op, l, primal.dtype), primal.dtype);
    if (typeof l !== 'number' && l.dtype !== primal.dtype) {
      const arg = flat.argumentOf(i);
      throw new ArgumentError(
        'INVALID_DTYPE',
        op,
        `the tangent for argument ${arg.index}${arg.leaves > 1 ? ` (its leaf ${arg.leaf})` : ''} is ${l.dtype} but its primal is ${primal.dtype}; a tangent has its primal's dtype: convert it with astype(tangent, '${primal.dtype}')`,
      );
    }
    return asTensor(op, l, primal.dtype);
  });
  return runScoped(
    forwardScope(op, f, flat, 1, tangentLeaves.map((t) => [t]), (r) =>
      Object.freeze([unflatten(r.outDef, r.outLeaves), unflatten(r.outDef, r.tangentLeaves[0]!)] as const),
      checkNumerics,
    ),
  );
}

/**
 * The value of `x` with no derivative: every transform sees it as a constant.
 *
 * @example
 * import { grad, mul, stopGradient, item } from 'adjoint'
 * const f = (x) => mul(x, stopGradient(x))
 * assert.equal(item(grad(f)(3)), 3)
 *
 * @category transforms
 * @since 0.1.0
 */
export function stopGradient<T extends Tree>(x: T): T {
  checkArity('stopGradient', arguments.length, 1, 'stopGradient(x)');
  const { leaves, def } = flatten('stopGradient', x);
  const strip = (l: Leaf): Leaf => {
    if (typeof l === 'number') return l;
    const t = stripGradient(l);
    // inside a loop body or a custom rule, a value the function made itself is not a closure
    noteKnown(t);
    return t;
  };
  if (def._tag === 'Leaf') return strip(leaves[0]!) as T;
  return unflatten<T>(def, leaves.map(strip));
}

