/**
 * Batching (vmap) as a trace, the third kind after reverse and forward mode (see Trace.ts for levels
 * and dispatch). A batch tracer stands for one lane of a batched value: its shape is a lane's shape,
 * and it carries the whole batched value with the axis that holds the lanes (`dim`). Each op hands
 * its batched operands to its row's batching rule (`Rule.batch`), which moves the lane axis where
 * the kernel wants it and calls the kernel once for the whole batch; there is no fallback that loops
 * over lanes. A row without a batching rule is a `MISSING_RULE` error naming the primitive.
 *
 * Values of lower levels (constants to this trace) are unbatched: every lane sees the same value.
 *
 * @since 0.1.0
 */
import { engineOps } from './engineOps.js';
import { AdjointError, formatShape } from './errors.js';
import { bind, bindMulti } from './primitive.js';
import type { MultiRule, Rule } from './rule.js';
import { auxOfTensor, dataOf, isConcrete, makeTracer, scalarOf, type Tensor } from './Tensor.js';
import { Trace, traceOf, tracerOf } from './Trace.js';

/** What a batch tracer carries: the batched value and the axis of its lanes. */
export interface BatchState {
  readonly value: Tensor;
  readonly dim: number;
}

/** A lane axis, or `undefined` for a value that is the same in every lane. */
export type BatchDim = number | undefined;

/** The shape of one lane of `value` batched along `dim`. */
function laneShape(value: Tensor, dim: number): number[] {
  const s = value.shape.slice();
  s.splice(dim, 1);
  return s;
}

export class BatchTrace extends Trace {
  override readonly batches = true;
  constructor(
    level: number,
    transform: string,
    /** The number of lanes. */
    readonly size: number,
    /** How `Random` draws under this trace (see vmap's `randomness`). */
    readonly randomness: 'different' | 'same' | 'error' = 'different',
  ) {
    super(level, transform);
  }

  /** A tracer for `value` whose lanes are along `dim`; `undefined`: the value itself (the same in every lane). */
  input(value: Tensor, dim: BatchDim): Tensor {
    if (dim === undefined) return value;
    if (value.shape[dim] !== this.size) {
      throw new AdjointError('SHAPE_MISMATCH', this.transform, `a batched value of shape ${formatShape(value.shape)} has ${value.shape[dim]} lanes along axis ${dim}, not ${this.size}`);
    }
    return makeTracer(laneShape(value, dim), value.dtype, this, -1, { value, dim } satisfies BatchState);
  }

  protected ownPrimal(x: Tensor): Tensor {
    return (auxOfTensor(x) as BatchState).value;
  }

  /** The batched value and lane axis of `x` as this trace sees it (`undefined` for a constant). */
  unwrap(x: Tensor): [Tensor, BatchDim] {
    if (traceOf(x) !== this) return [x, undefined];
    const s = auxOfTensor(x) as BatchState;
    return [s.value, s.dim];
  }

  /**
   * `unwrap`, looking through the traces opened inside this vmap (a `grad` inside it wraps its
   * values in tracers of its own, whose primals are this trace's): what this trace holds under `x`.
   */
  unwrapThrough(x: Tensor): [Tensor, BatchDim] {
    let v = x;
    for (let t = traceOf(v); t !== undefined && t !== this; t = traceOf(v)) {
      if (t.level < this.level) return [x, undefined];
      v = t.primalOf(v);
    }
    return this.unwrap(v);
  }

  /** Wraps a rule's output; an output with no lane axis is the same in every lane. */
  wrap(value: Tensor, dim: BatchDim): Tensor {
    return dim === undefined ? value : this.input(value, dim);
  }

  /** Each argument's value and lane axis, and whether any is batched. */
  private unwrapAll(args: ReadonlyArray<Tensor>): readonly [Tensor[], BatchDim[], boolean] {
    const values: Tensor[] = [];
    const dims: BatchDim[] = [];
    let any = false;
    for (const a of args) {
      const [v, d] = this.unwrap(a);
      values.push(v);
      dims.push(d);
      if (d !== undefined) any = true;
    }
    return [values, dims, any];
  }

  process(prim: Rule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): Tensor {
    const [values, dims, any] = this.unwrapAll(args);
    if (!any) return bind(prim, values, params);
    if (prim.batch === undefined) throw missingBatchRule(prim.name, this.transform);
    const [out, dim] = prim.batch(values, dims, params, this.size);
    return this.wrap(out, dim);
  }

  processMulti(prim: MultiRule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): ReadonlyArray<Tensor> {
    const [values, dims, any] = this.unwrapAll(args);
    if (!any) return bindMulti(prim, values, params);
    if (prim.batch === undefined) throw missingBatchRule(prim.name, this.transform);
    const [outs, outDims] = prim.batch(values, dims, params, this.size);
    return outs.map((o, i) => this.wrap(o, outDims[i]));
  }

  /** A batched value kept past the transform (a State cell) has its lanes first. */
  override lowered(x: Tensor): Tensor {
    if (traceOf(x) !== this) return x;
    const s = auxOfTensor(x) as BatchState;
    return s.dim === 0 ? s.value : engineOps().transpose(s.value, [s.dim, ...Array.from({ length: s.value.ndim }, (_, i) => i).filter((i) => i !== s.dim)]);
  }

