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
import { AdjointError, ArgumentError, formatShape } from './errors.js';
import { asTensor, zerosLike } from './creation.js';
import { Tensor } from './Tensor.js';
import { flatten, type Leaf, mapTensors, matchTree, type Tree, type TreeDef, unflatten } from './Tree.js';
import { closeTrace, JvpTrace, newLevel, openTrace, ReverseTrace, type Trace, Tracer, withTrace } from './Trace.js';
import { isProgram, map, of, type Program, transformNode } from '../effects/Program.js';
import { isZero, type Tangent, Zero } from './zero.js';
import { onesLike } from './creation.js';
import { allocate, fromData } from './Tensor.js';
import { reshape, stack } from '../rules/structure.js';

/**
 * Options of `grad`, `valueAndGrad`, `jacrev`, `jacfwd` and `hessian`.
 *
 * @category transforms
 * @since 0.1.0
 */
export interface GradOptions {
  /** Which positional argument(s) to differentiate with respect to (default 0). An array gives a tuple of results. */
  readonly argnums?: number | ReadonlyArray<number>;
  /** `f` returns `[output, aux]`; `aux` is passed through undifferentiated. */
  readonly hasAux?: boolean;
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

/** The gradient type for `argnums` (default 0): one cotangent, or a tuple for an array of indices. */
type Selected<A extends readonly unknown[], O> = O extends { readonly argnums: infer N }
  ? N extends number
    ? Cotangent<A[N]>
    : N extends ReadonlyArray<number>
      ? { readonly [K in keyof N]: Cotangent<A[N[K] & number]> }
      : Cotangent<A[0]>
  : Cotangent<A[0]>;

type AuxOf<R> = R extends readonly [unknown, infer X] ? X : never;

/** What `grad` returns: the gradient, or `[gradient, aux]` with `hasAux`. */
export type GradResult<A extends readonly unknown[], O, R> = O extends { readonly hasAux: true } ? readonly [Selected<A, O>, AuxOf<R>] : Selected<A, O>;

/** What `valueAndGrad` returns: `[value, gradient]`, or `[[value, aux], gradient]` with `hasAux`. */
export type ValueAndGradResult<A extends readonly unknown[], O, R> = O extends { readonly hasAux: true }
  ? readonly [readonly [Tensor, AuxOf<R>], Selected<A, O>]
  : readonly [Tensor, Selected<A, O>];

/** `R`'s result type run through `F`, inside a Program when `R` is one (its effects kept). */
type Lifted<R, T> = R extends Program<infer _V, infer E> ? Program<T, E> : T;
type ValueOf<R> = R extends Program<infer V, infer _E> ? V : R;

// ---- shared machinery ----------------------------------------------------------------------------------

function selectArgnums(op: string, argnums: GradOptions['argnums'], nargs: number): number[] {
  const list = argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : [...argnums];
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= nargs) {
      throw new ArgumentError(
        'ARGNUMS_OUT_OF_RANGE',
        op,
        `argnums ${JSON.stringify(argnums)} is out of range: the function was called with ${nargs} argument(s); use indices 0..${nargs - 1}`,
      );
    }
  }
  return list;
}

/** The selected arguments' leaves as tensors, and a way to put new leaves back into the argument list. */
interface FlatArgs {
  readonly leaves: Tensor[];
  readonly defs: TreeDef[];
  readonly counts: number[];
  rebuild(newLeaves: ReadonlyArray<Leaf>): unknown[];
  /** The selected arguments' structure filled with `leaves`: one tree, or a tuple for an argnums array. */
  structure(leaves: ReadonlyArray<Leaf>): unknown;
}

function flattenArgs(op: string, args: ReadonlyArray<unknown>, argnums: ReadonlyArray<number>, tuple: boolean): FlatArgs {
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
    counts,
    rebuild(newLeaves) {
      const out = [...args];
      split(newLeaves).forEach((ls, j) => (out[argnums[j]!] = unflatten(defs[j]!, ls)));
      return out;
    },
    structure(ls) {
      const trees = split(ls).map((part, j) => unflatten(defs[j]!, part));
      return tuple ? Object.freeze(trees) : trees[0];
    },
  };
}

