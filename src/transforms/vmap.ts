/**
 * `vmap`: vectorizing map (JAX's `jax.vmap`). `vmap(f)` applies `f` to every lane of a batched input
 * at once: under a batching trace (core/BatchTrace.ts) every op runs its row's batching rule, one
 * kernel call for the whole batch, so `vmap(grad(loss))` computes per-example gradients as batched
 * matrix products, not a loop. It composes with every transform in both orders.
 *
 * Higher-order primitives (loops, `checkpoint`, custom rules, implicit solves) are batched by
 * running their rules under a batching trace of their own (`liftBatch`): the loop body, the custom
 * rule, the solver see one lane, and their ops are batched.
 *
 * @since 0.1.0
 */
import { checkArity, checkSize, describeValue, invalidArgument, isPlainObject, parseAxis, parseEnum, parseFunction, parseInteger, parseOptions } from '../core/args.js';
import { BatchTrace, type BatchDim } from '../core/BatchTrace.js';
import { batchedFront, moveAxis } from '../core/batching.js';
import { asTensor, zerosLike } from '../core/creation.js';
import { ArgumentError, formatShape, ShapeError } from '../core/errors.js';
import { type AbstractValue, bindMulti } from '../core/primitive.js';
import type { MultiRule } from '../core/rule.js';
import { newLevel, withTrace } from '../core/Trace.js';
import { AdjointError } from '../core/errors.js';
import { isTensor, type Tensor } from '../core/Tensor.js';
import { mapTensors } from '../core/Tree.js';
import type { Interception } from '../effects/Program.js';
import { isBatchSafe } from '../effects/IO.js';
import { runScoped } from './scope.js';
import { flatten, unflatten } from '../core/Tree.js';
import { isZero, type Tangent } from '../core/zero.js';
import { sum } from '../rules/reduction.js';

/**
 * Options of `vmap`.
 *
 * @category transforms
 * @since 0.1.0
 */
export interface VmapOptions {
  /**
   * Where each argument's lanes are: an integer axis for every argument, `null` (not batched), or
   * an array with one entry per argument, each an axis, `null`, or a pytree prefix of that
   * argument (default 0).
   */
  readonly inAxes?: AxisSpec | ReadonlyArray<AxisSpec>;
  /** Where the result's lanes go: an axis, or a pytree prefix of the result (default 0). */
  readonly outAxes?: AxisSpec;
  /** The number of lanes, needed only when no argument is batched. */
  readonly axisSize?: number;
  /** `Random` under vmap: `'different'` draws per lane (split keys), `'same'` shares draws, `'error'` refuses. */
  readonly randomness?: 'different' | 'same' | 'error';
}

/** An axis, `null`, or a pytree of them (a prefix of the value it describes). */
export type AxisSpec = number | null | ReadonlyArray<AxisSpec> | { readonly [key: string]: AxisSpec };

/** Assigns an axis to every leaf of `value` from `spec`, a pytree prefix of it. */
function axesOfLeaves(op: string, where: string, spec: unknown, value: unknown, out: Array<number | null>): void {
  if (spec === null || typeof spec === 'number') {
    const n = flatten(op, value).leaves.length;
    for (let i = 0; i < n; i++) out.push(spec as number | null);
    return;
  }
  if (Array.isArray(spec)) {
    if (!Array.isArray(value) || value.length !== spec.length) {
      throw new ShapeError('TREE_MISMATCH', op, `${where} is an array of ${spec.length} axes but the value there is ${describeValue(value)}; give one axis per element, or one axis for all`);
    }
    spec.forEach((s, i) => axesOfLeaves(op, `${where}[${i}]`, s, value[i], out));
    return;
  }
  if (isPlainObject(spec)) {
    if (!isPlainObject(value)) throw new ShapeError('TREE_MISMATCH', op, `${where} is an object of axes but the value there is ${describeValue(value)}`);
    const keys = Object.keys(value).sort();
    const specKeys = Object.keys(spec).sort();
    if (keys.join('\u0000') !== specKeys.join('\u0000')) {
      throw new ShapeError('TREE_MISMATCH', op, `${where} has keys ${specKeys.join(', ')} but the value there has keys ${keys.join(', ')}`);
    }
    for (const k of keys) axesOfLeaves(op, `${where}.${k}`, spec[k], value[k], out);
    return;
  }
  invalidArgument(op, where, spec, 'pass an integer axis, null, or an array or object of them matching the argument');
}

