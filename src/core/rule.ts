/**
 * The row type the engine reads: a primitive (`primitive.ts`) with its derivative rules, numeric
 * partials for the scalar path, and sample calls for the registry suite. The tables here are indexed
 * by a row's `id`, so the tape stores ids in typed arrays instead of references. Rows are made in
 * `src/rules` (`rule()` in combinators.ts); the engine in this folder only reads them.
 *
 * @since 0.1.0
 */
import type { MultiPrimitive, Primitive } from './primitive.js';
import type { Tensor } from './Tensor.js';
import type { Tangent } from './zero.js';

/** A partial derivative on plain numbers: d ans / d argument at (x, y). */
export type ScalarPartial = (x: number, y: number, ans: number) => number;

/** One partial per argument. */
export type ScalarPartials = readonly [ScalarPartial] | readonly [ScalarPartial, ScalarPartial];

/** Room for this many rows in `partialKindTable` (the library defines about 70). */
export const MAX_RULES = 256;

/**
 * How the reverse pass applies each row's `scalarPartials`, two entries per row at `2 * id + i`:
 * a typed array, so its hot loop reads one byte instead of a row and its fields.
 */
export const partialKindTable = new Uint8Array(2 * MAX_RULES);

/**
 * A primitive with its derivative rules. `jvp` maps input tangents (some possibly `Zero`, never all)
 * to the output tangent; `vjp` maps the output cotangent to one cotangent per input, and is asked only
 * for the inputs in `wants` (others may be returned as `Zero`). Results may have broadcast shapes:
 * the engine sums or broadcasts them to the right shape.
 */
export interface Rule<P = unknown> extends Primitive<P> {
  /** Position in `ruleTable`, given by `rule()`. */
  readonly id: number;
  /** Sample inputs for the registry-driven test suite: every row carries its own, so a new
   * primitive is checked without editing a test file. */
  readonly examples: ReadonlyArray<Example<P>>;
  readonly jvp: (primals: ReadonlyArray<Tensor>, tangents: ReadonlyArray<Tangent>, ans: Tensor, params: P) => Tangent;
  readonly vjp: (ct: Tensor, primals: ReadonlyArray<Tensor>, ans: Tensor, params: P, wants: ReadonlyArray<boolean>) => ReadonlyArray<Tangent>;
  /**
   * Optional numeric twin of `vjp` for 0-d float64 values: the partial derivative of the output with
   * respect to each argument (`y` is ignored by unary rows). The reverse pass uses them when nothing
   * above it is tracing (all values concrete), which keeps scalar programs free of per-op tensor
   * allocation; the registry suite checks them against `jvp` through the dot-product identity.
   */
  readonly scalarPartials?: ScalarPartials;
  /** Derived by `rule()` from `scalarImpl` (see `ScalarImpl`): 0 call it, 1 add, 2 sub, 3 mul. */
  readonly implKind: number;
  /** The kernel on plain numbers (`y` is ignored by unary ops); present exactly when `scalarPartials` is. */
  readonly scalarImpl?: (x: number, y: number) => number;
  /** How structural zeros of a (co)tangent pass through this row (see `masks.ts`); none when absent. */
  readonly maskKind?: MaskKind;
  /**
   * The batching rule (vmap, BatchTrace.ts): the operands with the axis of their lanes (`undefined`:
   * the same in every lane; at least one is batched), `size` lanes; returns the batched result and
   * its lane axis. One kernel call for the whole batch.
   */
  readonly batch?: (args: ReadonlyArray<Tensor>, dims: ReadonlyArray<number | undefined>, params: P, size: number) => readonly [Tensor, number | undefined];
}

/** See `masks.ts`: `elementwise` rows, `where` (`select`), and rows that only move or add entries (`linear`). */
export type MaskKind = 'elementwise' | 'select' | 'linear';

/**
 * A multiple-result primitive with its derivative rules: `jvp` maps input tangents to one tangent
 * per output; `vjp` maps one cotangent per output (`Zero` for an output nothing flowed into) to one
 * per input. Higher-order primitives (loops, `checkpoint`, custom rules) carry the functions they
 * apply in `params`. Not in `ruleTable`: the scalar path never records them.
 */
export interface MultiRule<P = unknown> extends MultiPrimitive<P> {
  readonly examples: ReadonlyArray<Example<P>>;
  readonly jvp: (primals: ReadonlyArray<Tensor>, tangents: ReadonlyArray<Tangent>, ans: ReadonlyArray<Tensor>, params: P) => ReadonlyArray<Tangent>;
  readonly vjp: (cts: ReadonlyArray<Tangent>, primals: ReadonlyArray<Tensor>, ans: ReadonlyArray<Tensor>, params: P, wants: ReadonlyArray<boolean>) => ReadonlyArray<Tangent>;
  /** How `printTape` shows the parameters (the default prints them as JSON). */
  readonly describeParams?: (params: P) => string;
  /** The batching rule (see `Rule.batch`), one lane axis per result. */
  readonly batch?: (
    args: ReadonlyArray<Tensor>,
    dims: ReadonlyArray<number | undefined>,
    params: P,
    size: number,
  ) => readonly [ReadonlyArray<Tensor>, ReadonlyArray<number | undefined>];
}

/** Every row by `id`: the tape stores ids (a typed array) instead of references. */
export const ruleTable: Array<Rule<unknown>> = [];

/**
 * Where a sample argument is drawn from: `real` (standard normal), `positive` ([0.5, 2]), `unit`
 * ((-0.9, 0.9)), `awayFromZero` (±[0.5, 2]: keeps finite differences off kinks at 0). For matrices
 * (the last two axes): `invertible` (±[1.5, 2.5] on the diagonal plus normal noise of scale 0.3
 * everywhere: full rank and well-conditioned, square or not), `spd` (M Mᵀ / n + I with M standard
 * normal: symmetric positive definite, eigenvalues in about [1, 5]).
 */
export type Domain = 'real' | 'positive' | 'unit' | 'awayFromZero' | 'invertible' | 'spd';

/** One sample argument: random from `domain`, or fixed `values` (indices, masks). `constant`
 * arguments are not differentiated (indices, conditions). */
export interface ArgSpec {
  readonly shape: ReadonlyArray<number>;
  readonly domain?: Domain;
  readonly values?: ReadonlyArray<number>;
  readonly constant?: boolean;
}

/** A sample call of a primitive. */
export interface Example<P> {
  readonly args: ReadonlyArray<ArgSpec>;
  readonly params: P;
}

