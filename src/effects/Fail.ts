/**
 * The `Fail` effect: a failure ends the program as a value, not an exception. `Fail.raise(e)` fails;
 * the checked ops (`Checked.log`, `Checked.sqrt`, ...) fail with a `DomainError` instead of producing
 * NaN; `Fail.either` turns the program into an `Either<Error, A>`. Under a transform, a failure is
 * the failure, not a gradient: the transform's result is never computed.
 *
 * @since 0.1.0
 */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { DomainError } from '../core/errors.js';
import { dataOf, type Tensor } from '../core/Tensor.js';
import { asTensor } from '../core/creation.js';
import { concreteOf, ssaName } from '../core/Trace.js';
import { div, log, log1p, type Operand, sqrt } from '../rules/elementwise.js';
import { defer, fail, handle, type Handler, of, type Program } from './Program.js';

const failHandler: Handler<undefined> = {
  effect: 'Fail',
  init: () => undefined,
  handle: (_op, error) => ({ _tag: 'Abort', error }),
  onReturn: (value) => right(value),
  onAbort: (error) => left(error),
};

/**
 * The `Fail` effect: `raise`, and the handler `either`.
 *
 * @example
 * import { Fail, Checked, run } from 'adjoint'
 * const r = run(Fail.either(Checked.log(-1)))
 * assert.equal(r._tag, 'Left')
 *
 * @category effects
 * @since 0.1.0
 */
export const Fail = {
  /** Ends the program with `error`. */
  raise: fail,
  /** The handler: `Right(result)`, or `Left(error)` for the first failure. */
  either: <A, E>(program: Program<A, E>): Program<Either<Error, A>, Exclude<E, 'Fail'>> => handle(program, failHandler as Handler<unknown>),
} as const;

/** The first element of `x` (concrete value) that fails `ok`, or -1. */
function firstBad(x: Tensor, ok: (v: number) => boolean): number {
  const data = dataOf(concreteOf(x));
  for (let i = 0; i < data.length; i++) if (!ok(data[i]!)) return i;
  return -1;
}

function checked(op: string, requirement: string, ok: (v: number) => boolean, x: Operand, compute: (t: Tensor) => Tensor): Program<Tensor, 'Fail'> {
  return defer(() => {
    const t = asTensor(op, x);
    const bad = firstBad(t, ok);
    if (bad >= 0) return fail(new DomainError(op, ssaName(t), bad, dataOf(concreteOf(t))[bad]!, requirement));
    return of(compute(t));
  });
}

/**
 * Partial ops that fail with a `DomainError` (the `Fail` effect) instead of returning NaN or ±Infinity.
 *
 * @example
 * import { Checked, Fail, run, item } from 'adjoint'
 * const ok = run(Fail.either(Checked.sqrt(4)))
 * assert.equal(ok._tag === 'Right' && item(ok.right), 2)
 *
 * @category effects
 * @since 0.1.0
 */
export const Checked = {
  /** `log(x)`; fails unless every element is > 0. */
  log: (x: Operand): Program<Tensor, 'Fail'> => checked('Checked.log', 'positive inputs', (v) => v > 0, x, log),
  /** `log1p(x)`; fails unless every element is > -1. */
  log1p: (x: Operand): Program<Tensor, 'Fail'> => checked('Checked.log1p', 'inputs above -1', (v) => v > -1, x, log1p),
  /** `sqrt(x)`; fails for negative elements. */
  sqrt: (x: Operand): Program<Tensor, 'Fail'> => checked('Checked.sqrt', 'non-negative inputs', (v) => v >= 0, x, sqrt),
  /** `x / y`; fails where `y` is 0. */
  div: (x: Operand, y: Operand): Program<Tensor, 'Fail'> => checked('Checked.div', 'a non-zero divisor', (v) => v !== 0, y, (d) => div(x, d)),
} as const;