/** A lane axis in `[-(rank + extra), rank + extra)`, made non-negative. */
function normalizeLaneAxis(op: string, where: string, axis: number, rank: number): number {
  // the one axis parser every op uses, so a bad lane axis reads like a bad axis anywhere
  return parseAxis(op, where, axis, rank, `a value of rank ${rank} (or use null for an unbatched value)`);
}

/**
 * The vectorizing map: `vmap(f)(xs)` is `f` applied to every lane of `xs` (its axis 0 by default),
 * the results stacked along `outAxes`; computed once for all lanes, by each op's batching rule.
 * Same semantics as JAX's `jax.vmap`. Composes with every transform: `vmap(grad(f))` gives
 * per-example gradients, `grad(vmap(f))` differentiates a batched function, `vmap(vmap(f))` maps
 * over two axes.
 *
 * `vmap : (f: (x) => y, { inAxes, outAxes }) => (xs) => ys`
 *
 * Errors: `TREE_MISMATCH` when `inAxes` or `outAxes` does not match the arguments' or result's
 * structure; `SHAPE_MISMATCH` for batched arguments with different numbers of lanes;
 * `AXIS_OUT_OF_RANGE` for an axis outside an argument's rank; `INVALID_ARGUMENT` when no argument
 * is batched and `axisSize` is missing, or for bad options; `UNKNOWN_OPTION`; `MISSING_RULE` for an
 * op without a batching rule.
 *
 * @example
 * import { vmap, grad, mul, sum, tensor, toArray } from 'adjoint'
 * const loss = (w, x) => sum(mul(mul(w, x), mul(w, x)))
 * const perExample = vmap(grad(loss), { inAxes: [null, 0] })
 * assert.deepEqual(toArray(perExample(tensor([1, 2]), tensor([[1, 1], [2, 3]]))), [[2, 4], [8, 36]])
 *
 * @category transforms
 * @since 0.1.0
 */
// `any[]`, not `unknown[]`: an unannotated lambda's parameters (`vmap((x) => ...)`) take the
// constraint's element type, and `unknown` would refuse every op
export function vmap<A extends any[], R>(f: (...args: A) => R, options?: VmapOptions): (...args: A) => R {
  const op = 'vmap';
  checkArity(op, arguments.length, 2, 'vmap(f, { inAxes, outAxes, axisSize, randomness }?)');
  parseFunction(op, 'f', f);
  const o = parseOptions(op, 'options', options, ['inAxes', 'outAxes', 'axisSize', 'randomness']);
  const inAxes = o.inAxes === undefined ? 0 : o.inAxes;
  const outAxes = o.outAxes === undefined ? 0 : o.outAxes;
  const axisSize = o.axisSize === undefined ? undefined : parseInteger(op, 'options.axisSize', o.axisSize, { min: 0 });
  const randomness = o.randomness === undefined ? 'different' : parseEnum(op, 'options.randomness', o.randomness, ['different', 'same', 'error'] as const);
  return ((...args: unknown[]) => {
    // the axis of every argument leaf
    const axes: Array<number | null> = [];
    if (inAxes === null || typeof inAxes === 'number') axesOfLeaves(op, 'inAxes', inAxes, args, axes);
    else if (Array.isArray(inAxes)) {
      if (inAxes.length !== args.length) {
        throw new ShapeError('TREE_MISMATCH', op, `inAxes has ${inAxes.length} entries but the function was called with ${args.length} argument(s); give one entry per argument`);
      }
      inAxes.forEach((spec, i) => axesOfLeaves(op, `inAxes[${i}]`, spec, args[i], axes));
    } else invalidArgument(op, 'options.inAxes', inAxes, 'pass an integer, null, or an array with one entry per argument');
    const { leaves, def } = flatten(op, args);
    const tensors = leaves.map((l) => asTensor(op, l));
    let size = axisSize;
    const dims: BatchDim[] = tensors.map((t, i) => {
      const a = axes[i]!;
      if (a === null) return undefined;
      const d = normalizeLaneAxis(op, `the axis of argument leaf ${i}`, a, t.ndim);
      const n = t.shape[d]!;
      if (size === undefined) size = n;
      else if (n !== size) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          op,
          `argument leaf ${i} (shape ${formatShape(t.shape)}) has ${n} lanes along axis ${d}, but ${axisSize !== undefined ? 'axisSize is' : 'another batched argument has'} ${size}; every batched argument needs the same number of lanes`,
        );
      }
      return d;
    });
    if (size === undefined) throw new ArgumentError('INVALID_ARGUMENT', op, 'no argument is batched (every inAxes entry is null); pass options.axisSize to say how many lanes');
    const lanes = size;
    // a function returning a Program gives a Program: the trace stays open while it runs, and its
    // effects pass through `vmapEffect` on their way to the handlers
    return runScoped(() => {
      const trace = new BatchTrace(newLevel(), op, lanes, randomness);
      return {
        trace,
        call: () => (f as (...a: unknown[]) => unknown)(...(unflatten(def, tensors.map((t, i) => trace.input(t, dims[i])), false) as unknown[])),
        finish: (result: unknown) => outputs(op, trace, result, outAxes, lanes),
        intercept: (effect: string, effectOp: string, payload: unknown) => vmapEffect(trace, effect, effectOp, payload),
      };
    });
  }) as (...args: A) => R;
}

