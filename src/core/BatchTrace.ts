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
import { auxOfTensor, makeTracer, type Tensor } from './Tensor.js';
import { Trace, traceOf } from './Trace.js';

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

  process(prim: Rule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): Tensor {
    const values: Tensor[] = [];
    const dims: BatchDim[] = [];
    let any = false;
    for (const a of args) {
      const [v, d] = this.unwrap(a);
      values.push(v);
      dims.push(d);
      if (d !== undefined) any = true;
    }
    if (!any) return bind(prim, values, params);
    if (prim.batch === undefined) throw missingBatchRule(prim.name, this.transform);
    const [out, dim] = prim.batch(values, dims, params, this.size);
    return this.wrap(out, dim);
  }

  processMulti(prim: MultiRule<unknown>, args: ReadonlyArray<Tensor>, params: unknown): ReadonlyArray<Tensor> {
    const values: Tensor[] = [];
    const dims: BatchDim[] = [];
    let any = false;
    for (const a of args) {
      const [v, d] = this.unwrap(a);
      values.push(v);
      dims.push(d);
      if (d !== undefined) any = true;
    }
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
