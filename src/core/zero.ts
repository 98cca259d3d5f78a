/**
 * Symbolic zeros. "No derivative flows here" is the value `Zero`, not a tensor of zeros: rules whose
 * incoming (co)tangents are all `Zero` are skipped, and nothing is allocated for them. Zeros become
 * real tensors only at the API boundary (a gradient the output does not depend on).
 *
 * @since 0.1.0
 */
import type { Tensor } from './Tensor.js';

/** The symbolic zero (co)tangent. */
export interface Zero {
  readonly _tag: 'Zero';
}

/** The one `Zero` value. */
export const Zero: Zero = Object.freeze({ _tag: 'Zero' as const });

/** A tangent or cotangent: a tensor, or `Zero`. */
export type Tangent = Tensor | Zero;

/** True for the symbolic zero. */
export function isZero(t: Tangent | undefined): t is Zero {
  return t === Zero;
}
