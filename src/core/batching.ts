/**
 * Helpers for batching rules (`Rule.batch`, BatchTrace.ts): moving a value's lane axis to the
 * front and aligning operands so one kernel call serves every lane. They bind the structural rows
 * (transpose, reshape, broadcastTo), which the rules layer installs (engineOps.ts), so a batching
 * rule written with them is recorded by outer transforms like any op.
 *
 * @since 0.1.0
 */
import { engineOps } from './engineOps.js';
import { bind, bindMulti, type MultiPrimitive, type Primitive } from './primitive.js';
import type { Tensor } from './Tensor.js';

/** `x` with axis `from` moved to position `to` (a transpose; `x` itself when nothing moves). */
export function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const perm = Array.from({ length: x.ndim }, (_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return engineOps().transpose(x, perm);
}

/** `x` with its lane axis first (`x` itself when it has none or it is first already). */
export function toFront(x: Tensor, dim: number | undefined): Tensor {
  return dim === undefined ? x : moveAxis(x, dim, 0);
}

/** The rank of one lane of `x` (its rank, if it is the same in every lane). */
export const laneRank = (x: Tensor, dim: number | undefined): number => (dim === undefined ? x.ndim : x.ndim - 1);

/**
 * `x` laid out for NumPy broadcasting against other operands of lane rank `rank`: a batched value
 * gets its lanes first and 1s inserted after them up to `rank + 1` axes; an unbatched one is left as
 * it is (broadcasting aligns it on the right, and the lane axis meets nothing of it).
 */
export function alignFront(x: Tensor, dim: number | undefined, rank: number): Tensor {
  if (dim === undefined) return x;
  const f = moveAxis(x, dim, 0);
  const lane = f.shape.slice(1);
  if (lane.length === rank) return f;
  return engineOps().reshape(f, [f.shape[0]!, ...new Array<number>(rank - lane.length).fill(1), ...lane]);
}

/** `x` batched with lanes first: an unbatched value repeated `size` times. */
export function batchedFront(x: Tensor, dim: number | undefined, size: number): Tensor {
  if (dim !== undefined) return moveAxis(x, dim, 0);
  return engineOps().broadcastTo(engineOps().reshape(x, [1, ...x.shape]), [size, ...x.shape]);
}

/** The batching rule of an elementwise row (broadcasting operands): align, one call, lanes first. */
export function batchElementwise(prim: Primitive<unknown>, args: ReadonlyArray<Tensor>, dims: ReadonlyArray<number | undefined>, params: unknown): readonly [Tensor, number] {
  let rank = 0;
  args.forEach((a, i) => (rank = Math.max(rank, laneRank(a, dims[i]))));
  return [bind(prim, args.map((a, i) => alignFront(a, dims[i], rank)), params), 0];
}

/** The batching rule of a reduction over `axes` (with `keepdims`): lanes first, axes shifted by one. */
export function batchReduction<P extends { readonly axes: ReadonlyArray<number> }>(prim: Primitive<P>, args: ReadonlyArray<Tensor>, dims: ReadonlyArray<number | undefined>, params: P): readonly [Tensor, number] {
  return [bind(prim, [toFront(args[0]!, dims[0])], { ...params, axes: params.axes.map((a) => a + 1) }), 0];
}

/**
 * The batching rule of a row that already batches over leading axes (the linear-algebra rows, which
 * work on the last two): every operand gets its lanes first (an unbatched one repeated), one call.
 */
export function batchLeading(prim: Primitive<unknown>, args: ReadonlyArray<Tensor>, dims: ReadonlyArray<number | undefined>, params: unknown, size: number): readonly [Tensor, number] {
  return [bind(prim, args.map((a, i) => batchedFront(a, dims[i], size)), params), 0];
}

/** `batchLeading` for a multiple-result row: every result has its lanes first. */
export function batchLeadingMulti(
  prim: MultiPrimitive<unknown>,
  args: ReadonlyArray<Tensor>,
  dims: ReadonlyArray<number | undefined>,
  params: unknown,
  size: number,
): readonly [ReadonlyArray<Tensor>, ReadonlyArray<number>] {
  const outs = bindMulti(prim, args.map((a, i) => batchedFront(a, dims[i], size)), params);
  return [outs, outs.map(() => 0)];
}
