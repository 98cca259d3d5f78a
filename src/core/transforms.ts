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
import { flatten, type Leaf, matchTree, type Tree, type TreeDef, unflatten } from './Tree.js';
import { JvpTrace, newLevel, ReverseTrace, Tracer, withTrace } from './Trace.js';
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

function linearize(op: string, f: (...args: never[]) => unknown, args: ReadonlyArray<unknown>, argnums: ReadonlyArray<number>, hasAux: boolean, tuple: boolean): Linearized {
  const trace = new ReverseTrace(newLevel(), op);
  const flat = flattenArgs(op, args, argnums, tuple);
  const result = withTrace(trace, () => {
    const tracers = flat.leaves.map((l) => trace.input(l));
    return (f as (...a: unknown[]) => unknown)(...flat.rebuild(tracers));
  });
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

/** Runs `f` under a forward trace with the given input tangents. */
function pushforward(
  op: string,
  f: (...args: never[]) => unknown,
  flat: FlatArgs,
  tangents: ReadonlyArray<Tangent>,
): { outLeaves: Tensor[]; outDef: TreeDef; tangentLeaves: Tensor[] } {
  const trace = new JvpTrace(newLevel(), op);
  const result = withTrace(trace, () => {
    const tracers = flat.leaves.map((l, i) => trace.input(l, tangents[i]!));
    return (f as (...a: unknown[]) => unknown)(...flat.rebuild(tracers));
  });
  const { leaves, def } = flatten(op, result);
  const outLeaves: Tensor[] = [];
  const tangentLeaves: Tensor[] = [];
  for (const l of leaves) {
    const t = asTensor(op, l);
    if (t instanceof Tracer && t.trace === trace) {
      outLeaves.push(t.primal);
      tangentLeaves.push(isZero(t.tangent) ? zerosLike(t.primal) : t.tangent);
    } else {
      outLeaves.push(t);
      tangentLeaves.push(zerosLike(t));
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
 * The gradient of a scalar-valued function.
 *
 * `grad : (f: (x, ...rest) => scalar) => (x, ...rest) => dx`
 *
 * @example
 * import { grad, mul, sin, add, item } from 'adjoint'
 * const f = (x) => add(mul(x, x), sin(x))
 * assert.equal(item(grad(f)(2)), 4 + Math.cos(2))
 *
 * @category transforms
 * @since 0.1.0
 */
export function grad<A extends unknown[]>(f: (...args: A) => unknown, options: GradOptions = {}): (...args: A) => any {
  const op = 'grad';
  return (...args: A) => {
    const [, g, aux] = gradCore(op, f, args, options);
    return options.hasAux ? Object.freeze([g, aux]) : g;
  };
}

function gradCore(op: string, f: (...args: never[]) => unknown, args: ReadonlyArray<unknown>, options: GradOptions): [Tensor, unknown, unknown] {
  const argnums = selectArgnums(op, options.argnums, args.length);
  const lin = linearize(op, f, args, argnums, options.hasAux ?? false, Array.isArray(options.argnums));
  const value = checkScalarOutput(op, lin);
  const cts = lin.pullback([onesLike(value)]);
  return [value, lin.flat.structure(cts), lin.aux];
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
export function valueAndGrad<A extends unknown[]>(f: (...args: A) => unknown, options: GradOptions = {}): (...args: A) => readonly [any, any] {
  const op = 'valueAndGrad';
  return (...args: A) => {
    const [value, g, aux] = gradCore(op, f, args, options);
    return Object.freeze([options.hasAux ? Object.freeze([value, aux]) : value, g] as const);
  };
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
export function vjp<A extends unknown[]>(f: (...args: A) => unknown, ...primals: A): readonly [any, (ct: unknown) => readonly any[]] {
  const op = 'vjp';
  const argnums = primals.map((_, i) => i);
  const lin = linearize(op, f as (...a: never[]) => unknown, primals, argnums, false, true);
  const out = unflatten(lin.outDef, lin.outLeaves);
  const shapes = lin.outLeaves.map((l) => l.shape);
  const pullback = (ct: unknown): readonly any[] => {
    const leaves = matchTree('vjp pullback', 'cotangent', ct, lin.outDef, shapes).map((l, i) => asTensor(op, l, lin.outLeaves[i]!.dtype));
    return lin.flat.structure(lin.pullback(leaves)) as readonly any[];
  };
  return Object.freeze([out, pullback] as const);
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
export function jvp<A extends unknown[]>(f: (...args: A) => unknown, primals: A, tangents: { readonly [K in keyof A]: unknown }): readonly [any, any] {
  const op = 'jvp';
  if (!Array.isArray(primals) || !Array.isArray(tangents)) {
    throw new ArgumentError('INVALID_ARGUMENT', op, 'primals and tangents must be arrays with one entry per argument: jvp(f, [x], [dx])');
  }
  const argnums = primals.map((_, i) => i);
  const flat = flattenArgs(op, primals, argnums, true);
  const tangentLeaves = matchTree(op, 'tangents', [...tangents], { _tag: 'Array', children: flat.defs }, flat.leaves.map((l) => l.shape)).map((l, i) =>
    asTensor(op, l, flat.leaves[i]!.dtype),
  );
  const r = pushforward(op, f as (...a: never[]) => unknown, flat, tangentLeaves);
  return Object.freeze([unflatten(r.outDef, r.outLeaves), unflatten(r.outDef, r.tangentLeaves)] as const);
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
 * The Jacobian by reverse mode: one pullback per output element (rows). For an output of shape `O`
 * and an input of shape `I`, the result has shape `[...O, ...I]`; pytree outputs give a tree of
 * Jacobians (output structure outside, input structure inside).
 *
 * @example
 * import { jacrev, mul, tensor, toArray } from 'adjoint'
 * const J = jacrev((x) => mul(x, x))(tensor([1, 2]))
 * assert.deepEqual(toArray(J), [[2, 0], [0, 4]])
 *
 * @category transforms
 * @since 0.1.0
 */
export function jacrev<A extends unknown[]>(f: (...args: A) => unknown, options: Pick<GradOptions, 'argnums'> = {}): (...args: A) => any {
  const op = 'jacrev';
  return (...args: A) => {
    const argnums = selectArgnums(op, options.argnums, args.length);
    const lin = linearize(op, f as (...a: never[]) => unknown, args, argnums, false, Array.isArray(options.argnums));
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
  };
}

function reshapeEmpty(o: Tensor, x: Tensor): Tensor {
  return fromData(Object.freeze([...o.shape, ...x.shape]), x.dtype, allocate(x.dtype, 0));
}

/**
 * The Jacobian by forward mode: one jvp per input element (columns). Same layout as `jacrev`:
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
export function jacfwd<A extends unknown[]>(f: (...args: A) => unknown, options: Pick<GradOptions, 'argnums'> = {}): (...args: A) => any {
  const op = 'jacfwd';
  return (...args: A) => {
    const argnums = selectArgnums(op, options.argnums, args.length);
    const flat = flattenArgs(op, args, argnums, Array.isArray(options.argnums));
    // columns[j][k]: the tangents of output leaf k, one per element of input leaf j
    const columns: Tensor[][][] = [];
    let outDef: TreeDef | undefined;
    let outLeaves: Tensor[] = [];
    flat.leaves.forEach((x, j) => {
      const cols: Tensor[][] = [];
      for (let e = 0; e < x.size; e++) {
        const tangents: Tangent[] = flat.leaves.map((other, i) => (i === j ? oneHot(other, e) : Zero));
        const r = pushforward(op, f as (...a: never[]) => unknown, flat, tangents);
        outDef = r.outDef;
        outLeaves = r.outLeaves;
        r.tangentLeaves.forEach((t, k) => (cols[k] ??= []).push(t));
      }
      columns.push(cols);
    });
    if (outDef === undefined) {
      // every input is empty: run once for the output's structure and shapes
      const r = pushforward(op, f as (...a: never[]) => unknown, flat, flat.leaves.map(() => Zero));
      outDef = r.outDef;
      outLeaves = r.outLeaves;
    }
    const blocks = outLeaves.map((o, k) =>
      flat.leaves.map((x, j) => {
        const cols = columns[j]?.[k];
        if (cols === undefined || cols.length === 0) return reshapeEmpty(o, x);
        return reshape(stack(cols, -1), [...o.shape, ...x.shape]);
      }),
    );
    return assemble(outDef, flat, blocks);
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
export function hvp<A extends unknown[]>(f: (...args: A) => unknown, primals: A, tangents: { readonly [K in keyof A]: unknown }): readonly any[] {
  const argnums = primals.map((_, i) => i);
  const g = grad(f, { argnums }) as (...args: A) => unknown;
  return jvp(g, primals, tangents)[1] as readonly any[];
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
export const internals = { linearize, checkScalarOutput, selectArgnums };