/**
 * What an effect means under vmap (the effect table of the README): `Random` draws per lane, from
 * keys split per lane (`'different'`), once for all lanes (`'same'`), or is refused (`'error'`);
 * `Log` records one entry holding every lane's value (lanes first); `observe` of a batched value is
 * refused (branch with `cond`, which runs both branches on a batched predicate, or `where`); `IO` is
 * refused unless marked batch-safe (`IO.call(thunk, { batchSafe: true })`), then runs once for all
 * lanes; `State` cells written inside hold batched values, lanes first once vmap returns.
 */
function vmapEffect(trace: BatchTrace, effect: string, op: string, payload: unknown): Interception {
  const forward = (p: unknown = payload, after?: (v: unknown) => unknown): Interception => ({ _tag: 'Forward', op, payload: p, ...(after === undefined ? {} : { after }) });
  // through the traces of transforms inside the vmap: under vmap(grad(f)) the values f hands an
  // effect are the grad's tracers, whose primals hold the lanes
  const batched = (v: unknown): boolean => isTensor(v) && trace.unwrapThrough(v)[1] !== undefined;
  const lanesFirst = (t: Tensor): Tensor => {
    const [v, d] = trace.unwrapThrough(t);
    return d === undefined ? t : d === 0 ? v : moveAxis(v, d, 0);
  };
  switch (effect) {
    case 'Random': {
      if (op === 'split') return forward();
      if (trace.randomness === 'same') return forward();
      if (trace.randomness === 'error') {
        throw new AdjointError('EFFECT_REFUSED', `Random.${op}`, `a random draw under vmap with randomness: 'error'; pass randomness: 'different' (independent lanes) or 'same' (one draw shared by every lane)`);
      }
      const draw = payload as { readonly lanes?: ReadonlyArray<number> };
      return forward({ ...draw, lanes: [trace.size, ...(draw.lanes ?? [])] }, (v) => trace.input(v as Tensor, 0));
    }
    case 'Log': {
      const entry = payload as { readonly label: string; readonly value: unknown };
      return forward({ ...entry, value: mapTensors(entry.value, lanesFirst) });
    }
    case 'Observe':
      if (batched(payload)) {
        throw new AdjointError(
          'EFFECT_REFUSED',
          'observe',
          'the observed value is batched under vmap: its lanes may take different branches; branch with cond (a batched predicate runs both branches and selects per lane) or where',
        );
      }
      return forward();
    case 'IO':
      if (!isBatchSafe(payload)) {
        throw new AdjointError(
          'EFFECT_REFUSED',
          `IO.${op}`,
          'an IO step under vmap would run once for all lanes; if that is what it means (loading shared data), mark it with IO.call(thunk, { batchSafe: true }), else move it out of the vmapped function',
        );
      }
      return forward();
    default:
      return forward();
  }
}

/** The result's leaves with their lanes moved to `outAxes` (unbatched ones repeated in every lane). */
function outputs(op: string, trace: BatchTrace, result: unknown, outAxes: unknown, size: number): unknown {
  const { leaves, def } = flatten(op, result);
  const axes: Array<number | null> = [];
  axesOfLeaves(op, 'outAxes', outAxes, result, axes);
  const outs = leaves.map((l, i) => {
    const [value, dim] = trace.unwrap(asTensor(op, l));
    const a = axes[i]!;
    if (a === null) {
      if (dim !== undefined) throw new ShapeError('TREE_MISMATCH', op, `result leaf ${i} is batched but its outAxes entry is null; give it an axis`);
      return value;
    }
    const to = normalizeLaneAxis(op, `the outAxes entry of result leaf ${i}`, a, value.ndim + (dim === undefined ? 1 : 0));
    // an unbatched leaf is repeated in every lane: a size the buffer cannot hold is vmap's to report
    if (dim === undefined) checkSize(op, [size, ...value.shape]);
    return moveAxis(batchedFront(value, dim, size), 0, to);
  });
  return unflatten(def, outs);
}

