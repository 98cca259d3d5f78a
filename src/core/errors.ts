/**
 * Typed errors. Every programmer error the library detects is thrown as one of these classes, with a
 * stable `code` that callers can switch on and a message that names the op (and, under a transform,
 * the transform), the offending shapes or arguments, and what to do instead. Nothing returns a silent
 * NaN, `undefined` or a partial result in their place.
 *
 * @since 0.1.0
 */

/**
 * The stable error codes, as a list (so tests can check that each one is provoked somewhere). They
 * never change meaning; new ones are added at the end of their group.
 *
 * - shapes: `BROADCAST_INCOMPATIBLE`, `SHAPE_MISMATCH`, `MATMUL_INNER_MISMATCH`,
 *   `RESHAPE_SIZE_MISMATCH`, `INVALID_DIMENSION`, `AXIS_OUT_OF_RANGE`, `INDEX_OUT_OF_RANGE`,
 *   `RAGGED_ARRAY`, `ALLOCATION_TOO_LARGE` (a shape whose element count no buffer can hold)
 * - values and arguments: `NOT_NUMERIC`, `NOT_SIZE_ONE`, `INVALID_ARGUMENT` (a value of the wrong
 *   kind or range), `UNKNOWN_OPTION` (an options object with a key the function does not know),
 *   `INVALID_DTYPE` (an unknown dtype, or one that must equal another: a jvp tangent's and its
 *   primal's), `TENSOR_COERCION` (a tensor used with a JavaScript operator: `x * y`, `x > 0`),
 *   `CYCLIC_TREE` (an object or array that contains itself), `NOT_A_PROGRAM` (a value where a
 *   `Program` belongs), `ASYNC_FUNCTION` (a promise where a value belongs)
 * - transforms: `NON_SCALAR_OUTPUT`, `ARGNUMS_OUT_OF_RANGE`, `TREE_MISMATCH`, `LEAKED_TRACER`,
 *   `CONCRETIZATION`, `MISSING_RULE`, `GRAD_CHECK_FAILED`, `NON_FINITE` (a NaN or ±Infinity where
 *   the computation needs finite values: `checkNumerics` found a non-finite value or adjoint, a
 *   linear-algebra op's matrix holds one, `checkGrads`' point holds one), `CLOSED_OVER_TRACER` (a custom rule, or a loop body on an iteration
 *   other than the first, uses a traced value from outside it that is not an operand),
 *   `NONLINEAR_RULE` (a custom rule's tangent or cotangent map, transposed for the other mode, is
 *   not linear; so is `customLinearSolve`'s `matvec`, or a solver used for a derivative's linear
 *   system, such as `customRoot`'s `tangentSolve`)
 * - effects: `UNHANDLED_EFFECT`, `EFFECT_REFUSED` (an effect a transform cannot give a meaning to
 *   where it is performed: `IO` or `observe` of a batched value under vmap, `Random` with
 *   `randomness: 'error'`, a failure in some lanes only), `REPLAY_DIVERGED` (a recomputed program
 *   did not do what its first run did: a branch on an observed value that changed, other effects),
 *   `DOMAIN_ERROR`, `STATE_UNSET`
 * - linear algebra: `SINGULAR_MATRIX` (a solve, inverse or derivative met a matrix with an exactly
 *   zero pivot), `NOT_POSITIVE_DEFINITE` (`cholesky` met a non-positive pivot)
 *
 * @example
 * import { ERROR_CODES, reshape, zeros, AdjointError } from 'adjoint'
 * assert.throws(() => reshape(zeros([2, 3]), [4]), (e) => e instanceof AdjointError && ERROR_CODES.includes(e.code))
 *
 * @category errors
 * @since 0.1.0
 */
export const ERROR_CODES = [
  'BROADCAST_INCOMPATIBLE',
  'SHAPE_MISMATCH',
  'MATMUL_INNER_MISMATCH',
  'RESHAPE_SIZE_MISMATCH',
  'INVALID_DIMENSION',
  'AXIS_OUT_OF_RANGE',
  'INDEX_OUT_OF_RANGE',
  'RAGGED_ARRAY',
  'ALLOCATION_TOO_LARGE',
  'NOT_NUMERIC',
  'NOT_SIZE_ONE',
  'INVALID_ARGUMENT',
  'UNKNOWN_OPTION',
  'INVALID_DTYPE',
  'TENSOR_COERCION',
  'CYCLIC_TREE',
  'NOT_A_PROGRAM',
  'ASYNC_FUNCTION',
  'NON_SCALAR_OUTPUT',
  'ARGNUMS_OUT_OF_RANGE',
  'TREE_MISMATCH',
  'LEAKED_TRACER',
  'CONCRETIZATION',
  'MISSING_RULE',
  'GRAD_CHECK_FAILED',
  'NON_FINITE',
  'CLOSED_OVER_TRACER',
  'NONLINEAR_RULE',
  'UNHANDLED_EFFECT',
  'EFFECT_REFUSED',
  'REPLAY_DIVERGED',
  'DOMAIN_ERROR',
  'STATE_UNSET',
  'SINGULAR_MATRIX',
  'NOT_POSITIVE_DEFINITE',
] as const;

/**
 * A stable error code (see `ERROR_CODES`).
 *
 * @category errors
 * @since 0.1.0
 */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Base class of every error the library throws on purpose.
 *
 * @example
 * import { reshape, zeros, AdjointError } from 'adjoint'
 * try { reshape(zeros([2, 3]), [4]) } catch (e) {
 *   assert(e instanceof AdjointError && e.code === 'RESHAPE_SIZE_MISMATCH')
 * }
 *
 * @category errors
 * @since 0.1.0
 */