  /** One lane (the first) stands in for the batch in structure-finding runs. */
  override probe(x: Tensor, next: (t: Tensor) => Tensor): Tensor {
    const s = auxOfTensor(x) as BatchState;
    return next(engineOps().takeLane(s.value, s.dim, 0));
  }

  /** `stopGradient` of a lane is the lane of the batched value's `stopGradient`. */
  override stopGradient(x: Tensor, strip: (t: Tensor) => Tensor): Tensor {
    const s = auxOfTensor(x) as BatchState;
    return this.input(strip(s.value), s.dim);
  }
}

export function missingBatchRule(name: string, transform: string): AdjointError {
  return new AdjointError('MISSING_RULE', transform, `the primitive ${name} has no batching rule, so it cannot run under vmap; batch it by hand, or move the call out of the vmapped function`);
}

/**
 * The concrete value under `t` if only batching traces hold it (every lane's value at once), else
 * undefined (a differentiation trace's value has no numbers to read).
 */
export function batchedConcrete(t: Tensor): Tensor | undefined {
  let v = t;
  for (let trace = traceOf(v); trace !== undefined; trace = traceOf(v)) {
    if (!(trace instanceof BatchTrace) || !trace.active) return undefined;
    v = (auxOfTensor(v) as BatchState).value;
  }
  return v;
}

/** Whether `t` is batched by an open vmap (its value differs between lanes). */
export function isBatched(t: Tensor): boolean {
  let v = t;
  for (let trace = traceOf(v); trace !== undefined; trace = traceOf(v)) {
    if (trace instanceof BatchTrace) return true;
    v = trace.primalOf(v);
  }
  return false;
}

/**
 * For a value batched by vmap: the number of lanes of the innermost vmap batching it, and its
 * concrete values with those lanes first (what a check per lane reads). Undefined if not batched.
 */
export function lanesOf(t: Tensor, concrete: (x: Tensor) => Tensor): { readonly size: number; readonly values: Tensor } | undefined {
  let v = t;
  for (let trace = traceOf(v); trace !== undefined; trace = traceOf(v)) {
    if (trace instanceof BatchTrace) {
      const s = auxOfTensor(v) as BatchState;
      const c = concrete(s.value);
      const front = s.dim === 0 ? c : engineOps().transpose(c, [s.dim, ...Array.from({ length: c.ndim }, (_, i) => i).filter((i) => i !== s.dim)]);
      return { size: trace.size, values: front };
    }
    v = trace.primalOf(v);
  }
  return undefined;
}

/** What `argumentValues` reads: the numbers, and where each one sits as the caller sees it. */
export interface ArgumentValues {
  /** Every number under the value: all lanes of every vmap batching it. */
  readonly data: ArrayLike<number>;
  /** Element `i` of `data`: its flat (row-major) position in the value, and its lane in each vmap batching it (outermost first; empty when none does). */
  locate(i: number): { readonly position: number; readonly lanes: ReadonlyArray<number> };
}

/**
 * The numbers under an argument, for a boundary check of its values (class labels, probabilities, a
 * bound, a learning rate): a concrete tensor's own; under grad and jvp the primal underneath (the
 * check is not differentiated control flow: it reads, and either throws or lets the call go on);
 * under vmap every lane at once, so a bad value in any lane is found. Undefined for a tracer of a
 * transform that has returned (the op itself then raises `LEAKED_TRACER`).
 */
export function argumentValues(t: Tensor): ArgumentValues | undefined {
  if (isConcrete(t)) return { data: t.ndim === 0 ? [scalarOf(t)] : dataOf(t), locate: (i) => ({ position: i, lanes: NO_LANES }) };
  // the lane axes, in the order they were inserted walking down (innermost vmap first)
  const dims: number[] = [];
  let v = t;
  for (let state = tracerOf(v); state !== undefined; state = tracerOf(v)) {
    if (!state.trace.active) return undefined;
    if (state.trace instanceof BatchTrace) {
      const s = auxOfTensor(v) as BatchState;
      dims.push(s.dim);
      v = s.value;
    } else v = state.primal;
  }
  const shape = v.shape;
  return {
    data: v.ndim === 0 ? [scalarOf(v)] : dataOf(v),
    locate(i) {
      const index = new Array<number>(shape.length);
      for (let a = shape.length - 1, rest = i; a >= 0; a--) {
        index[a] = rest % shape[a]!;
        rest = Math.floor(rest / shape[a]!);
      }
      // the outermost vmap's axis was inserted last: take the lane axes out in reverse
      const lanes: number[] = [];
      for (let k = dims.length - 1; k >= 0; k--) lanes.push(index.splice(dims[k]!, 1)[0]!);
      let position = 0;
      for (let a = 0; a < index.length; a++) position = position * t.shape[a]! + index[a]!;
      return { position, lanes };
    },
  };
}

const NO_LANES: ReadonlyArray<number> = Object.freeze([]);

/** How a message names the lanes `argumentValues` located a value in: '' outside vmap. */
export function describeLanes(lanes: ReadonlyArray<number>): string {
  if (lanes.length === 0) return '';
  return lanes.length === 1 ? ` (in vmap lane ${lanes[0]})` : ` (in vmap lanes ${lanes.join(', ')}, outermost vmap first)`;
}