/** Replaces this trace's tracers in an aux value by their primals. */
function unwrapAux(op: string, aux: unknown, own: (t: Tensor) => Tensor): unknown {
  let flat: ReturnType<typeof flatten>;
  try {
    flat = flatten(op, aux);
  } catch {
    return aux; // not a pytree: passed through as it is
  }
  return unflatten(flat.def, flat.leaves.map((l) => (l instanceof Tensor ? own(l) : l)));
}

function splitAux(op: string, result: unknown, hasAux: boolean): [unknown, unknown] {
  if (!hasAux) return [result, undefined];
  if (!Array.isArray(result) || result.length !== 2) {
    throw new ArgumentError('INVALID_ARGUMENT', op, 'with hasAux: true the function must return a pair [output, aux]');
  }
  return [result[0], result[1]];
}

/** The result of running `f` under a reverse trace: its output and a pullback over flat leaves. */
interface Linearized {
  readonly outLeaves: Tensor[];
  readonly outDef: TreeDef;
  readonly aux: unknown;
  readonly flat: FlatArgs;
  /** Cotangents of the selected input leaves (zeros where the output does not depend on them). */
  pullback(cts: ReadonlyArray<Tensor>): Tensor[];
  readonly trace: ReverseTrace;
  readonly outTracers: Array<Tracer | undefined>;
}

/**
 * One transform call in two phases: `call` runs the user's function with the trace open; `finish`
 * turns its output into the transform's result after the trace is closed. Splitting them lets a
 * function that returns a `Program` be transformed lazily (see `runScoped`).
 */
interface Scope<R> {
  readonly trace: Trace;
  call(): unknown;
  finish(out: unknown): R;
}

/**
 * Runs a transform. A plain result is finished at once. If the function returned a `Program`, the
 * whole transform becomes a program: when interpreted it calls the function again with fresh
 * tracers, keeps the trace open while the program runs (so its effects reach handlers outside), and
 * finishes with the program's result. The first call only told us which kind of function this is.
 */
function runScoped<R>(make: () => Scope<R>): any {
  const scope = make();
  const out = withTrace(scope.trace, () => scope.call());
  if (!isProgram(out)) return scope.finish(out);
  return transformNode<R, unknown>(() => {
    const s = make();
    openTrace(s.trace);
    let program: unknown;
    try {
      program = s.call();
    } catch (e) {
      closeTrace(s.trace);
      throw e;
    }
    return {
      program: isProgram(program) ? program : of(program),
      close: () => closeTrace(s.trace),
      lower: (v) => mapTensors(v, (t) => s.trace.primalOf(t)),
      finish: (v) => s.finish(v),
    };
  });
}

