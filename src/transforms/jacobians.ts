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
import { reshape, stack } from '../rules/structure.js';
import { type FlatArgs, flattenArgs, forwardScope, reverseScope, runScoped, selectArgnums } from './scope.js';
import { type Cotangent, type GradOptions, grad, jvp, type Lifted } from './transforms.js';

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
export function jacrev<A extends unknown[], E>(f: (...args: A) => Program<unknown, E>, options?: Pick<GradOptions, 'argnums' | 'checkNumerics'>): (...args: A) => Program<any, E>;
export function jacrev<A extends unknown[]>(f: (...args: A) => unknown, options?: Pick<GradOptions, 'argnums' | 'checkNumerics'>): (...args: A) => any;
export function jacrev<A extends unknown[]>(f: (...args: A) => unknown, options: Pick<GradOptions, 'argnums' | 'checkNumerics'> = {}): (...args: A) => any {
  const op = 'jacrev';
  return (...args: A) => {
    const argnums = selectArgnums(op, options.argnums, args.length);
    return runScoped(
      reverseScope(op, f as (...a: never[]) => unknown, args, argnums, Array.isArray(options.argnums), false, (lin) => {
        const outs = lin.outLeaves;
        const rowsByOutput = outs.map((o, k) => {
          const rows: Tensor[][] = lin.flat.leaves.map(() => []);
          for (let e = 0; e < o.size; e++) {
            // only output k is seeded: the others get no cotangent at all, not a tensor of zeros
            const cts = outs.map((other, j) => (j === k ? oneHot(other, e) : undefined));
            const masks = outs.map((other, j) => (j === k ? oneHotMask(other, e) : undefined));
            lin.pullback(cts, masks).forEach((c, j) => rows[j]!.push(c));
          }
          return rows;
        });
        lin.trace.release(); // every row is pulled back: the tape's arrays go to the next trace
        const blocks = outs.map((o, k) => {
          const rows = rowsByOutput[k]!;
          return lin.flat.leaves.map((x, j) => (o.size === 0 || x.size === 0 ? reshapeEmpty(o, x) : reshape(stack(rows[j]!), [...o.shape, ...x.shape])));
        });
        return assemble(lin.outDef, lin.flat, blocks);
      }, options.checkNumerics),
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
export function jacfwd<A extends unknown[], E>(f: (...args: A) => Program<unknown, E>, options?: Pick<GradOptions, 'argnums' | 'checkNumerics'>): (...args: A) => Program<any, E>;
export function jacfwd<A extends unknown[]>(f: (...args: A) => unknown, options?: Pick<GradOptions, 'argnums' | 'checkNumerics'>): (...args: A) => any;
export function jacfwd<A extends unknown[]>(f: (...args: A) => unknown, options: Pick<GradOptions, 'argnums' | 'checkNumerics'> = {}): (...args: A) => any {
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
    const hot = (j: number, c: number): boolean => c >= offsets[j]! && c < offsets[j]! + flat.leaves[j]!.size;
    const tangents = flat.leaves.map((x, j) => Array.from({ length: width }, (_, c): Tangent => (hot(j, c) ? oneHot(x, c - offsets[j]!) : Zero)));
    const masks = flat.leaves.map((x, j) => Array.from({ length: width }, (_, c) => (hot(j, c) ? oneHotMask(x, c - offsets[j]!) : undefined)));
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
      }, options.checkNumerics, masks),
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
export function hessian<A extends unknown[], E>(f: (...args: A) => Program<unknown, E>, options?: Pick<GradOptions, 'argnums' | 'checkNumerics'>): (...args: A) => Program<any, E>;
export function hessian<A extends unknown[]>(f: (...args: A) => unknown, options?: Pick<GradOptions, 'argnums' | 'checkNumerics'>): (...args: A) => any;
export function hessian<A extends unknown[]>(f: (...args: A) => unknown, options: Pick<GradOptions, 'argnums' | 'checkNumerics'> = {}): (...args: A) => any {
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

