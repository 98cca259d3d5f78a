/**
 * Structural zeros inside a (co)tangent. The chain rule multiplies with IEEE arithmetic, so an
 * overflow (0 · ∞ in `log(exp(1000))`) gives NaN instead of a finite wrong answer. Some zeros,
 * though, are zero by structure, not by arithmetic: the cotangent `where` sends into the branch it
 * did not select, and the zeros of a one-hot seed (a Jacobian row or column). There the derivative
 * is exactly 0 even where the local derivative is NaN or infinite (`where(x > 0, sqrt(x), 0)` at -1,
 * the off-diagonal of `jacrev(sqrt)` at 0). Those positions travel with the (co)tangent as a *mask*
 * (1 = structurally zero), through the rows that declare how (`Rule.maskKind`):
 *
 * - `elementwise`: output position k depends only on input position k. A masked position of the
 *   output's cotangent gives exactly 0 to every input there (whatever the local derivative), and an
 *   input broadcast over several outputs is masked where all of them are. Forward: an output
 *   position is masked where every input tangent is.
 * - `select` (`where`): the unselected branch's cotangent is masked where the condition routes the
 *   other way; forward, the output tangent's mask is selected like the tangent.
 * - `linear` (reshape, transpose, slice, pad, concat, take, sum, broadcastTo, ...): the row moves or
 *   adds entries with coefficient 1, so its own rule applied to the unmasked indicator `1 - mask`
 *   says where anything non-structural arrives.
 * - other rows (matmul, max, ...): the mask stops; the values stay what the rule computed.
 *
 * Masks are made with the library's ops, so under an outer transform they are recorded like any
 * value (they carry no derivative: they come from comparisons). A mask that is concrete and all 1 is
 * the symbolic `Zero`; one that is all 0 is dropped.
 *
 * @since 0.1.0
 */
import { engineOps } from './engineOps.js';
import type { Rule } from './rule.js';
import { sameShape, type Shape } from './shape.js';
import { batchedConcrete } from './BatchTrace.js';
import { dataOf, isConcrete, scalarOf, type Tensor } from './Tensor.js';
import { isZero, type Tangent } from './zero.js';

/** What a normalised mask says: every position structural (`'all'`), none (`undefined`), or some. */
export type Mask = Tensor | 'all' | undefined;

/** Reduces a concrete mask that is all 1 to `'all'` and one that is all 0 to `undefined`. */
export function normalizeMask(mask: Tensor | undefined): Mask {
  if (mask === undefined) return mask;
  // a mask batched by vmap (a Jacobian's seeds) is concrete under its lanes: read all of them
  const values = isConcrete(mask) ? mask : batchedConcrete(mask);
  if (values === undefined) return mask;
  const d = values.ndim === 0 ? [scalarOf(values)] : dataOf(values);
  let ones = 0;
  for (let i = 0; i < d.length; i++) if (d[i] === 1) ones++;
  return ones === d.length ? 'all' : ones === 0 ? undefined : mask;
}

/** The mask of one input from an output mask (broadcastable to `outShape`; 1 where structural). */
function toInputShape(mask: Tensor, outShape: Shape, inShape: Shape): Tensor {
  if (sameShape(mask.shape, inShape)) return mask;
  const { unbroadcast, sub, equal, broadcastTo } = engineOps();
  // an input entry broadcast over several outputs is structural only if all of them are
  return equal(unbroadcast(broadcastTo(sub(1, mask), outShape), inShape), 0);
}

/**
 * Reverse mode: applies the row's mask kind to the cotangents its vjp returned (at the output's
 * shape or the input's), given the output cotangent's mask. Returns per input the cotangent, with
 * masked positions exactly 0, and its mask at the input's shape (`'all'`: nothing to add).
 */
export function maskCotangents(
  prim: Rule<unknown>,
  cts: ReadonlyArray<Tangent>,
  primals: ReadonlyArray<Tensor>,
  outShape: Shape,
  outMask: Tensor | undefined,
  ans: Tensor,
  params: unknown,
  wants: ReadonlyArray<boolean>,
): Array<{ ct: Tangent; mask: Mask }> {
  const kind = prim.maskKind;
  const { where, equal, notEqual, maximum, sub } = engineOps();
  if (kind === 'linear') {
    if (outMask === undefined) return cts.map((c) => ({ ct: c, mask: undefined }));
    const indicator = prim.vjp(sub(1, outMask), primals, ans, params, wants);
    return cts.map((c, i) => {
      const ind = indicator[i];
      if (isZero(c) || ind === undefined || isZero(ind)) return { ct: c, mask: undefined };
      return { ct: c, mask: normalizeMask(toInputShape(equal(ind, 0), primals[i]!.shape, primals[i]!.shape)) };
    });
  }
  return cts.map((c, i) => {
    if (isZero(c)) return { ct: c, mask: undefined };
    let m: Tensor | undefined;
    if (kind === 'elementwise') m = outMask;
    else if (kind === 'select' && i > 0) {
      // the condition sent this branch nothing where it selected the other one
      const unselected = i === 1 ? equal(primals[0]!, 0) : notEqual(primals[0]!, 0);
      m = outMask === undefined ? unselected : maximum(outMask, unselected);
    }
    if (m === undefined) return { ct: c, mask: undefined };
    const masked = kind === 'elementwise' && sameShape(c.shape, outShape) ? where(m, 0, c) : c;
    return { ct: masked, mask: normalizeMask(toInputShape(m, outShape, primals[i]!.shape)) };
  });
}

/**
 * Forward mode: the mask of an output tangent from its inputs' tangents and masks (`undefined`: an
 * input whose tangent has no structural zeros). Returns undefined when no position is known to be
 * structurally zero.
 */
export function forwardMask(
  prim: Rule<unknown>,
  primals: ReadonlyArray<Tensor>,
  tangents: ReadonlyArray<Tangent>,
  masks: ReadonlyArray<Tensor | undefined>,
  ans: Tensor,
  params: unknown,
): Tensor | undefined {
  const kind = prim.maskKind;
  if (kind === undefined) return undefined;
  const { where, mul, sub, equal, broadcastTo } = engineOps();
  if (kind === 'select') {
    const a = tangents[1]!;
    const b = tangents[2]!;
    const ma = isZero(a) ? 1 : masks[1];
    const mb = isZero(b) ? 1 : masks[2];
    if (ma === undefined || mb === undefined) return undefined;
    return broadcastTo(where(primals[0]!, ma, mb), ans.shape);
  }
  // every input with a tangent must know its structural zeros, or no output position is known
  for (let i = 0; i < tangents.length; i++) if (!isZero(tangents[i]!) && masks[i] === undefined) return undefined;
  if (kind === 'elementwise') {
    let out: Tensor | undefined;
    for (let i = 0; i < tangents.length; i++) {
      if (isZero(tangents[i]!)) continue;
      out = out === undefined ? masks[i]! : mul(out, masks[i]!);
    }
    return out === undefined ? undefined : broadcastTo(out, ans.shape);
  }
  const indicators = tangents.map((t, i) => (isZero(t) ? t : sub(1, masks[i]!)));
  const reached = prim.jvp(primals, indicators, ans, params);
  return isZero(reached) ? undefined : broadcastTo(equal(reached, 0), ans.shape);
}
