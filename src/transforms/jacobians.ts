/**
 * Jacobians and Hessians, built from the same scopes as `vjp` and `jvp`: `jacrev` runs the function
 * once and pulls back one basis cotangent per output element; `jacfwd` pushes one direction per input
 * element through a single forward pass; `hessian` is forward-over-reverse; `hvp` is `jvp` of `grad`.
 *
 * @since 0.1.0
 */
import { allocate, fromData, type Tensor } from '../core/Tensor.js';
import { type Leaf, type TreeDef, unflatten } from '../core/Tree.js';
import { isProgram, map, type Program } from '../effects/Program.js';
import { type Tangent, Zero } from '../core/zero.js';
import { reshape, slice, stack, transpose } from '../rules/structure.js';
import { withTrace } from '../core/Trace.js';
import { vmapFlat } from './vmap.js';
import { checkArity, invalidArgument, parseFunction } from '../core/args.js';
import { type FlatArgs, flattenArgs, forwardScope, parseTransformOptions, reverseScope, runScoped, selectArgnums, type TransformOptions } from './scope.js';
import { type Cotangent, type GradOptions, type GradSpec, gradAs, jvpAs, type Lifted, type OptionsOf, type Selected, type ValueOf } from './transforms.js';

/**
 * Options of `jacrev`, `jacfwd` and `hessian`: `argnums`, which may also be given directly
 * (`jacrev(f, 1)`, `jacrev(f, [0, 1])`).
 *
 * @category transforms
 * @since 0.1.0
 */
export type JacobianOptions = Pick<GradOptions, 'argnums' | 'checkNumerics'>;

/**
 * The Jacobian of an output of type `Out` with respect to inputs whose gradient type is `In`: the
 * output's structure outside, with `In` (the inputs' structure) at each of its leaves. For a tensor
 * output and a tensor input it is one tensor of shape `[...out.shape, ...in.shape]`.
 *
 * @category transforms
 * @since 0.1.0
 */
export type Jacobian<Out, In> = 0 extends 1 & Out ? any : Out extends Tensor | number ? In : { readonly [K in keyof Out]: Jacobian<Out[K], In> };

/** What `jacrev` and `jacfwd` return for arguments `A`, options `O` and output `Out`. */
export type JacobianResult<A extends readonly unknown[], O, Out> = Jacobian<Out, Selected<A, OptionsOf<O>>>;

/** What `hessian` returns: the Jacobian of the Jacobian (for a scalar output, the inputs' structure twice). */
export type HessianResult<A extends readonly unknown[], O, Out> = Jacobian<JacobianResult<A, O, Out>, Selected<A, OptionsOf<O>>>;

function oneHot(like: Tensor, index: number): Tensor {
  const data = allocate(like.dtype, like.size);
  data[index] = 1;
  return fromData(like.shape, like.dtype, data);
}

/**
 * The structural zeros of `oneHot(like, index)`: every entry but `index`. A Jacobian entry that a
 * seed does not touch is exactly 0 even where a local derivative is infinite (`jacrev(sqrt)` at 0).
 */