/** A scope that runs `f` under a reverse trace with the selected arguments as inputs. */
function reverseScope<R>(
  op: string,
  f: (...args: never[]) => unknown,
  args: ReadonlyArray<unknown>,
  argnums: ReadonlyArray<number>,
  tuple: boolean,
  hasAux: boolean,
  finish: (lin: Linearized) => R,
): () => Scope<R> {
  return () => {
    const trace = new ReverseTrace(newLevel(), op);
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
  const outTracers = leaves.map((l) => (l instanceof Tracer && l.trace === trace ? l : undefined));
  const outLeaves = leaves.map((l) => own(asTensor(op, l)));
  return {
    outLeaves,
    outDef: def,
    aux: hasAux ? unwrapAux(op, auxRaw, own) : undefined,
    flat,
    trace,
    outTracers,
    pullback(cts) {
      const seeds: Array<readonly [Tracer, Tensor]> = [];
      outTracers.forEach((t, i) => {
        if (t !== undefined) seeds.push([t, cts[i]!]);
      });
      const adj = trace.backward(seeds);
      return trace.inputs.map((t, i) => adj[t.slot] ?? zerosLike(flat.leaves[i]!));
    },
  };
}

/** Output leaves and, per direction, the output tangent leaves (zeros where nothing flowed). */
interface Pushforward {
  readonly outLeaves: Tensor[];
  readonly outDef: TreeDef;
  readonly tangentLeaves: Tensor[][];
}

/** A scope that pushes `tangents[i]` (one array of `width` directions per input leaf) forward. */
function forwardScope<R>(
  op: string,
  f: (...args: never[]) => unknown,
  flat: FlatArgs,
  width: number,
  tangents: ReadonlyArray<ReadonlyArray<Tangent>>,
  finish: (r: Pushforward) => R,
): () => Scope<R> {
  return () => {
    const trace = new JvpTrace(newLevel(), op, width);
    return {
      trace,
      call: () => (f as (...a: unknown[]) => unknown)(...flat.rebuild(flat.leaves.map((l, i) => trace.input(l, tangents[i]!)))),
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
    const own = t instanceof Tracer && t.trace === trace;
    const primal = own ? t.primal : t;
    outLeaves.push(primal);
    for (let j = 0; j < trace.width; j++) {
      const tan = own ? t.tangents[j]! : Zero;
      tangentLeaves[j]!.push(isZero(tan) ? zerosLike(primal) : tan);
    }
  }
  return { outLeaves, outDef: def, tangentLeaves };
}

function checkScalarOutput(op: string, lin: Linearized): Tensor {
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

// ---- reverse mode ----------------------------------------------------------------------------------

/**
 * The gradient of a scalar-valued function. If `f` returns a `Program`, so does `grad(f)`, with the
 * same effects, to be handled outside.
 *
 * `grad : (f: (x, ...rest) => scalar) => (x, ...rest) => dx`
 *
 * @example
 * import { grad, mul, sin, add, item } from 'adjoint'
 * const f = (x) => add(mul(x, x), sin(x))
 * assert.ok(Math.abs(item(grad(f)(2)) - (4 + Math.cos(2))) < 1e-12)
 *
 * @category transforms
 * @since 0.1.0
 */
export function grad<A extends unknown[], R, const O extends GradOptions = {}>(
  f: (...args: A) => R,
  options?: O,
): (...args: A) => Lifted<R, GradResult<A, O, ValueOf<R>>>;
export function grad<A extends unknown[]>(f: (...args: A) => unknown, options: GradOptions = {}): (...args: A) => any {
  return (...args: A) => gradCore('grad', f, args, options, (_value, g, aux) => (options.hasAux ? Object.freeze([g, aux]) : g));
}

function gradCore<R>(op: string, f: (...args: never[]) => unknown, args: ReadonlyArray<unknown>, options: GradOptions, result: (value: Tensor, g: unknown, aux: unknown) => R): any {
  const argnums = selectArgnums(op, options.argnums, args.length);
  return runScoped(
    reverseScope(op, f, args, argnums, Array.isArray(options.argnums), options.hasAux ?? false, (lin) => {
      const value = checkScalarOutput(op, lin);
      const cts = lin.pullback([onesLike(value)]);
      return result(value, lin.flat.structure(cts), lin.aux);
    }),
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
export function valueAndGrad<A extends unknown[], R, const O extends GradOptions = {}>(
  f: (...args: A) => R,
  options?: O,
): (...args: A) => Lifted<R, ValueAndGradResult<A, O, ValueOf<R>>>;
export function valueAndGrad<A extends unknown[]>(f: (...args: A) => unknown, options: GradOptions = {}): (...args: A) => any {
  return (...args: A) =>
    gradCore('valueAndGrad', f, args, options, (value, g, aux) => Object.freeze([options.hasAux ? Object.freeze([value, aux]) : value, g] as const));
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
  const op = 'vjp';
  const argnums = primals.map((_, i) => i);
  return runScoped(
    reverseScope(op, f as (...a: never[]) => unknown, primals, argnums, true, false, (lin) => {
      const out = unflatten(lin.outDef, lin.outLeaves);
      const shapes = lin.outLeaves.map((l) => l.shape);
      const pullback = (ct: unknown): readonly any[] => {
        const leaves = matchTree('vjp pullback', 'cotangent', ct, lin.outDef, shapes).map((l, i) => asTensor(op, l, lin.outLeaves[i]!.dtype));
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
): Lifted<R, readonly [Cotangent<ValueOf<R>>, Cotangent<ValueOf<R>>]>;
export function jvp<A extends unknown[]>(f: (...args: A) => unknown, primals: A, tangents: { readonly [K in keyof A]: unknown }): any {
  const op = 'jvp';
  if (!Array.isArray(primals) || !Array.isArray(tangents)) {
    throw new ArgumentError('INVALID_ARGUMENT', op, 'primals and tangents must be arrays with one entry per argument: jvp(f, [x], [dx])');
  }
  const argnums = primals.map((_, i) => i);
  const flat = flattenArgs(op, primals, argnums, true);
  const tangentLeaves = matchTree(op, 'tangents', [...tangents], { _tag: 'Array', children: flat.defs }, flat.leaves.map((l) => l.shape)).map((l, i) =>
    asTensor(op, l, flat.leaves[i]!.dtype),
  );
  return runScoped(
    forwardScope(op, f as (...a: never[]) => unknown, flat, 1, tangentLeaves.map((t) => [t]), (r) =>
      Object.freeze([unflatten(r.outDef, r.outLeaves), unflatten(r.outDef, r.tangentLeaves[0]!)] as const),
    ),
  );
}

// ---- Jacobians -------------------------------------------------------------------------------------

function oneHot(like: Tensor, index: number): Tensor {
  const data = allocate(like.dtype, like.size);
  data[index] = 1;
  return fromData(like.shape, like.dtype, data);
}

/** Assembles per-(output leaf, input leaf) Jacobian blocks into output-structure of input-structure trees. */
function assemble(outDef: TreeDef, flat: FlatArgs, blocks: Tensor[][]): unknown {
  return unflatten(
    outDef,
    blocks.map((row) => flat.structure(row) as Leaf),
  );
}

/**
 * The Jacobian by reverse mode: one forward pass, then one pullback per output element (rows). For
 * an output of shape `O` and an input of shape `I`, the result has shape `[...O, ...I]`; pytree
 * outputs give a tree of Jacobians (output structure outside, input structure inside).
 *
 * @example
 * import { jacrev, mul, tensor, toArray } from 'adjoint'
 * const J = jacrev((x) => mul(x, x))(tensor([1, 2]))
 * assert.deepEqual(toArray(J), [[2, 0], [0, 4]])
 *
 * @category transforms
 * @since 0.1.0
 */
export function jacrev<A extends unknown[], E>(f: (...args: A) => Program<unknown, E>, options?: Pick<GradOptions, 'argnums'>): (...args: A) => Program<any, E>;
export function jacrev<A extends unknown[]>(f: (...args: A) => unknown, options?: Pick<GradOptions, 'argnums'>): (...args: A) => any;
export function jacrev<A extends unknown[]>(f: (...args: A) => unknown, options: Pick<GradOptions, 'argnums'> = {}): (...args: A) => any {
  const op = 'jacrev';
  return (...args: A) => {
    const argnums = selectArgnums(op, options.argnums, args.length);
    return runScoped(
      reverseScope(op, f as (...a: never[]) => unknown, args, argnums, Array.isArray(options.argnums), false, (lin) => {
        const outs = lin.outLeaves;
        const blocks = outs.map((o, k) => {
          const rows: Tensor[][] = lin.flat.leaves.map(() => []);
          for (let e = 0; e < o.size; e++) {
            const cts = outs.map((other, j) => (j === k ? oneHot(other, e) : zerosLike(other)));
            lin.pullback(cts).forEach((c, j) => rows[j]!.push(c));
          }
          return lin.flat.leaves.map((x, j) => (o.size === 0 || x.size === 0 ? reshapeEmpty(o, x) : reshape(stack(rows[j]!), [...o.shape, ...x.shape])));
        });
        return assemble(lin.outDef, lin.flat, blocks);
      }),
    );
  };
}

function reshapeEmpty(o: Tensor, x: Tensor): Tensor {
  return fromData(Object.freeze([...o.shape, ...x.shape]), x.dtype, allocate(x.dtype, 0));
}

/**
 * The Jacobian by forward mode: one forward pass pushing one direction per input element (columns)
 * at once, so the function, and any effects it performs, runs once. Same layout as `jacrev`:
 * `[...O, ...I]`.
 *
 * @example
 * import { jacfwd, mul, tensor, toArray } from 'adjoint'
 * const J = jacfwd((x) => mul(x, x))(tensor([1, 2]))
 * assert.deepEqual(toArray(J), [[2, 0], [0, 4]])
 *
 * @category transforms
 * @since 0.1.0
 */
export function jacfwd<A extends unknown[], E>(f: (...args: A) => Program<unknown, E>, options?: Pick<GradOptions, 'argnums'>): (...args: A) => Program<any, E>;
export function jacfwd<A extends unknown[]>(f: (...args: A) => unknown, options?: Pick<GradOptions, 'argnums'>): (...args: A) => any;
export function jacfwd<A extends unknown[]>(f: (...args: A) => unknown, options: Pick<GradOptions, 'argnums'> = {}): (...args: A) => any {
  const op = 'jacfwd';
  return (...args: A) => {
    const argnums = selectArgnums(op, options.argnums, args.length);
    const flat = flattenArgs(op, args, argnums, Array.isArray(options.argnums));
    // direction c is the one-hot of element c - offsets[j] of input leaf j
    const offsets: number[] = [];
    let width = 0;
    for (const x of flat.leaves) {
      offsets.push(width);
      width += x.size;
    }
    const tangents = flat.leaves.map((x, j) => Array.from({ length: width }, (_, c): Tangent => (c >= offsets[j]! && c < offsets[j]! + x.size ? oneHot(x, c - offsets[j]!) : Zero)));
    return runScoped(
      forwardScope(op, f as (...a: never[]) => unknown, flat, width, tangents, (r) => {
        const blocks = r.outLeaves.map((o, k) =>
          flat.leaves.map((x, j) => {
            if (x.size === 0 || o.size === 0) return reshapeEmpty(o, x);
            const cols = r.tangentLeaves.slice(offsets[j]!, offsets[j]! + x.size).map((t) => t[k]!);
            return reshape(stack(cols, -1), [...o.shape, ...x.shape]);
          }),
        );
        return assemble(r.outDef, flat, blocks);
      }),
    );
  };
}

/**
 * The Hessian of a scalar function, as forward-over-reverse (`jacfwd(jacrev(f))`): shape `[...I, ...I]`.
 *
 * @example
 * import { hessian, mul, sum, tensor, toArray } from 'adjoint'
 * const H = hessian((x) => sum(mul(mul(x, x), x)))(tensor([1, 2]))
 * assert.deepEqual(toArray(H), [[6, 0], [0, 12]])
 *
 * @category transforms
 * @since 0.1.0
 */
export function hessian<A extends unknown[], E>(f: (...args: A) => Program<unknown, E>, options?: Pick<GradOptions, 'argnums'>): (...args: A) => Program<any, E>;
export function hessian<A extends unknown[]>(f: (...args: A) => unknown, options?: Pick<GradOptions, 'argnums'>): (...args: A) => any;
export function hessian<A extends unknown[]>(f: (...args: A) => unknown, options: Pick<GradOptions, 'argnums'> = {}): (...args: A) => any {
  return jacfwd(jacrev(f, options), options);
}

/**
 * Hessian-vector products without forming the Hessian: forward mode over the gradient of `f` with
 * respect to all its arguments. Returns one product per primal.
 *
 * `hvp : (f, xs, vs) => H vs`
 *
 * @example
 * import { hvp, mul, sum, tensor, toArray } from 'adjoint'
 * const f = (x) => sum(mul(mul(x, x), x))          // H = diag(6x)
 * const [hv] = hvp(f, [tensor([1, 2])], [tensor([1, 1])])
 * assert.deepEqual(toArray(hv), [6, 12])
 *
 * @category transforms
 * @since 0.1.0
 */
export function hvp<A extends unknown[], R>(f: (...args: A) => R, primals: A, tangents: { readonly [K in keyof A]: unknown }): Lifted<R, Cotangent<A>>;
export function hvp<A extends unknown[]>(f: (...args: A) => unknown, primals: A, tangents: { readonly [K in keyof A]: unknown }): unknown {
  const argnums = primals.map((_, i) => i);
  const g = grad(f, { argnums }) as (...args: A) => unknown;
  const r = jvp(g, primals, tangents) as unknown;
  // an effectful f gives a program: the product is its result's tangent part
  return isProgram(r) ? map(r as Program<readonly [unknown, unknown], unknown>, (pair) => pair[1]) : (r as readonly [unknown, unknown])[1];
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
  const { leaves, def } = flatten('stopGradient', x);
  const strip = (l: Leaf): Leaf => {
    let t = l;
    while (t instanceof Tracer) t = t.primal;
    return t;
  };
  if (def._tag === 'Leaf') return strip(leaves[0]!) as T;
  return unflatten<T>(def, leaves.map(strip));
}

/** @internal For printTape: the machinery behind `vjp`, with the trace exposed. */
export const internals = { reverseScope, runScoped };