// ---- batching the higher-order primitives ---------------------------------------------------------

/**
 * A function of flat operands (lanes along `dims`) run under a batching trace of its own: it sees
 * one lane, and its results come back batched with their lanes first.
 */
export function vmapFlat(name: string, f: (ops: ReadonlyArray<Tensor>) => ReadonlyArray<Tensor>, dims: ReadonlyArray<BatchDim>, size: number): (ops: ReadonlyArray<Tensor>) => Tensor[] {
  return (ops) => {
    const trace = new BatchTrace(newLevel(), name, size);
    const outs = withTrace(trace, () => f(ops.map((o, i) => trace.input(o, dims[i]))));
    return outs.map((o) => {
      const [v, d] = trace.unwrap(o);
      return batchedFront(v, d, size);
    });
  };
}

const laneAval = (a: AbstractValue): AbstractValue => ({ shape: a.shape.slice(1), dtype: a.dtype });
const batchedAval = (a: AbstractValue, size: number): AbstractValue => ({ shape: Object.freeze([size, ...a.shape]), dtype: a.dtype });

/**
 * The batching rule of a higher-order primitive: the same primitive, lifted to batched operands
 * (lanes first), whose kernel and rules run the original ones under a batching trace. Lower
 * transforms see one lifted equation, whose own rules are the original rules, batched.
 */
export function liftBatch<P>(prim: MultiRule<P>): NonNullable<MultiRule<P>['batch']> {
  return (args, dims, params, size) => {
    const front = args.map((a, i) => (dims[i] === undefined ? a : moveAxis(a, dims[i]!, 0)));
    const fdims: BatchDim[] = dims.map((d) => (d === undefined ? undefined : 0));
    const lifted = liftedPrimitive(prim, fdims, size);
    const outs = bindMulti(lifted, front, params);
    return [outs, outs.map(() => 0)];
  };
}

function liftedPrimitive<P>(prim: MultiRule<P>, dims: ReadonlyArray<BatchDim>, size: number): MultiRule<P> {
  const lane = (args: ReadonlyArray<AbstractValue>): AbstractValue[] => args.map((a, i) => (dims[i] === undefined ? a : laneAval(a)));
  const self: MultiRule<P> = {
    name: prim.name,
    multipleResults: true,
    examples: [],
    ...(prim.describeParams === undefined ? {} : { describeParams: (p: P) => `${prim.describeParams!(p)}[vmap ${size}]` }),
    shape: (args, p) => prim.shape(lane(args), p).map((a) => batchedAval(a, size)),
    impl: (args, p) => vmapFlat(prim.name, (ops) => prim.impl(ops, p, prim.shape(lane(args), p)), dims, size)(args),
    jvp: (primals, tangents, ans, p) => {
      const n = primals.length;
      const ts = tangents.map((t, i) => materialize(t, primals[i]!));
      const run = (ops: ReadonlyArray<Tensor>): ReadonlyArray<Tensor> =>
        prim.jvp(ops.slice(0, n), ops.slice(n, 2 * n), ops.slice(2 * n), p).map((t, k) => materialize(t, ops[2 * n + k]!));
      return vmapFlat(prim.name, run, [...dims, ...dims, ...ans.map(() => 0)], size)([...primals, ...ts, ...ans]);
    },
    vjp: (cts, primals, ans, p, wants) => {
      const n = primals.length;
      const cs = cts.map((c, k) => materialize(c, ans[k]!));
      const run = (ops: ReadonlyArray<Tensor>): ReadonlyArray<Tensor> =>
        prim.vjp(ops.slice(n + ans.length), ops.slice(0, n), ops.slice(n, n + ans.length), p, wants).map((c, i) => materialize(c, ops[i]!));
      const per = vmapFlat(prim.name, run, [...dims, ...ans.map(() => 0), ...cs.map(() => 0)], size)([...primals, ...ans, ...cs]);
      // an operand shared by every lane gets the sum of the lanes' cotangents
      return per.map((c, i) => (dims[i] === undefined ? sum(c, { axis: 0 }) : c));
    },
  };
  return { ...self, batch: liftBatch(self) };
}

const materialize = (t: Tangent, like: Tensor): Tensor => (isZero(t) ? zerosLike(like) : t);