function oneHotMask(like: Tensor, index: number): Tensor {
  const data = allocate(like.dtype, like.size).fill(1);
  data[index] = 0;
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
export function jacrev<R, const O extends GradSpec<JacobianOptions> = {}>(f: (x: Tensor) => R, options?: O): (x: Tensor | number) => Lifted<R, JacobianResult<[Tensor], O, ValueOf<R>>>;
export function jacrev<A extends unknown[], R, const O extends GradSpec<JacobianOptions> = {}>(f: (...args: A) => R, options?: O): (...args: A) => Lifted<R, JacobianResult<A, O, ValueOf<R>>>;
export function jacrev<A extends unknown[]>(f: (...args: A) => unknown, options?: GradSpec<JacobianOptions>): (...args: A) => any {
  const op = 'jacrev';
  checkArity(op, arguments.length, 2, 'jacrev(f, argnums or { argnums, checkNumerics }?)');
  const fn = parseFunction<(...args: never[]) => unknown>(op, 'f', f);
  return jacrevAs(op, fn, parseTransformOptions(op, options, ['argnums', 'checkNumerics']));
}

/** `jacrev` with parsed options, its errors and traces named `op` (`hessian` is built on it). */
function jacrevAs<A extends unknown[]>(op: string, fn: (...args: never[]) => unknown, o: TransformOptions): (...args: A) => any {
  return (...args: A) => {
    const argnums = selectArgnums(op, o.argnums, args.length);
    return runScoped(
      reverseScope(op, fn, args, argnums, o.argnums.tuple, false, (lin) => {
        const outs = lin.outLeaves;
        // every row of output k in one reverse pass, batched over the rows (vmap of the pullback):
        // only output k is seeded (the others get no cotangent at all), with one-hot seeds whose
        // zeros are structural
        const rowsByOutput = outs.map((o, k) => {
          if (o.size === 0) return lin.flat.leaves.map(() => undefined);
          // one row (a gradient): no batch to map over
          if (o.size === 1) return lin.pullback(outs.map((other, j) => (j === k ? basis(1, other.shape, other.dtype) : undefined)).map((t) => (t === undefined ? t : reshape(t, o.shape))));
          const pull = vmapFlat(op, ([ct, mask]) => lin.pullback(outs.map((_, j) => (j === k ? ct : undefined)), outs.map((_, j) => (j === k ? mask : undefined))), [0, 0], o.size);
          return pull([basis(o.size, o.shape, o.dtype), basisMask(o.size, o.shape, o.dtype)]);
        });
        lin.trace.release(); // every row is pulled back: the tape's arrays go to the next trace
        const blocks = outs.map((o, k) =>
          lin.flat.leaves.map((x, j) => (o.size === 0 || x.size === 0 ? reshapeEmpty(o, x) : reshape(rowsByOutput[k]![j]!, [...o.shape, ...x.shape]))),
        );
        return assemble(lin.outDef, lin.flat, blocks);
      }, o.checkNumerics),
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
export function jacfwd<R, const O extends GradSpec<JacobianOptions> = {}>(f: (x: Tensor) => R, options?: O): (x: Tensor | number) => Lifted<R, JacobianResult<[Tensor], O, ValueOf<R>>>;
export function jacfwd<A extends unknown[], R, const O extends GradSpec<JacobianOptions> = {}>(f: (...args: A) => R, options?: O): (...args: A) => Lifted<R, JacobianResult<A, O, ValueOf<R>>>;
export function jacfwd<A extends unknown[]>(f: (...args: A) => unknown, options?: GradSpec<JacobianOptions>): (...args: A) => any {
  const op = 'jacfwd';
  checkArity(op, arguments.length, 2, 'jacfwd(f, argnums or { argnums, checkNumerics }?)');
  const fn = parseFunction<(...args: never[]) => unknown>(op, 'f', f);
  return jacfwdAs(op, fn, parseTransformOptions(op, options, ['argnums', 'checkNumerics']));
}

/** `jacfwd` with parsed options, its errors and traces named `op` (`hessian` is built on it). */
function jacfwdAs<A extends unknown[]>(op: string, fn: (...args: never[]) => unknown, o: TransformOptions): (...args: A) => any {
  return (...args: A) => {
    const argnums = selectArgnums(op, o.argnums, args.length);
    const flat = flattenArgs(op, args, argnums, o.argnums.tuple);
    // direction c is the one-hot of element c - offsets[j] of input leaf j
    const offsets: number[] = [];
    let width = 0;
    for (const x of flat.leaves) {
      offsets.push(width);
      width += x.size;
    }
    const batched = batchedJacfwd(op, fn, flat, offsets, width, o.checkNumerics);
    if (batched !== undefined) return batched;
    const hot = (j: number, c: number): boolean => c >= offsets[j]! && c < offsets[j]! + flat.leaves[j]!.size;
    const tangents = flat.leaves.map((x, j) => Array.from({ length: width }, (_, c): Tangent => (hot(j, c) ? oneHot(x, c - offsets[j]!) : Zero)));
    const masks = flat.leaves.map((x, j) => Array.from({ length: width }, (_, c) => (hot(j, c) ? oneHotMask(x, c - offsets[j]!) : undefined)));
    // a function returning a Program: one forward pass pushing every direction at once
    return runScoped(
      forwardScope(op, fn, flat, width, tangents, (r) => {
        const blocks = r.outLeaves.map((o, k) =>
          flat.leaves.map((x, j) => {
            if (x.size === 0 || o.size === 0) return reshapeEmpty(o, x);
            const cols = r.tangentLeaves.slice(offsets[j]!, offsets[j]! + x.size).map((t) => t[k]!);
            return reshape(stack(cols, -1), [...o.shape, ...x.shape]);
          }),
        );
        return assemble(r.outDef, flat, blocks);
      }, o.checkNumerics, masks),
    );
  };
}

/** The rows of an identity of `n` columns, each reshaped to `shape`: `[n, ...shape]`. */
function basis(n: number, shape: ReadonlyArray<number>, dtype: Tensor['dtype']): Tensor {
  const data = allocate(dtype, n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return fromData(Object.freeze([n, ...shape]), dtype, data);
}

/** The structural zeros of `basis`: 1 everywhere but the diagonal. */
function basisMask(n: number, shape: ReadonlyArray<number>, dtype: Tensor['dtype']): Tensor {
  const data = allocate(dtype, n * n).fill(1);
  for (let i = 0; i < n; i++) data[i * n + i] = 0;
  return fromData(Object.freeze([n, ...shape]), dtype, data);
}

/**
 * jacfwd as one forward pass batched over the input directions (vmap of jvp): each tangent is the
 * batch of one-hot directions. Returns undefined for a function that returns a Program (its
 * effects must run in the program's interpreter: the unbatched path handles it).
 */
function batchedJacfwd(op: string, f: (...args: never[]) => unknown, flat: FlatArgs, offsets: ReadonlyArray<number>, width: number, checkNumerics: boolean | undefined): unknown {
  if (width === 0) return undefined;
  // the directions of input leaf j: columns offsets[j] .. offsets[j] + size of the identity
  const directions = flat.leaves.map((x, j) => slicedBasis(width, offsets[j]!, x, false));
  const dirMasks = flat.leaves.map((x, j) => slicedBasis(width, offsets[j]!, x, true));
  let outLeaves: Tensor[] | undefined;
  let outDef: TreeDef | undefined;
  let program = false;
  const push = vmapFlat(op, (ops) => {
    const n = flat.leaves.length;
    const scope = forwardScope(op, f, flat, 1, ops.slice(0, n).map((t) => [t]), (r) => r, checkNumerics, ops.slice(n).map((m) => [m]))();
    const out = withTrace(scope.trace, () => scope.call());
    if (isProgram(out)) {
      program = true;
      return [];
    }
    const r = scope.finish(out);
    outLeaves = r.outLeaves;
    outDef = r.outDef;
    return r.tangentLeaves[0]!;
  }, [...directions.map(() => 0), ...dirMasks.map(() => 0)], width);
  const cols = push([...directions, ...dirMasks]);
  if (program) return undefined;
  const blocks = outLeaves!.map((o, k) =>
    flat.leaves.map((x, j) => {
      if (x.size === 0 || o.size === 0) return reshapeEmpty(o, x);
      // lanes offsets[j] .. + x.size are the columns for leaf j: lanes last, then reshaped
      const lanes = slice(cols[k]!, [offsets[j]!], [offsets[j]! + x.size]);
      return reshape(transpose(lanes, [...Array.from({ length: o.ndim }, (_, a) => a + 1), 0]), [...o.shape, ...x.shape]);
    }),
  );
  return assemble(outDef!, flat, blocks);
}

/** The directions of one input leaf in a batch of `width`: `[width, ...x.shape]`, one-hot (or its mask). */
function slicedBasis(width: number, offset: number, x: Tensor, mask: boolean): Tensor {
  const data = allocate(x.dtype, width * x.size);
  if (mask) data.fill(1);
  for (let e = 0; e < x.size; e++) data[(offset + e) * x.size + e] = mask ? 0 : 1;
  return fromData(Object.freeze([width, ...x.shape]), x.dtype, data);
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
export function hessian<R, const O extends GradSpec<JacobianOptions> = {}>(f: (x: Tensor) => R, options?: O): (x: Tensor | number) => Lifted<R, HessianResult<[Tensor], O, ValueOf<R>>>;
export function hessian<A extends unknown[], R, const O extends GradSpec<JacobianOptions> = {}>(f: (...args: A) => R, options?: O): (...args: A) => Lifted<R, HessianResult<A, O, ValueOf<R>>>;
export function hessian<A extends unknown[]>(f: (...args: A) => unknown, options?: GradSpec<JacobianOptions>): (...args: A) => any {
  const op = 'hessian';
  checkArity(op, arguments.length, 2, 'hessian(f, argnums or { argnums, checkNumerics }?)');
  const fn = parseFunction<(...args: never[]) => unknown>(op, 'f', f);
  const o = parseTransformOptions(op, options, ['argnums', 'checkNumerics']);
  // both Jacobians are named hessian: an error in either (checkNumerics, a leaked tracer) names what the user called
  return jacfwdAs(op, jacrevAs(op, fn, o), o);
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
  const op = 'hvp';
  checkArity(op, arguments.length, 3, 'hvp(f, primals, vectors)');
  const fn = parseFunction<(...args: A) => unknown>(op, 'f', f);
  if (!Array.isArray(primals)) invalidArgument(op, 'primals', primals, 'pass an array with one entry per argument: hvp(f, [x], [v])');
  // the gradient and its jvp are named hvp: their errors name what the user called
  const g = gradAs(op, fn, parseTransformOptions(op, primals.map((_, i) => i), ['argnums']));
  const r = jvpAs(op, g, primals, tangents, undefined) as unknown;
  // an effectful f gives a program: the product is its result's tangent part
  return isProgram(r) ? map(r as Program<readonly [unknown, unknown], unknown>, (pair) => pair[1]) : (r as readonly [unknown, unknown])[1];
}