export class AdjointError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** The op (or transform) that detected the problem. */
  readonly op: string;
  constructor(code: ErrorCode, op: string, message: string) {
    // the library builds these with literal codes; a caller constructing one gets the same checks
    if (!(ERROR_CODES as ReadonlyArray<unknown>).includes(code) || typeof op !== 'string' || typeof message !== 'string') {
      throw new ArgumentError('INVALID_ARGUMENT', new.target.name, `expects (code, op, message): a code from ERROR_CODES and two strings; got ${typeof code === 'string' ? JSON.stringify(code) : typeof code}, ${typeof op}, ${typeof message}`);
    }
    super(`${op}: ${message}`);
    this.code = code;
    this.op = op;
    this.name = new.target.name;
  }
}

/**
 * Shapes that do not fit together: broadcasting, matmul, reshape, concat, ragged arrays, pytrees.
 *
 * @example
 * import { add, tensor, ShapeError } from 'adjoint'
 * assert.throws(() => add(tensor([1, 2]), tensor([1, 2, 3])), (e) => e instanceof ShapeError && e.code === 'BROADCAST_INCOMPATIBLE')
 * @category errors
 * @since 0.1.0
 */
export class ShapeError extends AdjointError {}

/**
 * An axis outside `[-ndim, ndim)`, or repeated.
 *
 * @example
 * import { sum, tensor, AxisError } from 'adjoint'
 * assert.throws(() => sum(tensor([1, 2]), { axis: 1 }), (e) => e instanceof AxisError && e.code === 'AXIS_OUT_OF_RANGE')
 * @category errors
 * @since 0.1.0
 */
export class AxisError extends AdjointError {}

/**
 * An index outside the dimension it indexes (`take`, `slice` bounds are clamped like NumPy and do not throw).
 *
 * @example
 * import { take, tensor, IndexError } from 'adjoint'
 * assert.throws(() => take(tensor([1, 2]), [5]), (e) => e instanceof IndexError && e.code === 'INDEX_OUT_OF_RANGE')
 * @category errors
 * @since 0.1.0
 */
export class IndexError extends AdjointError {}

/**
 * A value of the wrong kind: a non-numeric leaf, an unknown dtype, a bad option.
 *
 * @example
 * import { zeros, ArgumentError } from 'adjoint'
 * assert.throws(() => zeros([2], { dtype: 'int8' as never }), (e) => e instanceof ArgumentError && e.code === 'INVALID_DTYPE')
 * @category errors
 * @since 0.1.0
 */
export class ArgumentError extends AdjointError {}

/**
 * A matrix the operation cannot handle: singular where an inverse is needed (`SINGULAR_MATRIX`),
 * not positive definite for `cholesky` (`NOT_POSITIVE_DEFINITE`), holding a NaN or ±Infinity
 * (`NON_FINITE`). The message names the op, the matrix's shape and, for a batch, which matrix.
 *
 * @example
 * import { inv, tensor, LinAlgError } from 'adjoint'
 * assert.throws(() => inv(tensor([[1, 2], [2, 4]])), (e) => e instanceof LinAlgError && e.code === 'SINGULAR_MATRIX')
 *
 * @category errors
 * @since 0.1.0
 */
export class LinAlgError extends AdjointError {}

/** Formats a shape the way messages print it: `[2, 3]`, `[]` for a scalar. */
export const formatShape = (shape: ReadonlyArray<number>): string => `[${shape.join(', ')}]`;

/**
 * `checkGrads` found derivatives that disagree: `discrepancy` is the largest relative error, `where`
 * says which check, order, leaf and element.
 *
 * @example
 * import { checkGrads, mul, stopGradient, tensor, GradCheckError } from 'adjoint'
 * // stopGradient hides half of the derivative from AD, but not from finite differences
 * assert.throws(() => checkGrads((x) => mul(x, stopGradient(x)), [tensor([1.5])]), (e) => e instanceof GradCheckError && e.discrepancy > 0.1)
 * @category errors
 * @since 0.1.0
 */
export class GradCheckError extends AdjointError {
  constructor(
    message: string,
    readonly discrepancy: number,
    readonly where: string,
  ) {
    if (typeof discrepancy !== 'number' || typeof where !== 'string') {
      throw new ArgumentError('INVALID_ARGUMENT', 'GradCheckError', `expects (message, discrepancy, where): a string, a number and a string; got ${typeof message}, ${typeof discrepancy}, ${typeof where}`);
    }
    super('GRAD_CHECK_FAILED', 'checkGrads', message);
  }
}

/**
 * A checked op met an input outside its domain (`Checked.log(-1)`): the op, the SSA value that held
 * the input (`w3 (in grad)`, or `a constant`), and the offending element.
 *
 * @example
 * import { Checked, Fail, run, DomainError } from 'adjoint'
 * const r = run(Fail.either(Checked.log(-1)))
 * assert.ok(r._tag === 'Left' && r.left instanceof DomainError && r.left.code === 'DOMAIN_ERROR')
 * @category errors
 * @since 0.1.0
 */
export class DomainError extends AdjointError {
  constructor(
    op: string,
    readonly value: string,
    readonly index: number,
    readonly input: number,
    requirement: string,
  ) {
    if (typeof op !== 'string' || typeof value !== 'string' || typeof index !== 'number' || typeof input !== 'number' || typeof requirement !== 'string') {
      throw new ArgumentError('INVALID_ARGUMENT', 'DomainError', 'expects (op, value, index, input, requirement): a string, a string, two numbers and a string');
    }
    super(
      'DOMAIN_ERROR',
      op,
      `element ${index} of ${value} is ${input}, but ${op} needs ${requirement}; guard the input (where, maximum) or handle the failure with Fail.either`,
    );
  }
}
